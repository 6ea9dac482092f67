namespace Streamer.Stream.Emulator;

/// <summary>
/// An account activity (Alpaca's <c>/v2/account/activities</c>). Non-trade: <c>OPEXP</c> an option
/// expired worthless, <c>OPEXC</c> a long option exercised, <c>OPASN</c> a short option assigned
/// (these never appear on trade_updates, alpaca.md). Trade: <c>FILL</c>, one per execution of a
/// simple order and per leg of an mleg execution, with <see cref="Fill"/> set.
/// </summary>
public sealed record PaperActivity(string Id, string ActivityType, long TimeNs, string Symbol, long Qty, decimal Price, decimal NetAmount, string Description)
{
    public PaperFillDetail? Fill { get; init; }
}

/// <summary>
/// A <c>FILL</c>'s order side: <c>type</c> fill | partial_fill, the order (an mleg leg's own id), its
/// cumulative and remaining quantity and status after this execution.
/// </summary>
public sealed record PaperFillDetail(string Type, string Side, string OrderId, long CumQty, long LeavesQty, string OrderStatus);
