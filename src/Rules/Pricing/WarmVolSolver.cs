using Streamer.Rules.Instruments;

namespace Streamer.Rules.Pricing;

/// <summary>A model price as a function of volatility (the American engines, for <see cref="WarmVolSolver"/>).</summary>
internal interface IVolPricer
{
    double Price(double vol);
}

/// <summary>
/// How a leg's American price bends with vol against the European one: the ratio of the model's
/// slope in vol to the European vega, measured on the last solve's last step (a secant of both
/// models over the same interval). It moves little from one quote to the next, so the European vega
/// and volga at the new guess times it are close to the model's own slope and curvature — without
/// the two bumped model solves an American vega costs. 1 (the European) until a solve has measured it.
/// </summary>
internal struct VegaRatio
{
    private double _ratio;

    public readonly double Value => _ratio > 0.5 && _ratio < 2 ? _ratio : 1.0;

    /// <summary>Records the model's secant slope over [from, to] against the European one over the same interval.</summary>
    public void Measure(OptionRight right, double spot, double strike, double t, double r, double q, in VolStep step)
    {
        if (!(step.To != step.From && step.Slope > 0)) return;
        double european = (BlackScholes.Price(right, spot, strike, t, r, q, step.To) - BlackScholes.Price(right, spot, strike, t, r, q, step.From))
                          / (step.To - step.From);
        if (european > 0) _ratio = step.Slope / european;
    }
}

/// <summary>The last step of a warm solve: the secant slope of the model between the two vols.</summary>
internal readonly record struct VolStep(double From, double To, double Slope);

/// <summary>
/// The warm start of an American implied vol: consecutive quotes of a leg move its IV little, so
/// from the last IV one Halley step on the model's slope and curvature as the European vega and
/// volga times the leg's <see cref="VegaRatio"/> (close to the American ones), then secant steps,
/// usually reach the price in one or two model evaluations past the guess (whose own evaluation is
/// cheap when the caller keeps the model's state at the last IV). Gives up (false: the caller solves
/// cold) when a step leaves [1e-3, 5] or 8 evaluations do not reach the tolerance, so the answer is
/// always a root the cold solve would accept. The vol returned is always the last one evaluated, so a
/// pricer that keeps its last evaluation holds the value at the answer.
/// </summary>
internal static class WarmVolSolver
{
    public const double MinVol = 1e-3, MaxVol = 5.0;

    public static bool TrySolve<T>(ref T pricer, double price, double guess, double slope, double curvature, double tolerance,
        out double vol, out VolStep lastStep)
        where T : IVolPricer, allows ref struct
    {
        vol = 0;
        lastStep = default;
        if (!(guess > MinVol && guess < MaxVol) || !(slope > 0)) return false;
        double x0 = guess, f0 = pricer.Price(x0) - price;
        if (Math.Abs(f0) <= tolerance) { vol = x0; return true; }
        double newton = f0 / slope;
        // Halley: the curvature's correction, only while it is a correction (not where the quadratic model turns over)
        double bend = 0.5 * newton * curvature / slope;
        double x1 = x0 - (Math.Abs(bend) < 0.5 ? newton / (1 - bend) : newton);
        for (int i = 0; i < 8; i++)
        {
            if (!(x1 > MinVol && x1 < MaxVol)) return false;
            double f1 = pricer.Price(x1) - price;
            if (f1 == f0) return false;
            double secant = (f1 - f0) / (x1 - x0);
            lastStep = new VolStep(x0, x1, secant);
            if (Math.Abs(f1) <= tolerance) { vol = x1; return true; }
            double next = x1 - f1 / secant;
            x0 = x1; f0 = f1; x1 = next;
            // the root is within 1e-12 of the point just evaluated: return that point (the pricer's last evaluation is at it)
            if (Math.Abs(x1 - x0) < 1e-12) { vol = x0; return true; }
        }
        return false;
    }

    /// <summary>
    /// The cold solve's bracketed phase, shared by the American engines: from x (inside [lo, hi], its residual
    /// fx of the sign that makes it one end) one Newton step on the European <paramref name="vega"/>, then
    /// Illinois regula falsi (the end that stays twice in a row has its residual halved, so the bracket
    /// closes from both sides). Stops when the residual is within <paramref name="tolerance"/> or the bracket
    /// narrower than <paramref name="bracketWidth"/>; after <paramref name="maxIterations"/> the bracket's middle.
    /// </summary>
    public static double SolveBracketed<T>(ref T pricer, double price, double lo, double fLo, double hi, double fHi, double x, double fx,
        double vega, double tolerance, double bracketWidth, int maxIterations)
        where T : IVolPricer, allows ref struct
    {
        if (fx < 0) { lo = x; fLo = fx; } else { hi = x; fHi = fx; }
        double next = vega > 0 ? x - fx / vega : 0.5 * (lo + hi);
        int side = 0;
        for (int i = 0; i < maxIterations; i++)
        {
            if (!(next > lo && next < hi)) next = (lo * fHi - hi * fLo) / (fHi - fLo);
            double f = pricer.Price(next) - price;
            if (Math.Abs(f) <= tolerance || hi - lo < bracketWidth) return next;
            if (f < 0)
            {
                lo = next; fLo = f;
                if (side == -1) fHi *= 0.5;
                side = -1;
            }
            else
            {
                hi = next; fHi = f;
                if (side == 1) fLo *= 0.5;
                side = 1;
            }
            next = (lo * fHi - hi * fLo) / (fHi - fLo);
        }
        return 0.5 * (lo + hi);
    }

    /// <summary>The European vega and volga (∂²V/∂σ² = vega·d₊d₋/σ) at <paramref name="vol"/>: the shape the model's is close to.</summary>
    public static (double Vega, double Volga) EuropeanShape(OptionRight right, double spot, double strike, double t, double r, double q, double vol)
    {
        double vega = BlackScholes.Greeks(right, spot, strike, t, r, q, vol).Vega;
        double sd = vol * Math.Sqrt(t);
        double dp = (Math.Log(spot / strike) + (r - q) * t) / sd + 0.5 * sd, dm = dp - sd;
        return (vega, vega * dp * dm / vol);
    }
}
