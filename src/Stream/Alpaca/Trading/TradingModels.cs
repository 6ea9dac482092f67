namespace Streamer.Stream.Alpaca.Trading;

/// <summary>A broker position (<c>GET /v2/positions</c>); Alpaca sends every number as a string.</summary>
internal sealed record BrokerPosition(
    string Symbol, string AssetClass, decimal Qty, string Side, decimal AvgEntryPrice,
    decimal? MarketValue, decimal? CostBasis, decimal? UnrealizedPl, decimal? CurrentPrice)
{
    public bool IsOption => AssetClass == "us_option";
}

internal sealed record BrokerOrderLeg(string Symbol, string Side, string PositionIntent, int RatioQty, decimal? FilledAvgPrice);

/// <summary>An order as the broker reports it.</summary>
internal sealed record BrokerOrder(
    string Id, string ClientOrderId, string OrderClass, string Symbol, string Side, string PositionIntent, string Type,
    string Status, decimal Qty, decimal FilledQty, decimal? FilledAvgPrice, decimal? LimitPrice, IReadOnlyList<BrokerOrderLeg> Legs)
{
    public bool IsOpen => Status is "new" or "accepted" or "pending_new" or "partially_filled" or "accepted_for_bidding" or "pending_cancel" or "pending_replace";
}

/// <summary>One leg of an order to submit; a simple order has exactly one with ratio 1.</summary>
internal sealed record OrderLegRequest(string Symbol, string Side, string PositionIntent, int RatioQty = 1);

/// <summary>
/// An order to submit (alpaca.md): one leg → a simple order on that symbol; 2–4 legs → <c>mleg</c>
/// with <see cref="Qty"/> in strategy units. <see cref="LimitPrice"/> null → market; for mleg
/// positive is a net debit, negative a net credit.
/// </summary>
internal sealed record OrderRequest(IReadOnlyList<OrderLegRequest> Legs, long Qty, decimal? LimitPrice, string ClientOrderId);

/// <summary>One <c>trade_updates</c> event.</summary>
internal sealed record TradeUpdate(
    string Event, BrokerOrder Order, long? TimestampNs, decimal? Price, decimal? Qty, decimal? PositionQty,
    IReadOnlyDictionary<string, decimal> PositionQtys)
{
    /// <summary>An mleg execution's own price per leg (the update's <c>legs[].price</c>), when given; the order's legs carry averages.</summary>
    public IReadOnlyDictionary<string, decimal> LegPrices { get; init; } = new Dictionary<string, decimal>();
}

/// <summary>
/// What one attempt sends: <see cref="LimitPrice"/> in Alpaca's convention (a simple order positive; an mleg
/// + debit / − credit per strategy unit), or null for a market order (<see cref="MarketReason"/> says why when
/// a limit was wanted). <see cref="NetMark"/>: the exit's mark per unit in the same convention.
/// </summary>
internal sealed record ExitOrderPrice(decimal? LimitPrice, decimal? NetMark, decimal Allowance, string? MarketReason)
{
    public static readonly ExitOrderPrice AtMarket = new(null, null, 0, null);

    public static ExitOrderPrice Market(string reason) => new(null, null, 0, reason);
}
