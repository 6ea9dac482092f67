namespace Streamer.Rules.Pricing;

/// <summary>A discrete cash dividend: <paramref name="Time"/> in years from now to the ex instant (the spot drops by <paramref name="Amount"/> there), cash per share.</summary>
public readonly record struct CashDividend(double Time, double Amount);
