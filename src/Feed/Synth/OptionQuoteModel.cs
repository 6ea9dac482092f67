using Streamer.Rules.Instruments;
using Streamer.Rules.Pricing;

namespace Streamer.Feed.Synth;

/// <summary>
/// How the synthetic tape quotes an option: Black-Scholes on the underlying's mid with a
/// volatility smile, a percentage spread, on the listed-option tick grid, never crossed.
/// </summary>
internal static class OptionQuoteModel
{
    public const double Rate = 0.04;        // rules.md default rate; no dividend
    public const double Dividend = 0.0;
    private const double YearNs = 365.0 * 24 * 3600 * 1e9;

    /// <summary>
    /// Implied vol for strike <paramref name="strike"/>: the underlying's base vol raised for short
    /// expiries (×1.3 at T→0, ×1.05 at 0.1 y), times a smile in standardized log-moneyness
    /// z = ln(K/S)/(σ√T): 1 − 0.08 z + 0.02 z² (puts below spot richer; both wings up).
    /// </summary>
    public static double Volatility(double baseVol, double spot, double strike, double years)
    {
        double atm = baseVol * (1 + 0.3 / (1 + 50 * years));
        double z = Math.Log(strike / spot) / (atm * Math.Sqrt(years));
        z = Math.Clamp(z, -4, 4);
        return atm * (1 - 0.08 * z + 0.02 * z * z);
    }

    public static double YearsBetween(long nowNs, long expirationNs) => (expirationNs - nowNs) / YearNs;

    public static double TheoreticalPrice(OptionRight right, double spot, double strike, double years, double baseVol) =>
        BlackScholes.Price(right, spot, strike, years, Rate, Dividend, Volatility(baseVol, spot, strike, years));

    /// <summary>
    /// Bid/ask in cents around <paramref name="price"/>: full spread max(0.01, spreadPct × price),
    /// bid floored and ask ceiled to the tick (0.01 below $3, 0.05 from $3), at least one tick wide,
    /// bid ≥ 0, so never crossed.
    /// </summary>
    public static (long BidCents, long AskCents) Quote(double price, double spreadPct)
    {
        long tick = price < 3.0 ? 1 : 5;
        double half = Math.Max(0.01, spreadPct * price) / 2;
        long bid = (long)Math.Floor((price - half) * 100 / tick) * tick;
        long ask = (long)Math.Ceiling((price + half) * 100 / tick) * tick;
        if (bid < 0) bid = 0;
        if (ask < bid + tick) ask = bid + tick;
        return (bid, ask);
    }
}
