using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Streamer.Rules.Instruments;

namespace Streamer.Rules.Pricing;

/// <summary>
/// American exercise, continuous r and q (US equity options), by the Andersen–Lake–Offengenden
/// fixed-point method (see <see cref="ExerciseBoundary"/>): price, delta and gamma analytic from
/// the boundary integral representation; theta from the Black–Scholes PDE; vega and rho by central
/// bumps that re-solve the boundary. Calls through put-call symmetry C(S,K,r,q) = P(K,S,q,r).
/// When early exercise never pays (put with r ≤ 0, call with q ≤ 0: <see cref="HasEarlyExercise"/>)
/// the value is the European one. The double-boundary regime of negative rates (put with
/// q &lt; r &lt; 0, call with r &lt; q &lt; 0) is not modelled: <see cref="IsSupported"/> is false.
/// </summary>
public static class AmericanOption
{
    private const int PremiumPoints = 32;
    // per premium point θ_k: √((T−u)/T) = cosθ_k, the weight (π/2) w_k sinθ_k, the boundary's Chebyshev basis
    private static readonly double[] PremiumCos = BuildPremiumTable(0);
    private static readonly double[] PremiumWeight = BuildPremiumTable(1);
    private static readonly double[] PremiumBasis = BuildPremiumTable(2);
    // 2 sinθ_k: ξ + 1 at the premium points for a maturity equal to the boundary's (scaled by √(t/T) for a shorter one)
    private static readonly double[] PremiumTwoSin = BuildPremiumTable(3);

    /// <summary>false only in the negative-rate double-boundary regime.</summary>
    public static bool IsSupported(OptionRight right, double r, double q)
    {
        (double rp, double qp) = right == OptionRight.Call ? (q, r) : (r, q);
        return !(rp < 0 && qp < rp);
    }

    /// <summary>Whether early exercise can ever be optimal (else the American value is the European).</summary>
    public static bool HasEarlyExercise(OptionRight right, double r, double q)
    {
        double rp = right == OptionRight.Call ? q : r;
        return rp > 0;
    }

    public static double Price(OptionRight right, double spot, double strike, double t, double r, double q, double vol)
        => Value(right, spot, strike, t, r, q, vol).Price;

    /// <summary>Price, delta and gamma; one boundary solve.</summary>
    public static AmericanValue Value(OptionRight right, double spot, double strike, double t, double r, double q, double vol)
    {
        if (!HasEarlyExercise(right, r, q) || !(vol * Math.Sqrt(t) > 0))
        {
            var e = BlackScholes.Greeks(right, spot, strike, t, r, q, vol);
            if (!(vol * Math.Sqrt(t) > 0) && HasEarlyExercise(right, r, q))
                return Intrinsic(right, spot, strike, e);
            return new AmericanValue(e.Price, e.Delta, e.Gamma);
        }
        if (right == OptionRight.Put)
        {
            ExerciseBoundary.Solve(r, q, vol, t, out var boundary);
            return Put(spot, strike, t, in boundary);
        }
        // call = put on the strike with the roles of r and q swapped: P(S'=K, K'=S, r'=q, q'=r)
        ExerciseBoundary.Solve(q, r, vol, t, out var mirrored);
        return FromPut(call: true, spot, strike, Put(strike, spot, t, in mirrored));
    }

    /// <summary>
    /// A clock move this small against the boundary's maturity keeps the boundary as it is (no re-solve): read
    /// on [0, t] it is the same function, resolved by the same nodes to within 2 % of their spacing.
    /// </summary>
    internal const double BoundaryReuseSpan = 0.02;

    /// <summary>
    /// As <see cref="Value(OptionRight, double, double, double, double, double, double)"/>, from and into a leg's
    /// <paramref name="warm"/> state: the boundary is reused when vol, r and q are the same and only the clock
    /// moved (less than <see cref="BoundaryReuseSpan"/> of the maturity), else re-solved starting from it.
    /// </summary>
    internal static AmericanValue Value(OptionRight right, double spot, double strike, double t, double r, double q, double vol,
        ref AmericanWarmStart warm)
    {
        if (!HasEarlyExercise(right, r, q) || !IsSupported(right, r, q) || !(vol * Math.Sqrt(t) > 0) || !(spot > 0 && strike > 0))
            return Value(right, spot, strike, t, r, q, vol);
        bool call = right == OptionRight.Call;
        double sp = call ? strike : spot, kp = call ? spot : strike, rp = call ? q : r, qp = call ? r : q;
        BoundaryFor(ref warm, rp, qp, vol, t);
        return FromPut(call, spot, strike, Put(sp, kp, t, in warm.Boundary));
    }

    // the unit-strike put boundary for (r', q', vol) at maturity t in warm.Boundary: kept, re-solved from the kept one, or solved cold
    private static void BoundaryFor(ref AmericanWarmStart warm, double rp, double qp, double vol, double t)
    {
        ExerciseBoundary next;
        if (warm.HasBoundary && warm.Boundary.R == rp && warm.Boundary.Q == qp)
        {
            ref readonly var kept = ref warm.Boundary;
            if (kept.Vol == vol && t <= kept.T && t >= kept.T * (1 - BoundaryReuseSpan))
            {
                warm.Reuses++;
                return;
            }
            ExerciseBoundary.SolveWarm(in kept, in warm.LnSlope, rp, qp, vol, t, out next);
            double dVol = vol - kept.Vol;
            // a vol step large enough to measure the slope by, small enough for it to be local
            if (Math.Abs(dVol) > 1e-6 && Math.Abs(dVol) < 0.05)
            {
                for (int i = 0; i < 8; i++) warm.LnSlope[i] = Math.Log(next.NodeValues[i] / kept.NodeValues[i]) / dVol;
            }
        }
        else
        {
            // QD+ and the cold tolerance, then on to the warm one: every warm-state price is solved as tightly
            ExerciseBoundary.Solve(rp, qp, vol, t, out var cold);
            ExerciseBoundary.SolveWarm(in cold, rp, qp, vol, t, out next);
        }
        warm.Boundary = next;
        warm.HasBoundary = true;
        warm.Solves++;
    }

    // a call's value from its mirrored put P(S' = K, K' = S): p is homogeneous of degree one in (S', K'),
    // so ∂P/∂K' = (P − S'·∂P/∂S')/K' and ∂²P/∂K'² = (S'/K')²·∂²P/∂S'²
    private static AmericanValue FromPut(bool call, double spot, double strike, AmericanValue p)
        => call ? new AmericanValue(p.Price, (p.Price - strike * p.Delta) / spot, strike * strike / (spot * spot) * p.Gamma) : p;

    /// <summary>
    /// All Greeks in QuantLib's units (vega per 1.00 vol, theta per year, rho per 1.00 rate).
    /// Theta from the PDE θ = rV − (r−q)SΔ − ½σ²S²Γ (0 where exercise is optimal); vega and rho by
    /// central differences of ±1e-4, the bumped boundaries re-solved from the base one instead of from
    /// QD+ (<see cref="CentralDifference"/>).
    /// </summary>
    public static OptionGreeks Greeks(OptionRight right, double spot, double strike, double t, double r, double q, double vol)
    {
        if (!HasEarlyExercise(right, r, q))
            return BlackScholes.Greeks(right, spot, strike, t, r, q, vol); // exactly European (and no bump across r = 0)
        if (!(vol * Math.Sqrt(t) > 0))
            return DegenerateGreeks(right, spot, strike, t, r, q, vol);
        // in put space: a call is the put P(S' = K, K' = S, r' = q, q' = r)
        bool call = right == OptionRight.Call;
        double sp = call ? strike : spot, kp = call ? spot : strike, rp = call ? q : r, qp = call ? r : q;
        ExerciseBoundary.Solve(rp, qp, vol, t, out var boundary);
        var v = FromPut(call, spot, strike, Put(sp, kp, t, in boundary));
        double exerciseNow = call ? spot - strike : strike - spot;
        bool exercised = v.Gamma == 0 && v.Price <= exerciseNow + 1e-12 * strike;
        double theta = exercised ? 0 : r * v.Price - (r - q) * spot * v.Delta - 0.5 * vol * vol * spot * spot * v.Gamma;
        const double dv = 1e-4, dr = 1e-4;
        double vega = vol > dv
            ? CentralDifference(in boundary, sp, kp, rp, qp, vol, dv, 0, 0)
            : (BumpedUp(in boundary, sp, kp, rp, qp, vol + dv, out _) - v.Price) / dv;
        // r is the put's r' for a put and its q' for a call
        double rho = call ? CentralDifference(in boundary, sp, kp, rp, qp, vol, 0, 0, dr) : CentralDifference(in boundary, sp, kp, rp, qp, vol, 0, dr, 0);
        return new OptionGreeks(v.Price, v.Delta, v.Gamma, vega, theta, rho);
    }

    private const int DownSteps = 2;

    // zero vol or time: no boundary to reuse; the plain bumps of the price (vega one-sided, from vol 0)
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static OptionGreeks DegenerateGreeks(OptionRight right, double spot, double strike, double t, double r, double q, double vol)
    {
        var v = Value(right, spot, strike, t, r, q, vol);
        double exerciseNow = right == OptionRight.Call ? spot - strike : strike - spot;
        bool exercised = v.Gamma == 0 && v.Price <= exerciseNow + 1e-12 * strike;
        double theta = exercised ? 0 : r * v.Price - (r - q) * spot * v.Delta;
        const double dv = 1e-4, dr = 1e-4;
        double vega = (Price(right, spot, strike, t, r, q, vol + dv) - v.Price) / dv;
        double rho = (Price(right, spot, strike, t, r + dr, q, vol) - Price(right, spot, strike, t, r - dr, q, vol)) / (2 * dr);
        return new OptionGreeks(v.Price, v.Delta, v.Gamma, vega, theta, rho);
    }

    // (P(x + h) − P(x − h))/2h for one of vol, r', q' bumped (the others' h are 0): the up-bump converges from
    // the base boundary, the down-bump from the reflection 2·B₀ − B₊ (a start good to O(h²)); a side where
    // the bump ends early exercise is European
    private static double CentralDifference(in ExerciseBoundary start, double sp, double kp, double rp, double qp, double vol,
        double dv, double dr, double dq)
    {
        double h = dv + dr + dq;
        double up = BumpedUp(in start, sp, kp, rp + dr, qp + dq, vol + dv, out var upBoundary);
        double rDown = rp - dr, qDown = qp - dq, volDown = vol - dv;
        double down;
        if (!(rDown > 0)) down = BlackScholes.Price(OptionRight.Put, sp, kp, start.T, rDown, qDown, volDown);
        else if (!(rp + dr > 0 && upBoundary.T > 0)) down = BumpedUp(in start, sp, kp, rDown, qDown, volDown, out _);
        else
        {
            ExerciseBoundary.SolveReflected(in start, in upBoundary, rDown, qDown, volDown, DownSteps, out var downBoundary);
            down = Put(sp, kp, start.T, in downBoundary).Price;
        }
        return (up - down) / (2 * h);
    }

    private static double BumpedUp(in ExerciseBoundary start, double sp, double kp, double rp, double qp, double vol, out ExerciseBoundary boundary)
    {
        if (!(rp > 0))
        {
            boundary = default;
            return BlackScholes.Price(OptionRight.Put, sp, kp, start.T, rp, qp, vol);
        }
        ExerciseBoundary.SolveFrom(in start, rp, qp, vol, 0, out boundary);
        return Put(sp, kp, start.T, in boundary).Price;
    }

    /// <summary>
    /// As <see cref="TrySolveVol(OptionRight, double, double, double, double, double, double, out double)"/>, warm started
    /// from <paramref name="guess"/> (e.g. the leg's last IV) by <see cref="WarmVolSolver"/>; NaN or an
    /// unusable guess, or a warm solve that gives up, is the cold solve.
    /// </summary>
    public static IvStatus TrySolveVol(OptionRight right, double price, double spot, double strike, double t, double r, double q, double guess, out double vol)
    {
        if (guess > 1e-3 && guess < 5 && spot > 0 && strike > 0 && t > 0 && double.IsFinite(price) && price > 0
            && HasEarlyExercise(right, r, q) && IsSupported(right, r, q)
            && price >= (right == OptionRight.Call ? spot - strike : strike - spot) && price < (right == OptionRight.Call ? spot : strike))
        {
            var pricer = new Pricer(right, spot, strike, t, r, q);
            var (vega, volga) = WarmVolSolver.EuropeanShape(right, spot, strike, t, r, q, guess);
            if (WarmVolSolver.TrySolve(ref pricer, price, guess, vega, volga, 1e-10 * Math.Max(price, 1e-3), out vol, out _)) return IvStatus.Ok;
        }
        return TrySolveVol(right, price, spot, strike, t, r, q, out vol);
    }

    private readonly struct Pricer(OptionRight right, double spot, double strike, double t, double r, double q) : IVolPricer
    {
        public double Price(double vol) => AmericanOption.Price(right, spot, strike, t, r, q, vol);
    }

    /// <summary>
    /// The implied vol of a leg's American price from its last IV (<paramref name="guess"/>) and its
    /// <paramref name="warm"/> state: <see cref="WarmVolSolver"/> (one Halley step on the European vega and volga
    /// times the leg's <see cref="VegaRatio"/>, then secant steps), each evaluation's boundary re-solved from the one before, the first usually
    /// reused outright (the leg's last IV is its boundary's vol). Converged when the price is matched to
    /// <see cref="WarmPriceTolerance"/>. <paramref name="value"/>: price, delta and gamma at the returned vol
    /// (what delta_stop reads, with no further solve). No usable guess, or a warm solve that gives up: the
    /// cold solve, then one evaluation at its vol to seed the warm state.
    /// </summary>
    internal static IvStatus TrySolveVol(OptionRight right, double price, double spot, double strike, double t, double r, double q, double guess,
        ref AmericanWarmStart warm, out double vol, out AmericanValue value)
    {
        if (guess > 1e-3 && guess < 5 && spot > 0 && strike > 0 && t > 0 && double.IsFinite(price) && price > 0
            && HasEarlyExercise(right, r, q) && IsSupported(right, r, q)
            && price >= (right == OptionRight.Call ? spot - strike : strike - spot) && price < (right == OptionRight.Call ? spot : strike))
        {
            var pricer = new WarmPricer(right, spot, strike, t, r, q, ref warm);
            var (vega, volga) = WarmVolSolver.EuropeanShape(right, spot, strike, t, r, q, guess);
            double ratio = warm.VegaRatio.Value;
            if (WarmVolSolver.TrySolve(ref pricer, price, guess, ratio * vega, ratio * volga, WarmPriceTolerance(price, vega), out vol, out var step))
            {
                value = pricer.Last;
                warm.VegaRatio.Measure(right, spot, strike, t, r, q, in step);
                return IvStatus.Ok;
            }
        }
        var status = TrySolveVol(right, price, spot, strike, t, r, q, out vol);
        value = status == IvStatus.Ok ? Value(right, spot, strike, t, r, q, vol, ref warm) : default;
        return status;
    }

    /// <summary>
    /// A warm IV solve stops when the price is this close: 1e-10 of the price, or a vol error of
    /// <see cref="WarmVolTolerance"/> by the European vega, the looser (both far below the 1e-6 round trip;
    /// the warm boundaries' own price noise is below either, so the secant converges instead of chasing it).
    /// </summary>
    internal static double WarmPriceTolerance(double price, double europeanVega) => Math.Max(1e-10 * Math.Max(price, 1e-3), WarmVolTolerance * europeanVega);

    /// <summary>The vol error a warm IV solve accepts: 10× inside the 1e-6 round trip (AmericanWarmStartTests' quote walk: 2.2 evaluations a quote at 1e-7, 2.5 at 2e-8; worst IV error 1.9e-7), a delta error of ~1e-8.</summary>
    internal const double WarmVolTolerance = 1e-7;

    private ref struct WarmPricer : IVolPricer
    {
        private readonly OptionRight _right;
        private readonly double _spot, _strike, _t, _r, _q;
        private ref AmericanWarmStart _warm;
        /// <summary>The last evaluation: the value at the vol the solver returns.</summary>
        public AmericanValue Last;

        public WarmPricer(OptionRight right, double spot, double strike, double t, double r, double q, ref AmericanWarmStart warm)
        {
            _right = right; _spot = spot; _strike = strike; _t = t; _r = r; _q = q;
            _warm = ref warm;
            Last = default;
        }

        public double Price(double vol)
        {
            Last = Value(_right, _spot, _strike, _t, _r, _q, vol, ref _warm);
            return Last.Price;
        }
    }

    /// <summary>
    /// Implied volatility on the American price: bracketed secant (Illinois, <see cref="WarmVolSolver.SolveBracketed"/>)
    /// in σ from the European implied vol of the same price (an upper bound, the American price being the larger). Prices
    /// below the zero-vol value (≥ intrinsic) → BelowIntrinsic; at or above S (call) / K (put) → AboveMaximum.
    /// </summary>
    public static IvStatus TrySolveVol(OptionRight right, double price, double spot, double strike, double t, double r, double q, out double vol)
    {
        vol = 0;
        if (!(spot > 0 && strike > 0 && t > 0 && double.IsFinite(spot) && double.IsFinite(strike) && double.IsFinite(t)
              && double.IsFinite(price) && double.IsFinite(r) && double.IsFinite(q)) || right == OptionRight.None
            || !IsSupported(right, r, q))
            return IvStatus.InvalidInput;
        if (!HasEarlyExercise(right, r, q))
            return ImpliedVolatility.TrySolve(right, price, spot, strike, t, r, q, out vol);
        double exerciseNow = right == OptionRight.Call ? spot - strike : strike - spot;
        if (price < exerciseNow) return IvStatus.BelowIntrinsic;
        if (price >= (right == OptionRight.Call ? spot : strike)) return IvStatus.AboveMaximum;

        const double MinVol = 1e-3, MaxVol = 8.0;
        double lo = MinVol, fLo = Price(right, spot, strike, t, r, q, lo) - price;
        double tolerance = 1e-10 * Math.Max(price, 1e-3);
        if (fLo >= 0)
        {
            if (fLo <= tolerance) return IvStatus.Ok; // no time value: zero vol
            return IvStatus.BelowIntrinsic;
        }
        double hi = MaxVol, fHi = Price(right, spot, strike, t, r, q, hi) - price;
        if (fHi <= 0) return IvStatus.AboveMaximum;

        double x = ImpliedVolatility.TrySolve(right, price, spot, strike, t, r, q, out double european) == IvStatus.Ok
            ? Math.Clamp(european, lo, hi) : 0.3;
        double fx = Price(right, spot, strike, t, r, q, x) - price;
        if (fx == 0) { vol = x; return IvStatus.Ok; }
        double vega = BlackScholes.Greeks(right, spot, strike, t, r, q, x).Vega;
        var pricer = new Pricer(right, spot, strike, t, r, q);
        vol = WarmVolSolver.SolveBracketed(ref pricer, price, lo, fLo, hi, fHi, x, fx, vega, tolerance, 1e-12, 60);
        return IvStatus.Ok;
    }

    private static AmericanValue Intrinsic(OptionRight right, double spot, double strike, OptionGreeks european)
    {
        // zero vol: exercise now if that beats the deterministic European value
        double now = right == OptionRight.Call ? spot - strike : strike - spot;
        if (now >= european.Price && now > 0) return new AmericanValue(now, right == OptionRight.Call ? 1 : -1, 0);
        return new AmericanValue(european.Price, european.Delta, european.Gamma);
    }

    // American put from the unit-strike boundary (scaled by K): European value plus the early-exercise premium
    // ∫₀ᵀ [rK e^{−r(T−u)} Φ(−d₋) − qS e^{−q(T−u)} Φ(−d₊)] du, d± = d±(T−u, S/B(u)); delta and gamma by
    // differentiating under the integral. T − u = T cos²θ: √(T−u) and √u (where B has its √ shape) are
    // both smooth in θ, so 32 Gauss–Legendre points in θ do (24 already hold the price; 32 halve the delta error); four lanes at a time.
    // compiled optimized from the first call: a replay or a restart does not run this kernel at tier 0 for its first ~100 ms
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    // t ≤ boundary.T: a boundary solved for a longer maturity holds B(τ) for this one too (it depends on τ, not on T)
    private static AmericanValue Put(double spot, double strike, double t, in ExerciseBoundary boundary)
    {
        double r = boundary.R, q = boundary.Q, vol = boundary.Vol;
        bool ownMaturity = t == boundary.T;
        var vRoot = Vector256.Create(ownMaturity ? 1.0 : Math.Sqrt(t / boundary.T));
        ReadOnlySpan<double> twoSin = PremiumTwoSin;
        double lnS = Math.Log(spot / strike);
        if (lnS <= boundary.LnBoundary(t)) return new AmericanValue(strike - spot, -1, 0);
        var e = BlackScholes.Greeks(OptionRight.Put, spot, strike, t, r, q, vol);
        double sqrtT = Math.Sqrt(t);
        var vSqrtT = Vector256.Create(sqrtT);
        var vLnS = Vector256.Create(lnS);
        var vDrift = Vector256.Create(r - q + 0.5 * vol * vol);
        var vVol = Vector256.Create(vol);
        var vSpot = Vector256.Create(spot);
        var negR = Vector256.Create(-r);
        var negQ = Vector256.Create(-q);
        var rK = Vector256.Create(r * strike);
        var vQ = Vector256.Create(q);
        var half = Vector256.Create(-0.5);
        var invSqrt2Pi = Vector256.Create(NormalVector.InvSqrt2Pi);
        ReadOnlySpan<double> cosines = PremiumCos, weights = PremiumWeight;
        Vector256<double> price = default, delta = default, gamma = default;
        for (int at = 0; at < PremiumPoints; at += 4)
        {
            var s = vSqrtT * Vector256.Create(cosines.Slice(at, 4));
            var dt = s * s;
            var sd = vVol * s;
            var lnB = ownMaturity
                ? boundary.LnBoundary(PremiumBasis, at, PremiumPoints)
                : boundary.LnBoundary(vRoot * Vector256.Create(twoSin.Slice(at, 4)) - Vector256<double>.One);
            var dp = (vLnS - lnB + vDrift * dt) / sd;
            var dm = dp - sd;
            var pdfP = NormalVector.Exp(half * dp * dp) * invSqrt2Pi;
            var pdfM = NormalVector.Exp(half * dm * dm) * invSqrt2Pi;
            var kr = rK * Vector256.Exp(negR * dt);
            var sq = vQ * Vector256.Exp(negQ * dt);
            var cdfM = NormalVector.Cdf(-dm, pdfM);
            var cdfP = NormalVector.Cdf(-dp, pdfP);
            var w = vSqrtT * Vector256.Create(weights.Slice(at, 4));
            price += w * s * (kr * cdfM - sq * vSpot * cdfP);
            delta += w * ((sq * pdfP - kr * pdfM / vSpot) / vVol - s * sq * cdfP);
            gamma += w * (kr * pdfM / (vVol * vSpot * vSpot) * (dm / sd + Vector256<double>.One)
                          + sq * pdfP / (vSpot * vVol) * (Vector256<double>.One - dp / sd));
        }
        double value = e.Price + Vector256.Sum(price);
        // never below exercise now (guards the vanishing-vol limit, where the quadrature resolves nothing)
        if (!(value > strike - spot)) return new AmericanValue(strike - spot, -1, 0);
        return new AmericanValue(value, e.Delta + Vector256.Sum(delta), e.Gamma + Vector256.Sum(gamma));
    }

    private static double[] BuildPremiumTable(int which)
    {
        var gl = new GaussLegendre(PremiumPoints);
        var table = new double[which == 2 ? ExerciseBoundary.Nodes * PremiumPoints : PremiumPoints];
        for (int k = 0; k < PremiumPoints; k++)
        {
            double theta = Math.PI / 4 * (1 + gl.Nodes[k]);
            double sin = Math.Sin(theta);
            if (which == 0) table[k] = Math.Cos(theta);
            else if (which == 1) table[k] = gl.Weights[k] * Math.PI / 2 * sin;
            else if (which == 3) table[k] = 2 * sin;
            else ExerciseBoundary.FillBasis(table, k, PremiumPoints, 2 * sin - 1); // boundary at u = T sin²θ
        }
        return table;
    }
}
