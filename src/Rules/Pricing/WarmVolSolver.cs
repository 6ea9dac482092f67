namespace Streamer.Rules.Pricing;

/// <summary>A model price as a function of volatility (the American engines, for <see cref="WarmVolSolver"/>).</summary>
internal interface IVolPricer
{
    double Price(double vol);
}

/// <summary>
/// The warm start of an American implied vol: consecutive quotes of a leg move its IV little, so
/// from the last IV one Newton step on the European vega (which is close to the American one),
/// then secant steps, usually reach the price in 2–3 model evaluations where the bracketed cold
/// solve spends two on the bracket ends alone. Gives up (false: the caller solves cold) when a step
/// leaves [1e-3, 5] or 8 evaluations do not reach the tolerance, so the answer is always a root the
/// cold solve would accept.
/// </summary>
internal static class WarmVolSolver
{
    public static bool TrySolve<T>(ref T pricer, double price, double guess, double europeanVega, double tolerance, out double vol)
        where T : IVolPricer, allows ref struct
    {
        vol = 0;
        const double MinVol = 1e-3, MaxVol = 5.0;
        if (!(guess > MinVol && guess < MaxVol) || !(europeanVega > 0)) return false;
        double x0 = guess, f0 = pricer.Price(x0) - price;
        if (Math.Abs(f0) <= tolerance) { vol = x0; return true; }
        double x1 = x0 - f0 / europeanVega;
        for (int i = 0; i < 8; i++)
        {
            if (!(x1 > MinVol && x1 < MaxVol)) return false;
            double f1 = pricer.Price(x1) - price;
            if (Math.Abs(f1) <= tolerance) { vol = x1; return true; }
            if (f1 == f0) return false;
            double next = x1 - f1 * (x1 - x0) / (f1 - f0);
            x0 = x1; f0 = f1; x1 = next;
            if (Math.Abs(x1 - x0) < 1e-12) { vol = x1; return true; }
        }
        return false;
    }
}
