using System.Runtime.CompilerServices;
using Streamer.Rules.Instruments;

namespace Streamer.Rules.Pricing;

/// <summary>
/// Implied volatility of a European option from its price, after Jäckel ("By Implication" 2006,
/// "Let's Be Rational" 2015): the price is normalised to Black's b(x, s) with x = ln(F/K) and
/// s = σ√T, moved to the out-of-the-money side by put-call parity (so no intrinsic value swamps
/// the time value), then s is found by third-order Householder steps on a transformed objective:
/// 1/ln b well below the inflection point s_c = √(2|x|) (started from a Bachelier-form guess), b near
/// it (from the cubic through s_c) and −ln(b_max − b) well above it (from the tail of Φ), each close
/// to linear in s there, with b_max − b computed without cancellation: ~2 evaluations of b per cold
/// solve. The warm-start overload starts from a previous vol instead. See docs/pricing.md.
/// </summary>
public static class ImpliedVolatility
{
    private const int MaxIterations = 12;

    public static IvStatus TrySolve(OptionRight right, double price, double spot, double strike, double t, double r, double q, out double vol)
        => Solve(right, price, spot, strike, t, r, q, double.NaN, out vol);

    /// <summary>
    /// As <see cref="TrySolve(OptionRight, double, double, double, double, double, double, out double)"/>,
    /// starting the iteration from <paramref name="guess"/> (e.g. the last implied vol of the same
    /// contract): when the quote moved little, one or two Householder steps land where the cold solve
    /// does. A guess that is unusable (not positive and finite) or from which two steps do not converge
    /// falls back to the cold solve, so the result does not depend on the guess beyond rounding.
    /// </summary>
    public static IvStatus TrySolve(OptionRight right, double price, double spot, double strike, double t, double r, double q, double guess, out double vol)
        => Solve(right, price, spot, strike, t, r, q, guess, out vol);

    private static IvStatus Solve(OptionRight right, double price, double spot, double strike, double t, double r, double q, double guess, out double vol)
    {
        vol = 0;
        if (!(spot > 0 && strike > 0 && t > 0 && double.IsFinite(spot) && double.IsFinite(strike) && double.IsFinite(t)
              && double.IsFinite(price) && double.IsFinite(r) && double.IsFinite(q)) || right == OptionRight.None)
            return IvStatus.InvalidInput;
        double fwdSpot = spot * Math.Exp(-q * t), pvStrike = strike * Math.Exp(-r * t);
        double upper = right == OptionRight.Call ? fwdSpot : pvStrike;
        if (price >= upper) return IvStatus.AboveMaximum;
        double intrinsic = BlackScholes.Intrinsic(right, fwdSpot, pvStrike);
        if (price < intrinsic) return IvStatus.BelowIntrinsic;
        // parity: an in-the-money price minus its intrinsic value is the out-of-the-money price
        double otm = price - intrinsic;
        if (otm == 0) return IvStatus.Ok; // no time value at all: zero volatility
        double ratio = Math.Min(fwdSpot, pvStrike) / Math.Max(fwdSpot, pvStrike);
        double x = Math.Log(ratio);     // = −|ln(F/K)|
        double bMax = Math.Sqrt(ratio); // = e^{x/2} without an exponential
        double beta = otm / Math.Sqrt(fwdSpot * pvStrike);
        if (beta >= bMax) return IvStatus.AboveMaximum;
        double sqrtT = Math.Sqrt(t);
        double s = guess > 0 && double.IsFinite(guess) && TryWarm(beta, x, bMax, guess * sqrtT, out double warm)
            ? warm
            : NormalisedImpliedVol(beta, x, bMax, out _);
        vol = s / sqrtT;
        return IvStatus.Ok;
    }

    internal static double NormalisedImpliedVol(double beta, double x, out int iterations)
        => NormalisedImpliedVol(beta, x, Math.Exp(0.5 * x), out iterations);

    // stop after a third-order step of relative size below this (and a Newton step of twice it): the
    // error left is ~C·step³ with a small C on the near-linear transformed objectives; the next
    // evaluation would only confirm it. Measured on the random round-trip grid (max |iv − vol|):
    // 1e-7 … 1e-3 → 1.9e-11 (rounding), 3e-3 → 8.8e-10; the Newton check matters: without it, a
    // Householder step shrunk far from the root stopped a 3e-4 solve at the wrong place
    private const double StopStep = 5e-4;

    // below s_c the lower objective 1/ln b, started from the Bachelier-form guess (LowerGuess), is used
    // wherever that guess is below this fraction of s_c, not only below s_l: near the money s_l ≈ 0,
    // and the plain b objective started from the tangent at s_c needed 4–7 steps to get down there.
    // measured (iterations over a 1,000-case mix, fraction 0.2/0.5/0.8/1.0): mean 2.3/2.0/1.96/1.97
    private const double LowerSplit = 0.8;

    /// <summary>
    /// s = σ√T with b(x, s) = β for the normalised out-of-the-money call
    /// b(x, s) = e^{x/2} Φ(x/s + s/2) − e^{−x/2} Φ(x/s − s/2), x ≤ 0, 0 &lt; β &lt; e^{x/2} = b_max.
    /// </summary>
    internal static double NormalisedImpliedVol(double beta, double x, double bMax, out int iterations)
    {
        iterations = 0;
        // the inflection point s_c, and where its tangent reaches 0 (s_l) and b_max (s_u): Jäckel's
        // three regions; in the middle b is nearly linear in s, outside it the transformed objectives are.
        // at s_c: h = x/s_c = −s_c/2, so b' = φ(0)e^{x/2} and b = b'·(M(0) − M(s_c)): no exponential
        double sc = Math.Sqrt(-2 * x);
        double vc = Normal.Pdf(0) * bMax;
        double bc = vc * (MillsAtZero - Normal.Mills(sc));
        Region region;
        double s, lo, hi;
        if (beta < bc)
        {
            double sl = sc - bc / vc;
            // the small-s asymptotic guess is accurate exactly where the lower region is: it decides
            // the region without evaluating b(s_l); the bracket is the whole side of s_c (β < b_c ⇔ s < s_c),
            // so a guess on the wrong side of s_l costs steps, never the answer
            double guess = LowerGuess(beta, x, sc);
            if (guess < LowerSplit * sc)
            {
                region = Region.Lower;
                lo = 0;
                hi = sc;
                s = guess;
            }
            else
            {
                region = Region.Middle;
                lo = 0;
                hi = sc;
                s = Math.Max(MiddleGuess(sc, (beta - bc) / vc), 0.5 * (Math.Max(sl, 0) + sc));
            }
        }
        else
        {
            double su = sc + (bMax - bc) / vc;
            double guess = UpperGuess(beta, x, bMax, sc);
            if (guess > su)
            {
                region = Region.Upper;
                lo = sc;
                hi = double.PositiveInfinity;
                s = guess;
            }
            else
            {
                region = Region.Middle;
                lo = sc;
                hi = double.PositiveInfinity;
                s = Math.Min(MiddleGuess(sc, (beta - bc) / vc), su);
            }
        }
        var target = new Target(region, beta, x, bMax);
        for (int i = 0; i < MaxIterations; i++)
        {
            iterations = i + 1;
            var e = Evaluate(region, in target, s);
            switch (e.Status)
            {
                case StepStatus.Exact:
                    return s;
                case StepStatus.TooLow or StepStatus.TooHigh:
                    if (e.Status == StepStatus.TooLow) lo = s; else hi = s;
                    if (e.Converged(s)) return s + e.Step;
                    double next = s + e.Step;
                    s = next > lo && next < hi ? next : Bisect(lo, hi, s);
                    break;
                default:
                    // no usable value or derivative at s (underflow): the status says which side to move
                    if (e.Status == StepStatus.UnderflowLow) lo = s; else if (e.Status == StepStatus.UnderflowHigh) hi = s;
                    s = Bisect(lo, hi, s);
                    break;
            }
        }
        return s;
    }

    // warm start: the region of the guess, at most two Householder steps, no bracket (the cold
    // solve is the safeguard)
    private static bool TryWarm(double beta, double x, double bMax, double s, out double result)
    {
        result = 0;
        double sc = Math.Sqrt(-2 * x);
        double vc = Normal.Pdf(0) * bMax;
        double bc = vc * (MillsAtZero - Normal.Mills(sc));
        Region region = s < sc - bc / vc ? Region.Lower : s > sc + (bMax - bc) / vc ? Region.Upper : Region.Middle;
        var target = new Target(region, beta, x, bMax);
        for (int i = 0; i < 2; i++)
        {
            var e = Evaluate(region, in target, s);
            if (e.Status == StepStatus.Exact) { result = s; return true; }
            if (e.Status is not (StepStatus.TooLow or StepStatus.TooHigh)) return false;
            double next = s + e.Step;
            if (!(next > 0) || !double.IsFinite(next)) return false;
            if (e.Converged(s)) { result = next; return true; }
            s = next;
        }
        return false;
    }

    // β and g(β) for the region's objective: only the one logarithm that objective needs
    private readonly struct Target(Region region, double beta, double x, double bMax)
    {
        public readonly double Beta = beta, X = x, X2 = x * x, BMax = bMax;
        public readonly double GBeta = region switch
        {
            Region.Lower => 1 / Math.Log(beta),
            Region.Upper => Math.Log(bMax - beta),
            _ => 0,
        };
    }

    private enum StepStatus : byte { Exact, TooLow, TooHigh, UnderflowLow, UnderflowHigh, NoVega }

    // Step: the Householder step; Newton: the plain Newton step, only to judge convergence (far from
    // the root the Householder correction can shrink a step that Newton says is large)
    private readonly record struct Evaluation(StepStatus Status, double Step, double Newton = 0)
    {
        public bool Converged(double s) => Math.Abs(Step) <= StopStep * s && Math.Abs(Newton) <= 2 * StopStep * s;
    }

    // one evaluation of b(s) and its third-order Householder step on the region's objective
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Evaluation Evaluate(Region region, in Target tg, double s)
    {
        double x = tg.X, x2 = tg.X2;
        double h = x / s, half = 0.5 * s;
        double vega = Normal.Pdf(0) * Math.Exp(-0.5 * (h * h + half * half)); // b'(s)
        if (!(vega > 0)) return new Evaluation(StepStatus.NoVega, 0);
        double s2 = s * s;
        double a = x2 / (s2 * s) - 0.25 * s;                  // b''/b'
        double c3 = a * a - 3 * x2 / (s2 * s2) - 0.25;        // b'''/b'
        // objective f = g(b(s)) − g(β); g1b1 = g'·b', g21b1 = (g''/g')·b', g31b1sq = (g'''/g')·b'²
        double f, g1b1, g21b1, g31b1sq;
        bool tooLow;
        if (region == Region.Lower)
        {
            // g = 1/ln b
            double b = vega * (Normal.Mills(-h - half) - Normal.Mills(half - h));
            if (!(b > 0)) return new Evaluation(StepStatus.UnderflowLow, 0);
            double lnB = Math.Log(b), invLnB = 1 / lnB, vb = vega / b;
            f = invLnB - tg.GBeta;
            tooLow = f > 0;
            g1b1 = -vb * invLnB * invLnB;
            g21b1 = -(lnB + 2) * invLnB * vb;
            g31b1sq = 2 * (lnB * lnB + 3 * lnB + 3) * invLnB * invLnB * vb * vb;
        }
        else if (region == Region.Middle)
        {
            // g = b
            f = (h + half <= 0
                ? vega * (Normal.Mills(-h - half) - Normal.Mills(half - h))
                : tg.BMax - UpperGap(h, half, vega)) - tg.Beta;
            tooLow = f < 0;
            g1b1 = vega;
            g21b1 = 0;
            g31b1sq = 0;
        }
        else
        {
            // g = −ln(b_max − b)
            double gap = UpperGap(h, half, vega);
            if (!(gap > 0)) return new Evaluation(StepStatus.UnderflowHigh, 0);
            f = tg.GBeta - Math.Log(gap);
            tooLow = f < 0;
            double vg = vega / gap;
            g1b1 = vg;
            g21b1 = vg;
            g31b1sq = 2 * vg * vg;
        }
        if (f == 0) return new Evaluation(StepStatus.Exact, 0);
        double nu = -f / g1b1;
        double h2 = g21b1 + a;
        double h3 = g31b1sq + 3 * g21b1 * a + c3;
        double step = nu * (1 + 0.5 * h2 * nu) / (1 + nu * (h2 + h3 * nu / 6));
        if (!double.IsFinite(step)) step = nu;
        return new Evaluation(tooLow ? StepStatus.TooLow : StepStatus.TooHigh, step, nu);
    }

    private const double MillsAtZero = 1.2533141373155002512; // √(π/2)

    // around the inflection point b'' = 0 and b'''/b' = −1, so b ≈ b_c + b'_c·(d − d³/6), d = s − s_c:
    // one Newton step on that cubic from the tangent's d = δ
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double MiddleGuess(double sc, double delta)
    {
        double d = delta;
        double denom = 1 - 0.5 * d * d;
        if (denom > 0.25) d += d * d * d / (6 * denom);
        return sc + d;
    }

    private enum Region : byte { Lower, Middle, Upper }

    // b for x ≤ 0 through the Mills ratio M, so no e^{±x/2} factor is ever needed: with
    // b'(s) = φ(h+s/2)e^{x/2} = φ(h−s/2)e^{−x/2}, below s_c b = b'·(M(−h−s/2) − M(s/2−h)),
    // above it b = b_max − b'·(M(h+s/2) + M(s/2−h))
    internal static double NormalisedBlack(double x, double s)
    {
        double h = x / s, half = 0.5 * s;
        double vega = Normal.Pdf(0) * Math.Exp(-0.5 * (h * h + half * half));
        if (h + half <= 0)
            return vega * (Normal.Mills(-h - half) - Normal.Mills(half - h));
        return Math.Exp(0.5 * x) - UpperGap(h, half, vega);
    }

    // b_max − b = e^{x/2} Φ(−h−s/2) + e^{−x/2} Φ(h−s/2) = b'·(M(h+s/2) + M(s/2−h)) for h+s/2 ≥ 0:
    // two positive terms, no cancellation
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double UpperGap(double h, double half, double vega)
        => h + half >= 0
            ? vega * (Normal.Mills(h + half) + Normal.Mills(half - h))
            : vega * (1 / Normal.Pdf(h + half) - Normal.Mills(-h - half) + Normal.Mills(half - h));

    // below s_c: for small s, b(x, s) ≈ s·ψ(x/s) with ψ(h) = φ(h) + hΦ(h) = φ(a)·R(a), a = |x|/s,
    // R(a) = 1 − a·M(a) (the normalised Bachelier price; error O(s²)); with the rational
    // 1/R ≈ a² + (3a + k)/(a + k), k = 2/M(0) (exact value and slope at 0, 1/a² − 3/a⁴ at ∞, within 5%),
    // solve ln β = ln s − a²/2 − ln √(2π) − ln(a²·D(a)/a)… i.e. G(a) = −a²/2 − ln(a·D(a)) − ln(√(2π)β/|x|) = 0
    // by Newton in a (G is decreasing); one logarithm per step, no Φ
    private static double LowerGuess(double beta, double x, double sc)
    {
        const double k = 1.5957691216057308; // 2/M(0) = 2·√(2/π)
        double u = -x;
        double l = Math.Log(2.5066282746310002 * beta / u);
        // start: a·D(a) ≈ 1 for small a gives a ≈ e^{−l}; the tail a³ e^{a²/2} = e^{−l} gives a ≈ √(−2l)
        double a = l > -1 ? Math.Exp(-l) : Math.Sqrt(-2 * l);
        for (int i = 0; i < 4; i++)
        {
            double ak = a + k;
            double d = a * a + (3 * a + k) / ak;
            double dPrime = 2 * a + 2 * k / (ak * ak);
            double g = -0.5 * a * a - Math.Log(a * d) - l;
            double gPrime = -a - 1 / a - dPrime / d;
            double next = a - g / gPrime;
            next = next > 0 ? next : 0.5 * a;
            bool done = Math.Abs(next - a) <= 1e-3 * a;
            a = next;
            if (done) break;
        }
        double s = u / a;
        return s > 0 && s < sc ? s : 0.5 * sc;
    }

    // large-s asymptotics b_max − b ≈ 2 e^{x/2} Φ(−s/2) · (1 + …): start where a tangent on
    // Φ's log-tail puts it, never below the inflection point
    private static double UpperGuess(double beta, double x, double bMax, double sc)
    {
        double gap = (bMax - beta) / (2 * bMax);
        // Φ(−y) = gap: for gap ≥ 0.15 the linear approximation around 0 is fine, else the tail
        double y = gap >= 0.15 ? (0.5 - gap) * 2.5066282746310002 : Math.Sqrt(-2 * Math.Log(gap * 2.5066282746310002 * Math.Sqrt(-2 * Math.Log(gap))));
        double s = 2 * y;
        return s > sc ? s : sc + 1e-3 * (sc + 1e-3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Bisect(double lo, double hi, double s)
        => double.IsPositiveInfinity(hi) ? Math.Max(2 * s, lo + 1) : 0.5 * (lo + hi);
}
