using System.Runtime.CompilerServices;
using Streamer.Rules.Instruments;

namespace Streamer.Rules.Pricing;

/// <summary>
/// American options on a spot that pays discrete cash dividends, by finite differences: the
/// Black–Scholes PDE in x = ln S on a sinh mesh, Crank–Nicolson in time after a few implicit
/// steps (Rannacher 1984: damps the ringing of the payoff kink), the early-exercise constraint
/// solved inside each step's tridiagonal substitution (Brennan–Schwartz 1977), and the cash
/// dividends as jump conditions at their ex instants.
/// <para>
/// Dividend model: <b>Spot</b> (QuantLib's <c>FdBlackScholesVanillaEngine::Spot</c>): the
/// quoted spot is the diffusing price and it drops by the amount at the ex instant, so just
/// before it V(S) = V(S − D) just after, then the exercise check again (just before an ex-date
/// is when a call is exercised). This is what listed equity options see: the quote is the
/// stock price, dividend included, and the stock opens lower by the dividend; the implied vol
/// is then the vol of that price. (Escrowed — diffuse S − PV(D) — is a modelling convenience
/// that makes the vol mean something else and moves deep in-the-money deltas.)
/// </para>
/// <para>
/// Mesh: <see cref="SpaceNodes"/> nodes x = ln K + β sinh(a + b·u), u uniform, β one standard
/// deviation of ln S over the life: finest at the strike (payoff kink, exercise boundary),
/// spanning 4.5 standard deviations beyond spot and strike plus the total dividend drop. The
/// payoff cell holding the strike is cell averaged (Pooley, Forsyth, Vetzal 2003). The spot need
/// not be a node: price, delta and gamma come from the 4-point Lagrange interpolant, which is
/// continuous in every input — so the price is continuous in the volatility and its implied vol
/// round-trips (<see cref="TrySolveVol"/>); the jump condition reads the mesh the same way.
/// Time: <see cref="Steps"/> over the life, per stretch between ex instants ∝ √length, spaced
/// as (i/count)² from the stretch's end nearest expiry (the boundary moves like √τ there), in blocks of 8 equal steps.
/// </para>
/// <para>
/// Why Brennan–Schwartz and not projection after the solve: projection (QuantLib's
/// <c>FdmAmericanStepCondition</c>) is first order in time — QuantLib's own 2000×2000 price
/// moves by 1e-4 between 2000 and 4000 steps, and 100 projected steps here were 5e-3 off on a
/// 1-year put; with the constraint inside the substitution 100 and 400 steps agree to 2e-5. It
/// is exact for the implicit part when the exercise region lies on one side of one boundary
/// (vanilla calls: high spot; puts: low spot), so the elimination runs away from the exercise
/// region and the substitution comes back out of it taking max(continuation, exercise).
/// </para>
/// Every buffer is the caller's or on the stack: no allocation.
/// </summary>
public static class DividendAmerican
{
    /// <summary>Mesh nodes; measured on the vectors (max price / delta error, K = 100, one step per block): 161 → 1.2e-3, 201 → 1.6e-3 (one wide-grid case), 241 → 6.2e-4 / 6.8e-4, 281 → 6.3e-4 / 1.3e-3.</summary>
    public const int SpaceNodes = 241;
    /// <summary>Time steps over the whole life (fewer per stretch between ex instants, ∝ √length); 50 left 1.6e-3 on a deep in-the-money put, 80 9.2e-4, 100 6.2e-4.</summary>
    public const int Steps = 100;
    /// <summary>Steps per constant-size block (one elimination each): 1 → 6.2e-4 / 6.8e-4 at 4.3 (loaded-box) ms per solve, 4 → same at 2.9, 8 → 6.8e-4 / 6.8e-4 at 1.7, 16 → 9.5e-4 at 1.2.</summary>
    private const int Block = 8;
    private const double Deviations = 4.5;
    /// <summary>sinh mesh parameter β in standard deviations of ln S over the life: 0.5 → 3.8e-3 delta, 2 → 2.5e-3, 1 → 8.4e-4 (at 201 nodes).</summary>
    private const double Concentration = 1.0;
    private const double SpotReach = 0.25;
    private const int DampingSteps = 3;

    /// <summary>Price, delta and gamma per share. Dividends: sorted by time; those outside (0, t) or not positive are ignored.</summary>
    public static AmericanValue Value(OptionRight right, double spot, double strike, double t, double r, double q, double vol,
        ReadOnlySpan<CashDividend> dividends)
    {
        Span<double> x = stackalloc double[SpaceNodes];
        Span<double> v = stackalloc double[SpaceNodes];
        Solve(right, spot, strike, t, r, q, vol, dividends, x, v);
        return At(x, v, spot);
    }

    /// <summary>Price, delta and gamma at <paramref name="spot"/> from a solved mesh (any spot inside it: the values at now hold for every spot).</summary>
    public static AmericanValue At(ReadOnlySpan<double> x, ReadOnlySpan<double> v, double spot)
    {
        double price = Interpolate(x, v, Math.Log(spot), out double dx, out double dxx);
        return new AmericanValue(price, dx / spot, (dxx - dx) / (spot * spot));
    }

    /// <summary>Whether <paramref name="spot"/> lies well inside the mesh (away from the far-field rows), so <see cref="At"/> is as accurate there.</summary>
    public static bool Covers(ReadOnlySpan<double> x, double spot)
    {
        double xs = Math.Log(spot);
        return xs > x[SpaceNodes / 8] && xs < x[SpaceNodes - 1 - SpaceNodes / 8];
    }

    /// <summary>
    /// Solves the PDE from expiry to now: <paramref name="x"/> gets the mesh (ln S), <paramref name="v"/> the
    /// values now (both <see cref="SpaceNodes"/> long). The mesh is laid out around <paramref name="spot"/>.
    /// </summary>
    // compiled optimized from the first call: a replay or a restart does not run this kernel at tier 0 for its first ~100 ms
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Solve(OptionRight right, double spot, double strike, double t, double r, double q, double vol,
        ReadOnlySpan<CashDividend> dividends, Span<double> x, Span<double> v)
    {
        const int n = SpaceNodes;
        if (x.Length != n || v.Length != n) throw new ArgumentException($"mesh buffers must be {n} long");
        Span<double> s = stackalloc double[n];
        Span<double> exercise = stackalloc double[n];
        Span<double> w = stackalloc double[n];
        Span<double> lo = stackalloc double[n];   // L's sub-, main and super-diagonal
        Span<double> di = stackalloc double[n];
        Span<double> up = stackalloc double[n];
        Span<double> cp = stackalloc double[n];   // Thomas factors of the implicit matrix of the current step size
        Span<double> m = stackalloc double[n];

        bool call = right == OptionRight.Call;
        double sumD = 0;
        foreach (var d in dividends) if (d.Time > 0 && d.Time < t && d.Amount > 0) sumD += d.Amount;
        double sd = Math.Max(vol * Math.Sqrt(t), 5e-3);
        double xs = Math.Log(spot), xk = Math.Log(strike);
        double drop = sumD > 0 ? Math.Log(spot / Math.Max(spot - sumD, 0.2 * spot)) : 0;
        double xMin = Math.Min(xs - drop, xk) - Deviations * sd, xMax = Math.Max(xs, xk) + Deviations * sd;
        // sinh mesh x = xk + β sinh(a + b·u), u ∈ [0, 1]: spacing ∝ √(β² + (x − xk)²), finest (β·b/(n−1)) at the strike
        // concentrated at the strike, but not so hard that a spot many deviations away sits on a coarse stretch
        double beta = Math.Max(Concentration * sd, SpotReach * Math.Abs(xs - xk));
        double a0 = Math.Asinh((xMin - xk) / beta), b0 = Math.Asinh((xMax - xk) / beta) - a0;
        for (int j = 0; j < n; j++)
        {
            x[j] = xk + beta * Math.Sinh(a0 + b0 * j / (n - 1));
            s[j] = Math.Exp(x[j]);
            exercise[j] = Math.Max(call ? s[j] - strike : strike - s[j], 0);
        }
        // terminal values: the exercise value, cell averaged over the cell holding the strike
        exercise.CopyTo(v);
        for (int j = 1; j < n - 1; j++)
        {
            double xl = 0.5 * (x[j - 1] + x[j]), xr = 0.5 * (x[j] + x[j + 1]);
            if (xk <= xl || xk >= xr) continue;
            v[j] = call
                ? (Math.Exp(xr) - strike - strike * (xr - xk)) / (xr - xl)
                : (strike * (xk - xl) - (strike - Math.Exp(xl))) / (xr - xl);
            break;
        }
        // L = ½σ² ∂xx + (r − q − ½σ²) ∂x − r on the non-uniform mesh (three-point stencils)
        double diffusion = 0.5 * vol * vol, drift = r - q - diffusion;
        for (int j = 1; j < n - 1; j++)
        {
            double hm = x[j] - x[j - 1], hp = x[j + 1] - x[j], hs = hm + hp;
            lo[j] = diffusion * 2 / (hm * hs) - drift * hp / (hm * hs);
            up[j] = diffusion * 2 / (hp * hs) + drift * hm / (hp * hs);
            di[j] = -diffusion * 2 / (hm * hp) + drift * (hp - hm) / (hm * hp) - r;
        }

        // backward in calendar time from expiry; the stretches end at the ex instants (sorted ascending; latest first here)
        double now = t;          // calendar time of the current values
        bool damp = true;
        int k = dividends.Length - 1;
        while (true)
        {
            while (k >= 0 && !(dividends[k].Time > 0 && dividends[k].Time < now && dividends[k].Amount > 0)) k--;
            double end = k >= 0 ? dividends[k].Time : 0;
            double span = now - end;
            int count = Math.Max(4, (int)Math.Ceiling(Steps * Math.Sqrt(span / t)));
            // steps ∝ (i/count)² from the stretch's start (the boundary moves like √τ after expiry and after an ex
            // instant), but constant within blocks of Block steps, so the elimination is redone once per block
            // (its division chain is ~40% of a step) instead of every step
            int implicitSteps = damp ? DampingSteps : 1;
            double factoredDt = double.NaN, factoredTheta = double.NaN;
            for (int i = 1; i <= count; i++)
            {
                int first = (i - 1) / Block * Block, last = Math.Min(first + Block, count);
                double u0 = (double)first / count, u1 = (double)last / count;
                double dt = span * (u1 * u1 - u0 * u0) / (last - first);
                // the first steps implicit (Rannacher-style damping: Crank–Nicolson alone leaves the payoff
                // kink, and the kink the exercise constraint puts in at an ex instant, ringing on the fine mesh)
                double theta = i <= implicitSteps ? 1.0 : 0.5;
                if (dt != factoredDt || theta != factoredTheta)
                {
                    Factor(lo, di, up, cp, m, dt, theta, call);
                    factoredDt = dt;
                    factoredTheta = theta;
                }
                now -= dt;
                Step(v, w, lo, di, up, cp, m, dt, theta, exercise, s, call, strike, t - now, r, q, dividends, now);
            }
            damp = false;
            now = end;
            if (k < 0) break;
            // the ex instant: just before it the stock is worth D more than just after (Spot model)
            double amount = dividends[k].Amount;
            v.CopyTo(w);
            for (int j = 0; j < n; j++)
            {
                double after = s[j] - amount;
                double held = after <= s[0]
                    ? (call ? 0 : strike - Math.Max(after, 0))
                    : Interpolate(x, w, Math.Log(after), out _, out _);
                v[j] = Math.Max(held, exercise[j]);
            }
            k--;
        }
    }

    /// <summary>
    /// The volatility whose price is <paramref name="price"/>. With a usable <paramref name="guess"/>
    /// (the leg's last IV) first the warm secant of <see cref="WarmVolSolver"/>; else, or if that
    /// gives up, Illinois regula falsi (<see cref="WarmVolSolver.SolveBracketed"/>) on σ ∈ [1e-3, 5] started from the European IV of the price on
    /// the spot net of the dividends' present value, with one Newton step on that European vega.
    /// Stops when the price is matched to 2e-12 relative (a deep in-the-money vega of 1e-4 still pins σ to 1e-7) or the bracket is 1e-10 wide. Same
    /// statuses as <see cref="AmericanOption.TrySolveVol"/>.
    /// </summary>
    public static IvStatus TrySolveVol(OptionRight right, double price, double spot, double strike, double t, double r, double q,
        ReadOnlySpan<CashDividend> dividends, double guess, out double vol)
    {
        vol = 0;
        if (!(spot > 0 && strike > 0 && t > 0 && double.IsFinite(spot) && double.IsFinite(strike) && double.IsFinite(t)
              && double.IsFinite(price) && double.IsFinite(r) && double.IsFinite(q)) || right == OptionRight.None)
            return IvStatus.InvalidInput;
        bool call = right == OptionRight.Call;
        double exerciseNow = Math.Max(call ? spot - strike : strike - spot, 0);
        if (price < exerciseNow) return IvStatus.BelowIntrinsic;
        if (price >= (call ? spot : strike)) return IvStatus.AboveMaximum;

        const double MinVol = 1e-3, MaxVol = 5.0;
        double tolerance = 2e-12 * Math.Max(price, 1e-2);
        double netSpot = spot - PresentValue(dividends, t, r);
        if (guess > MinVol && guess < MaxVol && netSpot > 0)
        {
            var pricer = new Pricer(right, spot, strike, t, r, q, dividends);
            var (warmVega, warmVolga) = WarmVolSolver.EuropeanShape(right, netSpot, strike, t, r, q, guess);
            if (WarmVolSolver.TrySolve(ref pricer, price, guess, warmVega, warmVolga, tolerance, out vol, out _)) return IvStatus.Ok;
        }
        double lo = MinVol, fLo = Value(right, spot, strike, t, r, q, lo, dividends).Price - price;
        if (fLo >= 0) return fLo <= tolerance ? IvStatus.Ok : IvStatus.BelowIntrinsic;
        double hi = MaxVol, fHi = Value(right, spot, strike, t, r, q, hi, dividends).Price - price;
        if (fHi <= 0) return IvStatus.AboveMaximum;

        double x = guess;
        if (!(x > lo && x < hi))
            x = netSpot > 0 && ImpliedVolatility.TrySolve(right, price, netSpot, strike, t, r, q, out double european) == IvStatus.Ok
                ? Math.Clamp(european, 2 * lo, 0.5 * hi) : 0.3;
        double fx = Value(right, spot, strike, t, r, q, x, dividends).Price - price;
        if (Math.Abs(fx) <= tolerance) { vol = x; return IvStatus.Ok; }
        double vega = netSpot > 0 ? BlackScholes.Greeks(right, netSpot, strike, t, r, q, x).Vega : 0;
        var cold = new Pricer(right, spot, strike, t, r, q, dividends);
        vol = WarmVolSolver.SolveBracketed(ref cold, price, lo, fLo, hi, fHi, x, fx, vega, tolerance, 1e-10, 100);
        return IvStatus.Ok;
    }

    /// <summary>
    /// The tick path's implied vol: as <see cref="TrySolveVol(OptionRight, double, double, double, double, double, double, ReadOnlySpan{CashDividend}, double, out double)"/>,
    /// but every evaluation solves into the leg's own mesh buffers (<paramref name="x"/>, <paramref name="v"/>), so
    /// after a warm solve (<paramref name="meshAtVol"/> true) they hold the mesh at the returned vol and the tick's
    /// delta is read off it with no further solve; the first step is a Halley step on the European vega and volga
    /// of the spot net of the dividends times the leg's <paramref name="ratio"/>, which the solve then re-measures.
    /// Converged at a vol error of <see cref="AmericanOption.WarmVolTolerance"/> by that vega (or the price to
    /// 2e-12, the looser). <paramref name="guessMeshAge"/>: years since the buffers' mesh was solved at the guess (the
    /// leg's mesh at its last IV), which then prices the guess without a solve; negative: they hold none.
    /// False <paramref name="meshAtVol"/>: the buffers hold no usable mesh (the cold solve ran).
    /// </summary>
    internal static IvStatus TrySolveVol(OptionRight right, double price, double spot, double strike, double t, double r, double q,
        ReadOnlySpan<CashDividend> dividends, double guess, ref VegaRatio ratio, Span<double> x, Span<double> v, double guessMeshAge,
        out double vol, out bool meshAtVol)
    {
        meshAtVol = false;
        double netSpot = spot - PresentValue(dividends, t, r);
        if (guess > WarmVolSolver.MinVol && guess < WarmVolSolver.MaxVol && netSpot > 0 && spot > 0 && strike > 0 && t > 0
            && double.IsFinite(price) && price >= Math.Max(right == OptionRight.Call ? spot - strike : strike - spot, 0)
            && price < (right == OptionRight.Call ? spot : strike) && right != OptionRight.None)
        {
            var pricer = new MeshPricer(right, spot, strike, t, r, q, dividends, x, v, guess, guessMeshAge);
            var (vega, volga) = WarmVolSolver.EuropeanShape(right, netSpot, strike, t, r, q, guess);
            double k = ratio.Value;
            double tolerance = Math.Max(2e-12 * Math.Max(price, 1e-2), AmericanOption.WarmVolTolerance * vega);
            if (WarmVolSolver.TrySolve(ref pricer, price, guess, k * vega, k * volga, tolerance, out vol, out var step))
            {
                ratio.Measure(right, netSpot, strike, t, r, q, in step);
                meshAtVol = true;
                return IvStatus.Ok;
            }
        }
        return TrySolveVol(right, price, spot, strike, t, r, q, dividends, double.NaN, out vol);
    }

    // each evaluation leaves its mesh in the caller's buffers: the last one is at the vol the solver returns. The
    // first, at the guess, is read off the mesh the buffers already hold when that is the guess's (the leg's last
    // IV), solved guessMeshAge years ago: its value carried to now along the PDE's θ, good to O(age²) — it only
    // aims the first step; convergence is judged on fresh solves
    private ref struct MeshPricer(OptionRight right, double spot, double strike, double t, double r, double q,
        ReadOnlySpan<CashDividend> dividends, Span<double> x, Span<double> v, double guess, double guessMeshAge) : IVolPricer
    {
        private readonly ReadOnlySpan<CashDividend> _dividends = dividends;
        private readonly Span<double> _x = x, _v = v;
        private bool _kept = guessMeshAge >= 0;

        public double Price(double vol)
        {
            if (_kept && vol == guess)
            {
                _kept = false;
                var a = At(_x, _v, spot);
                double exercise = right == OptionRight.Call ? spot - strike : strike - spot;
                double theta = a.Price <= exercise + 1e-9 ? 0 : r * a.Price - (r - q) * spot * a.Delta - 0.5 * vol * vol * spot * spot * a.Gamma;
                return a.Price + theta * guessMeshAge;
            }
            _kept = false;
            Solve(right, spot, strike, t, r, q, vol, _dividends, _x, _v);
            return At(_x, _v, spot).Price;
        }
    }

    private readonly ref struct Pricer(OptionRight right, double spot, double strike, double t, double r, double q, ReadOnlySpan<CashDividend> dividends) : IVolPricer
    {
        private readonly ReadOnlySpan<CashDividend> _dividends = dividends;
        public double Price(double vol) => Value(right, spot, strike, t, r, q, vol, _dividends).Price;
    }

    /// <summary>Σ D·e^{−r·t_D} over the dividends inside (0, t).</summary>
    public static double PresentValue(ReadOnlySpan<CashDividend> dividends, double t, double r)
    {
        double pv = 0;
        foreach (var d in dividends) if (d.Time > 0 && d.Time < t && d.Amount > 0) pv += d.Amount * Math.Exp(-r * d.Time);
        return pv;
    }

    /// <summary>
    /// Elimination of (I − θ·dt·L) with Dirichlet rows at both ends, once per step size, towards the
    /// exercise region (a call's is at high spot, a put's at low spot): coupling factors and inverse pivots.
    /// </summary>
    // compiled optimized from the first call: a replay or a restart does not run this kernel at tier 0 for its first ~100 ms
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Factor(Span<double> lo, Span<double> di, Span<double> up, Span<double> cp, Span<double> m, double dt, double theta, bool call)
    {
        int n = lo.Length;
        if (call)
        {
            cp[0] = 0;
            for (int j = 1; j < n - 1; j++)
            {
                double a = -theta * dt * lo[j], b = 1 - theta * dt * di[j], c = -theta * dt * up[j];
                double inverse = 1 / (b - a * cp[j - 1]);
                m[j] = inverse;
                cp[j] = c * inverse;
            }
        }
        else
        {
            cp[n - 1] = 0;
            for (int j = n - 2; j >= 1; j--)
            {
                double a = -theta * dt * lo[j], b = 1 - theta * dt * di[j], c = -theta * dt * up[j];
                double inverse = 1 / (b - c * cp[j + 1]);
                m[j] = inverse;
                cp[j] = a * inverse;
            }
        }
    }

    /// <summary>
    /// One θ-step from the values at calendar time now + dt to now, with the early-exercise
    /// constraint solved inside the substitution (Brennan–Schwartz 1977: exact for the implicit
    /// part when the exercise region is one side of a single boundary, as for vanilla calls and
    /// puts): the substitution starts in the exercise region and takes max(continuation, exercise)
    /// node by node. Explicit projection after the solve is first order in time; this is not.
    /// </summary>
    // compiled optimized from the first call: a replay or a restart does not run this kernel at tier 0 for its first ~100 ms
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Step(Span<double> v, Span<double> w, ReadOnlySpan<double> lo, ReadOnlySpan<double> di, ReadOnlySpan<double> up,
        ReadOnlySpan<double> cp, ReadOnlySpan<double> m, double dt, double theta, ReadOnlySpan<double> exercise, ReadOnlySpan<double> s,
        bool call, double strike, double tau, double r, double q, ReadOnlySpan<CashDividend> dividends, double now)
    {
        int n = v.Length;
        double explicitWeight = (1 - theta) * dt, implicitWeight = theta * dt;
        // right-hand side (I + (1−θ)·dt·L) v, Dirichlet values at the ends
        Boundary(call, s[0], s[n - 1], strike, tau, r, q, dividends, now, out double bLow, out double bHigh);
        w[0] = bLow;
        for (int j = 1; j < n - 1; j++)
            w[j] = v[j] + explicitWeight * (lo[j] * v[j - 1] + di[j] * v[j] + up[j] * v[j + 1]);
        w[n - 1] = bHigh;
        if (call)
        {
            v[0] = w[0];
            for (int j = 1; j < n - 1; j++) v[j] = (w[j] + implicitWeight * lo[j] * v[j - 1]) * m[j];
            v[n - 1] = w[n - 1];
            for (int j = n - 2; j >= 1; j--) v[j] = Math.Max(v[j] - cp[j] * v[j + 1], exercise[j]);
        }
        else
        {
            v[n - 1] = w[n - 1];
            for (int j = n - 2; j >= 1; j--) v[j] = (w[j] + implicitWeight * up[j] * v[j + 1]) * m[j];
            v[0] = w[0];
            for (int j = 1; j < n - 1; j++) v[j] = Math.Max(v[j] - cp[j] * v[j - 1], exercise[j]);
        }
    }

    /// <summary>Far-field values: deep out of the money 0, deep in the money the larger of exercise and the forward's value net of the dividends still ahead.</summary>
    private static void Boundary(bool call, double sLow, double sHigh, double strike, double tau, double r, double q,
        ReadOnlySpan<CashDividend> dividends, double now, out double low, out double high)
    {
        double pv = 0;
        foreach (var d in dividends) if (d.Time > now && d.Time < now + tau && d.Amount > 0) pv += d.Amount * Math.Exp(-r * (d.Time - now));
        double dfr = Math.Exp(-r * tau), dfq = Math.Exp(-q * tau);
        if (call)
        {
            low = 0;
            high = Math.Max(sHigh - strike, sHigh * dfq - pv - strike * dfr);
        }
        else
        {
            low = Math.Max(strike - sLow, strike * dfr - Math.Max(sLow * dfq - pv, 0));
            high = 0;
        }
    }

    /// <summary>The 4-point Lagrange interpolant of f on the mesh at xq, with its first and second x-derivatives.</summary>
    // compiled optimized from the first call: a replay or a restart does not run this kernel at tier 0 for its first ~100 ms
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double Interpolate(ReadOnlySpan<double> x, ReadOnlySpan<double> f, double xq, out double d1, out double d2)
    {
        int n = x.Length;
        // the interval [x_i, x_{i+1}] holding xq, then the stencil i−1 … i+2 (shifted at the ends)
        int lo = 0, hi = n - 1;
        while (hi - lo > 1)
        {
            int mid = (lo + hi) >> 1;
            if (x[mid] <= xq) lo = mid; else hi = mid;
        }
        int i0 = Math.Clamp(lo - 1, 0, n - 4);
        double value = 0;
        d1 = 0;
        d2 = 0;
        for (int a = 0; a < 4; a++)
        {
            double xa = x[i0 + a];
            double denom = 1, l = 1, dl = 0, ddl = 0;
            for (int b = 0; b < 4; b++)
            {
                if (b == a) continue;
                double xb = x[i0 + b];
                denom *= xa - xb;
                double e = xq - xb;
                // product rule: (l·e)'' = l''e + 2l', (l·e)' = l'e + l
                ddl = ddl * e + 2 * dl;
                dl = dl * e + l;
                l *= e;
            }
            double fa = f[i0 + a] / denom;
            value += fa * l;
            d1 += fa * dl;
            d2 += fa * ddl;
        }
        return value;
    }
}
