namespace Streamer.Stream.Alpaca.Trading;

/// <summary>One <c>trade_updates</c> event.</summary>
internal sealed record TradeUpdate(
    string Event, BrokerOrder Order, long? TimestampNs, decimal? Price, decimal? Qty, decimal? PositionQty,
    IReadOnlyDictionary<string, decimal> PositionQtys)
{
    /// <summary>An mleg execution's own price per leg (the update's <c>legs[].price</c>), when given; the order's legs carry averages.</summary>
    public IReadOnlyDictionary<string, decimal> LegPrices { get; init; } = new Dictionary<string, decimal>();
}
