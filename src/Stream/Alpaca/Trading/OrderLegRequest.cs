namespace Streamer.Stream.Alpaca.Trading;

/// <summary>One leg of an order to submit; a simple order has exactly one with ratio 1.</summary>
internal sealed record OrderLegRequest(string Symbol, string Side, string PositionIntent, int RatioQty = 1);
