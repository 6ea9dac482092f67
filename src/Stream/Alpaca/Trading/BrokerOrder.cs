namespace Streamer.Stream.Alpaca.Trading;

/// <summary>An order as the broker reports it.</summary>
internal sealed record BrokerOrder(
    string Id, string ClientOrderId, string OrderClass, string Symbol, string Side, string PositionIntent, string Type,
    string Status, decimal Qty, decimal FilledQty, decimal? FilledAvgPrice, decimal? LimitPrice, IReadOnlyList<BrokerOrderLeg> Legs)
{
    public bool IsOpen => Status is "new" or "accepted" or "pending_new" or "partially_filled" or "accepted_for_bidding" or "pending_cancel" or "pending_replace";
}
