namespace Streamer.Rules.Engine;

/// <summary>
/// Position Greeks: per-share Greeks × signed qty × multiplier, summed over the legs (a stock leg
/// has delta 1). Vega per 1.00 of volatility, theta per year (formats.md units). NaN while an option
/// leg has no implied volatility yet.
/// </summary>
public readonly record struct PositionGreeks(double Delta, double Gamma, double Theta, double Vega)
{
    public static PositionGreeks Unknown => new(double.NaN, double.NaN, double.NaN, double.NaN);
}
