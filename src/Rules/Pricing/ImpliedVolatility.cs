using System.Runtime.CompilerServices;
using Streamer.Rules.Instruments;

namespace Streamer.Rules.Pricing;

public enum IvStatus : byte
{
    Ok = 0,
    /// <summary>price below the discounted intrinsic value: no volatility reproduces it.</summary>
    BelowIntrinsic,
    /// <summary>price at or above the no-arbitrage bound (S·e^{-qT} for a call, K·e^{-rT} for a put).</summary>
    AboveMaximum,
    /// <summary>non-positive spot, strike or time, or a non-finite input.</summary>
    InvalidInput,
}

/// <summary>
/// Implied volatility of a European option from its price, after Jäckel ("By Implication" 2006,
/// "Let's Be Rational" 2015): the price is normalised to Black's b(x, s) with x = ln(F/K) and
/// s = σ√T, moved to the out-of-the-money side by put-call parity (so no intrinsic value swamps
/// the time value), then s is found by third-order Householder steps on a transformed objective:
/// 1/ln b below the inflection point s_c = √(2|x|) and ln(b_max − b) above it, both close to
/// linear in s there, with b_max − b computed without cancellation. See docs/pricing.md.
/// </summary>
public static class ImpliedVolatility
{
    private const int MaxIterations = 12;

    public static IvStatus TrySolve(OptionRight right, double price, double spot, double strike, double t, double r, double q, out double vol)
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
        double x = -Math.Abs(Math.Log(fwdSpot / pvStrike));
        double beta = otm / Math.Sqrt(fwdSpot * pvStrike);
        if (beta >= Math.Exp(0.5 * x)) return IvStatus.AboveMaximum;
        vol = NormalisedImpliedVol(beta, x, out _) / Math.Sqrt(t);
        return IvStatus.Ok;
    }

    /// <summary>
    /// s = σ√T with b(x, s) = β for the normalised out-of-the-money call
    /// b(x, s) = e^{x/2} Φ(x/s + s/2) − e^{−x/2} Φ(x/s − s/2), x ≤ 0, 0 &lt; β &lt; e^{x/2}.
    /// </summary>
    internal static double NormalisedImpliedVol(double beta, double x, out int iterations)
    {
        iterations = 0;
        double bMax = Math.Exp(0.5 * x);
        double x2 = x * x;
        // the inflection point s_c, and where its tangent reaches 0 (s_l) and b_max (s_u): Jäckel's
        // three regions; in the middle b is nearly linear in s, outside it the transformed objectives are
        double sc = Math.Sqrt(-2 * x);
        double bc = x < 0 ? NormalisedBlack(x, sc) : 0;
        double vc = Normal.Pdf(0) * Math.Exp(0.5 * x); // b'(s_c) = φ(0)·e^{−(h²+s²/4)/2} with h = −s/2
        Region region;
        double s, lo, hi;
        if (beta < bc)
        {
            double sl = sc - bc / vc;
            if (sl > 0 && beta < NormalisedBlack(x, sl))
            {
                region = Region.Lower;
                lo = 0;
                hi = sl;
                s = LowerGuess(beta, x, sl);
            }
            else
            {
                region = Region.Middle;
                lo = Math.Max(sl, 0);
                hi = sc;
                s = Math.Max(sc + (beta - bc) / vc, 0.5 * (lo + sc));
            }
        }
        else
        {
            double su = sc + (bMax - bc) / vc;
            if (beta > NormalisedBlack(x, su))
            {
                region = Region.Upper;
                lo = su;
                hi = double.PositiveInfinity;
                s = UpperGuess(beta, x, bMax, su);
            }
            else
            {
                region = Region.Middle;
                lo = sc;
                hi = su;
                s = Math.Min(sc + (beta - bc) / vc, su);
            }
        }
        double lnBeta = Math.Log(beta), lnGap = Math.Log(bMax - beta);
        for (int i = 0; i < MaxIterations; i++)
        {
            iterations = i + 1;
            double h = x / s, half = 0.5 * s;
            double vega = Normal.Pdf(0) * Math.Exp(-0.5 * (h * h + half * half)); // b'(s)
            if (!(vega > 0)) { s = Bisect(lo, hi, s); continue; }
            double a = x2 / (s * s * s) - 0.25 * s;                         // b''/b'
            double c3 = a * a - 3 * x2 / (s * s * s * s) - 0.25;            // b'''/b'
            // objective f = g(b(s)) − g(β); g1b1 = g'·b', g21b1 = (g''/g')·b', g31b1sq = (g'''/g')·b'²
            double f, g1b1, g21b1, g31b1sq;
            bool tooLow;
            if (region == Region.Lower)
            {
                // g = 1/ln b
                double b = vega * (Normal.Mills(-h - half) - Normal.Mills(half - h));
                if (!(b > 0)) { lo = s; s = Bisect(lo, hi, s); continue; }
                double lnB = Math.Log(b);
                f = 1 / lnB - 1 / lnBeta;
                tooLow = f > 0;
                g1b1 = -vega / (b * lnB * lnB);
                g21b1 = -(lnB + 2) / (lnB * b) * vega;
                g31b1sq = 2 * (lnB * lnB + 3 * lnB + 3) / (b * b * lnB * lnB) * vega * vega;
            }
            else if (region == Region.Middle)
            {
                // g = b
                f = (h + half <= 0
                    ? vega * (Normal.Mills(-h - half) - Normal.Mills(half - h))
                    : bMax - UpperGap(h, half, vega)) - beta;
                tooLow = f < 0;
                g1b1 = vega;
                g21b1 = 0;
                g31b1sq = 0;
            }
            else
            {
                // g = −ln(b_max − b)
                double gap = UpperGap(h, half, vega);
                if (!(gap > 0)) { hi = s; s = Bisect(lo, hi, s); continue; }
                f = lnGap - Math.Log(gap);
                tooLow = f < 0;
                g1b1 = vega / gap;
                g21b1 = vega / gap;
                g31b1sq = 2 * vega * vega / (gap * gap);
            }
            if (f == 0) return s;
            if (tooLow) lo = s; else hi = s;
            double nu = -f / g1b1;
            double h2 = g21b1 + a;
            double h3 = g31b1sq + 3 * g21b1 * a + c3;
            double step = nu * (1 + 0.5 * h2 * nu) / (1 + nu * (h2 + h3 * nu / 6));
            if (!double.IsFinite(step)) step = nu;
            // third order: a step of relative size 1e-7 leaves an error of order (1e-7)³, far below rounding
            if (Math.Abs(step) <= 1e-7 * s) return s + step;
            double next = s + step;
            s = next > lo && next < hi ? next : Bisect(lo, hi, s);
        }
        return s;
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

    // small-s asymptotics b ≈ φ(0) e^{−(h²+s²/4)/2} s/(h² − s²/4) ≈ φ(0) e^{−x²/(2s²)} s³/x², solved
    // by two fixed-point passes for x²/(2s²) = ln(φ(0) s³/x²) − ln β
    private static double LowerGuess(double beta, double x, double sc)
    {
        double x2 = x * x, lnBeta = Math.Log(beta);
        double s = -x / Math.Sqrt(-2 * lnBeta);
        for (int i = 0; i < 2; i++)
        {
            double rhs = Math.Log(Normal.Pdf(0) * s * s * s / x2) - lnBeta;
            if (!(rhs > 0)) break;
            s = -x / Math.Sqrt(2 * rhs);
        }
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
