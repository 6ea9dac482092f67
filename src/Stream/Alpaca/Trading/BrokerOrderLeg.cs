namespace Streamer.Stream.Alpaca.Trading;

internal sealed record BrokerOrderLeg(string Symbol, string Side, string PositionIntent, int RatioQty, decimal? FilledAvgPrice);
