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

/// <summary>Implied volatility of a European option from its price.</summary>
public static class ImpliedVolatility
{
    // placeholder: safeguarded Newton on the price; the pricing work replaces the internals, not the signature
    public static IvStatus TrySolve(OptionRight right, double price, double spot, double strike, double t, double r, double q, out double vol)
    {
        vol = double.NaN;
        if (!(spot > 0 && strike > 0 && t > 0 && double.IsFinite(price) && double.IsFinite(r) && double.IsFinite(q)) || right == OptionRight.None)
            return IvStatus.InvalidInput;
        double dfR = Math.Exp(-r * t), dfQ = Math.Exp(-q * t);
        double intrinsic = right == OptionRight.Call ? Math.Max(spot * dfQ - strike * dfR, 0) : Math.Max(strike * dfR - spot * dfQ, 0);
        double upper = right == OptionRight.Call ? spot * dfQ : strike * dfR;
        if (price < intrinsic) return IvStatus.BelowIntrinsic;
        if (price >= upper) return IvStatus.AboveMaximum;
        double lo = 1e-6, hi = 10.0, v = 0.3;
        for (int i = 0; i < 100; i++)
        {
            var g = BlackScholes.Greeks(right, spot, strike, t, r, q, v);
            double diff = g.Price - price;
            if (diff > 0) hi = v; else lo = v;
            if (Math.Abs(diff) < 1e-12) break;
            double next = g.Vega > 1e-12 ? v - diff / g.Vega : 0.5 * (lo + hi);
            v = next > lo && next < hi ? next : 0.5 * (lo + hi);
            if (hi - lo < 1e-13) break;
        }
        vol = v;
        return IvStatus.Ok;
    }
}
