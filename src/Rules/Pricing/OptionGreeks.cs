namespace Streamer.Rules.Pricing;

/// <summary>
/// Price and Greeks per share, in QuantLib's units: vega per 1.00 of volatility,
/// theta per year, rho per 1.00 of rate (formats.md).
/// </summary>
public readonly record struct OptionGreeks(double Price, double Delta, double Gamma, double Vega, double Theta, double Rho);
