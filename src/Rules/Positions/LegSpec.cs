namespace Streamer.Rules.Positions;

/// <summary>
/// One leg as given: an OCC option symbol or a stock ticker, a signed quantity (+ long,
/// − short; contracts for options, shares for stock) and the entry price per share.
/// </summary>
public sealed record LegSpec(string Symbol, long Qty, double EntryPrice);
