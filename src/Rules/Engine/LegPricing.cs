using System.Runtime.CompilerServices;
using Streamer.Rules.Books;
using Streamer.Rules.Instruments;
using Streamer.Rules.Pricing;

namespace Streamer.Rules.Engine;

/// <summary>
/// Which model prices an option leg, and running it (docs/pricing.md "Which model a leg uses"):
/// <list type="bullet">
/// <item>European style (the cash-settled index roots): Black–Scholes–Merton on the continuous
/// yield; cash dividends before expiry, if any are configured, come off the spot as their present
/// value (escrowed — exact for a European option under that model).</item>
/// <item>American style with a cash dividend between now and expiry: <see cref="DividendAmerican"/>
/// (finite differences, Spot model), delta read off the leg's cached mesh (<see cref="LegMesh"/>).</item>
/// <item>American style without one: where early exercise cannot pay (a call with q ≤ 0, a put
/// with r ≤ 0) or its premium is immaterial by <see cref="PremiumBound"/>, Black–Scholes (the
/// fast path, the same numbers as before); otherwise <see cref="AmericanOption"/> (ALO).</item>
/// </list>
/// Nothing here allocates.
/// </summary>
internal static class LegPricing
{
    /// <summary>The premium bound below which the European value stands in for the American: half the $0.001 accuracy target.</summary>
    public const double ImmaterialPremium = 5e-4;
    /// <summary>The bound's own delta (the European delta at the grown strike minus at the strike) below which the deltas are taken to agree.</summary>
    public const double ImmaterialDelta = 5e-4;
    public const double VegaBump = 1e-3;
    /// <summary>A mesh is re-solved after this much clock (time decay over a minute moves a delta by ~1e-5 even at 2 days).</summary>
    public const long MeshRefreshNs = 60L * 1_000_000_000;
    private const int MaxDividends = 64;
    private const double YearNs = ExitEngine.YearNs;

    /// <summary>The implied vol of the leg's mark by its model. <paramref name="guess"/>: the last IV (NaN: none).</summary>
    public static IvStatus TrySolveIv(PositionRuntime rt, in LegRuntime leg, double spot, double t, long now, double guess, out double vol)
    {
        Span<CashDividend> divs = stackalloc CashDividend[MaxDividends];
        int n = Dividends(rt, now, leg.ExpiryNs, divs);
        double r = rt.Rate, q = rt.Dividend;
        if (rt.Style == ExerciseStyle.European)
        {
            double net = spot - DividendAmerican.PresentValue(divs[..n], t, r);
            if (!(net > 0)) { vol = 0; return IvStatus.InvalidInput; }
            return ImpliedVolatility.TrySolve(leg.Right, leg.Mark, net, leg.Strike, t, r, q, guess, out vol);
        }
        if (n > 0)
        {
            var mesh = leg.Mesh;
            if (mesh is null) return DividendAmerican.TrySolveVol(leg.Right, leg.Mark, spot, leg.Strike, t, r, q, divs[..n], guess, out vol);
            // the leg's mesh at its last IV (the guess) prices the guess: the solve's first evaluation costs no solve
            double age = MeshUsable(rt, mesh.X, mesh.Vol, mesh.SolvedNs, guess, spot, now) ? (now - mesh.SolvedNs) / YearNs : -1;
            var meshStatus = DividendAmerican.TrySolveVol(leg.Right, leg.Mark, spot, leg.Strike, t, r, q, divs[..n], guess, ref mesh.Ratio,
                mesh.X, mesh.V, age, out vol, out bool meshAtVol);
            // the solve overwrote the buffers: they are the mesh at the new IV, or nothing usable
            mesh.Vol = meshStatus == IvStatus.Ok && meshAtVol ? vol : double.NaN;
            mesh.SolvedNs = now;
            return meshStatus;
        }
        var european = ImpliedVolatility.TrySolve(leg.Right, leg.Mark, spot, leg.Strike, t, r, q, guess, out vol);
        if (!AmericanOption.HasEarlyExercise(leg.Right, r, q) || !AmericanOption.IsSupported(leg.Right, r, q)) return european;
        // the European IV of the mark is at least the American one: if the premium is immaterial there it is at the American IV too
        if (european == IvStatus.Ok && !PremiumMaterial(leg.Right, spot, leg.Strike, t, r, q, vol)) return european;
        var american = leg.American;
        if (american is null) return AmericanOption.TrySolveVol(leg.Right, leg.Mark, spot, leg.Strike, t, r, q, guess, out vol);
        // no IV yet: the European IV of the mark (an upper bound, close) starts the warm solve instead of the cold bracket
        double start = double.IsNaN(guess) && european == IvStatus.Ok ? vol : guess;
        var status = AmericanOption.TrySolveVol(leg.Right, leg.Mark, spot, leg.Strike, t, r, q, start, ref american.Warm, out vol, out var value);
        // the solve's last evaluation is at the IV it returns: delta_stop's delta for this tick, already computed
        if (status == IvStatus.Ok) american.Keep(value, spot, t, vol);
        return status;
    }

    /// <summary>
    /// Per-share Greeks at the leg's IV. <paramref name="cache"/>: the mesh may be re-solved and kept
    /// (the tick path); false for readers (snapshots, triggers), which must not change what a later tick sees.
    /// </summary>
    public static OptionGreeks Greeks(PositionRuntime rt, in LegRuntime leg, double spot, double t, long now, bool cache)
    {
        double r = rt.Rate, q = rt.Dividend, vol = leg.Iv;
        Span<CashDividend> divs = stackalloc CashDividend[MaxDividends];
        int n = Dividends(rt, now, leg.ExpiryNs, divs);
        if (rt.Style == ExerciseStyle.European)
        {
            double net = spot - DividendAmerican.PresentValue(divs[..n], t, r);
            return BlackScholes.Greeks(leg.Right, net > 0 ? net : spot, leg.Strike, t, r, q, vol);
        }
        if (n > 0) return MeshGreeks(rt, leg, spot, t, now, divs[..n], cache);
        if (!AmericanOption.HasEarlyExercise(leg.Right, r, q) || !AmericanOption.IsSupported(leg.Right, r, q)
            || !PremiumMaterial(leg.Right, spot, leg.Strike, t, r, q, vol))
            return BlackScholes.Greeks(leg.Right, spot, leg.Strike, t, r, q, vol);
        return AmericanOption.Greeks(leg.Right, spot, leg.Strike, t, r, q, vol);
    }

    /// <summary>
    /// What delta_stop needs on every tick: the delta (and gamma). False: only those two are
    /// written and the full Greeks are left for when an exit or a snapshot reads them — the ALO
    /// path, where the full set costs four more boundary solves (vega and rho by bumps) and the
    /// delta one. Every other model computes the full set as cheaply: true, all written. The tick path
    /// only: it moves the leg's warm ALO state (<see cref="LegAmerican"/>).
    /// </summary>
    public static bool TryDeltaOnly(PositionRuntime rt, in LegRuntime leg, double spot, double t, long now, out double delta, out double gamma)
    {
        double r = rt.Rate, q = rt.Dividend;
        delta = gamma = double.NaN;
        if (rt.Style == ExerciseStyle.European) return false;
        if (rt.DividendNs.Length > 0 && leg.Mesh is { } mesh)
        {
            Span<CashDividend> divs = stackalloc CashDividend[MaxDividends];
            int n = Dividends(rt, now, leg.ExpiryNs, divs);
            if (n > 0)
            {
                // the mesh at the IV (usually the one this tick's IV solve left); vega's bumped mesh waits for a reader
                if (!MeshUsable(rt, mesh.X, mesh.Vol, mesh.SolvedNs, leg.Iv, spot, now))
                {
                    DividendAmerican.Solve(leg.Right, spot, leg.Strike, t, r, q, leg.Iv, divs[..n], mesh.X, mesh.V);
                    mesh.Vol = leg.Iv;
                    mesh.SolvedNs = now;
                }
                var m = DividendAmerican.At(mesh.X, mesh.V, spot);
                delta = m.Delta;
                gamma = m.Gamma;
                return true;
            }
        }
        if (!AmericanOption.HasEarlyExercise(leg.Right, r, q) || !AmericanOption.IsSupported(leg.Right, r, q)) return false;
        if (rt.DividendNs.Length > 0)
        {
            foreach (long ex in rt.DividendNs) if (ex > now && ex < leg.ExpiryNs) return false;
        }
        if (!PremiumMaterial(leg.Right, spot, leg.Strike, t, r, q, leg.Iv)) return false;
        var american = leg.American;
        AmericanValue a;
        if (american is null) a = AmericanOption.Value(leg.Right, spot, leg.Strike, t, r, q, leg.Iv);
        else if (!american.TryGet(spot, t, leg.Iv, out a))
        {
            // an underlying tick: the leg's boundary at its IV still holds (it does not depend on spot), only the premium integral is redone
            a = AmericanOption.Value(leg.Right, spot, leg.Strike, t, r, q, leg.Iv, ref american.Warm);
            american.Keep(a, spot, t, leg.Iv);
        }
        delta = a.Delta;
        gamma = a.Gamma;
        return true;
    }

    /// <summary>
    /// Whether the early-exercise premium can matter, by a bound that costs two Black–Scholes
    /// evaluations. For r, q ≥ 0 an American put is worth at most the European put struck at
    /// K·e^{rT} (that European dominates the exercise value K − S at every date, and the American
    /// value is the least such supermartingale), so premium ≤ P_E(K·e^{rT}) − P_E(K); a call by
    /// put-call symmetry, premium ≤ C_E(S·e^{qT}, K) − C_E(S, K). Material when that bound is over
    /// <see cref="ImmaterialPremium"/>, or its delta over <see cref="ImmaterialDelta"/> (the delta
    /// part is a heuristic: a premium below 5e-4 over a spot range of one dollar moves delta by
    /// ~5e-4). Negative rates or yields: material (no bound; ALO decides).
    /// </summary>
    public static bool PremiumMaterial(OptionRight right, double spot, double strike, double t, double r, double q, double vol)
    {
        if (r < 0 || q < 0) return true;
        OptionGreeks plain, grown;
        if (right == OptionRight.Put)
        {
            plain = BlackScholes.Greeks(right, spot, strike, t, r, q, vol);
            grown = BlackScholes.Greeks(right, spot, strike * Math.Exp(r * t), t, r, q, vol);
            return grown.Price - plain.Price > ImmaterialPremium || Math.Abs(grown.Delta - plain.Delta) > ImmaterialDelta;
        }
        double g = Math.Exp(q * t);
        plain = BlackScholes.Greeks(right, spot, strike, t, r, q, vol);
        grown = BlackScholes.Greeks(right, spot * g, strike, t, r, q, vol);
        return grown.Price - plain.Price > ImmaterialPremium || Math.Abs(grown.Delta * g - plain.Delta) > ImmaterialDelta;
    }

    private static OptionGreeks MeshGreeks(PositionRuntime rt, in LegRuntime leg, double spot, double t, long now,
        ReadOnlySpan<CashDividend> divs, bool cache)
    {
        double r = rt.Rate, q = rt.Dividend, vol = leg.Iv;
        var mesh = leg.Mesh;
        bool baseUsable = mesh is not null && MeshUsable(rt, mesh.X, mesh.Vol, mesh.SolvedNs, vol, spot, now);
        // vega is the difference of the two meshes: both from the same clock (a minute of time decay would be 1 % of it)
        bool upUsable = baseUsable && mesh!.UpSolvedNs == mesh.SolvedNs && MeshUsable(rt, mesh.XUp, mesh.UpVol, mesh.UpSolvedNs, vol, spot, now);
        if (!upUsable) baseUsable = baseUsable && mesh!.SolvedNs == now;
        if (baseUsable && upUsable) return FromMesh(leg, mesh!.X, mesh.V, mesh.XUp, mesh.VUp, spot, r, q, vol);
        if (cache && mesh is not null)
        {
            if (!baseUsable)
            {
                DividendAmerican.Solve(leg.Right, spot, leg.Strike, t, r, q, vol, divs, mesh.X, mesh.V);
                mesh.Vol = vol;
                mesh.SolvedNs = now;
            }
            if (!upUsable)
            {
                DividendAmerican.Solve(leg.Right, spot, leg.Strike, t, r, q, vol + VegaBump, divs, mesh.XUp, mesh.VUp);
                mesh.UpVol = vol;
                mesh.UpSolvedNs = now;
            }
            return FromMesh(leg, mesh.X, mesh.V, mesh.XUp, mesh.VUp, spot, r, q, vol);
        }
        // a reader: what the leg's meshes hold at this IV and clock, the rest solved on the stack (the leg's state is not touched)
        Span<double> x = stackalloc double[DividendAmerican.SpaceNodes];
        Span<double> v = stackalloc double[DividendAmerican.SpaceNodes];
        Span<double> xUp = stackalloc double[DividendAmerican.SpaceNodes];
        Span<double> vUp = stackalloc double[DividendAmerican.SpaceNodes];
        if (baseUsable) { mesh!.X.CopyTo(x); mesh.V.CopyTo(v); }
        else DividendAmerican.Solve(leg.Right, spot, leg.Strike, t, r, q, vol, divs, x, v);
        if (upUsable) { mesh!.XUp.CopyTo(xUp); mesh.VUp.CopyTo(vUp); }
        else DividendAmerican.Solve(leg.Right, spot, leg.Strike, t, r, q, vol + VegaBump, divs, xUp, vUp);
        return FromMesh(leg, x, v, xUp, vUp, spot, r, q, vol);
    }

    /// <summary>A mesh solved at this IV, within the refresh window with no ex instant since, the spot inside it.</summary>
    private static bool MeshUsable(PositionRuntime rt, ReadOnlySpan<double> x, double meshVol, long solvedNs, double vol, double spot, long now)
    {
        if (meshVol != vol || now < solvedNs || now - solvedNs > MeshRefreshNs) return false;
        foreach (long ex in rt.DividendNs) if (ex > solvedNs && ex <= now) return false;
        return DividendAmerican.Covers(x, spot);
    }

    /// <summary>
    /// Price, delta, gamma off the mesh; vega by the forward difference to the mesh solved at IV +
    /// <see cref="VegaBump"/> (each read on its own mesh: the layout depends on the vol, and the price
    /// is continuous in it); theta from the Black–Scholes PDE where the option is held,
    /// θ = rV − (r − q)SΔ − ½σ²S²Γ, and 0 where exercise is optimal (the value is the exercise value).
    /// Rho is not computed (NaN): the engine does not report it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static OptionGreeks FromMesh(in LegRuntime leg, ReadOnlySpan<double> x, ReadOnlySpan<double> v, ReadOnlySpan<double> xUp, ReadOnlySpan<double> vUp,
        double spot, double r, double q, double vol)
    {
        var a = DividendAmerican.At(x, v, spot);
        double up = DividendAmerican.At(xUp, vUp, spot).Price;
        double exercise = leg.Right == OptionRight.Call ? spot - leg.Strike : leg.Strike - spot;
        double theta = a.Price <= exercise + 1e-9 ? 0 : r * a.Price - (r - q) * spot * a.Delta - 0.5 * vol * vol * spot * spot * a.Gamma;
        return new OptionGreeks(a.Price, a.Delta, a.Gamma, (up - a.Price) / VegaBump, theta, double.NaN);
    }

    /// <summary>The position's cash dividends with an ex instant in (now, expiry), as years from now; the count written.</summary>
    private static int Dividends(PositionRuntime rt, long now, long expiryNs, Span<CashDividend> into)
    {
        var ns = rt.DividendNs;
        int n = 0;
        for (int i = 0; i < ns.Length && n < into.Length; i++)
        {
            if (ns[i] <= now || ns[i] >= expiryNs) continue;
            into[n++] = new CashDividend((ns[i] - now) / YearNs, rt.DividendAmounts[i]);
        }
        return n;
    }
}
