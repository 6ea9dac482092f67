namespace Streamer.Stream.Emulator;

/// <summary>A paper position: signed quantity (shares or contracts) and average entry price.</summary>
public sealed class PaperPosition
{
    public required string Symbol { get; init; }
    public required bool IsOption { get; init; }
    public long Qty { get; set; }
    public decimal AvgEntryPrice { get; set; }

    /// <summary>Qty not held for open closing orders (signed like <see cref="Qty"/>); set on the copies the broker hands out.</summary>
    public long QtyAvailable { get; set; }

    /// <summary>An option's expiration (MarketCalendar.ExpirationUtc); <c>long.MaxValue</c> for stock.</summary>
    public long ExpiresAtNs { get; init; } = long.MaxValue;

    public int Multiplier => IsOption ? 100 : 1;
}

/// <summary>One trade_updates event (alpaca.md), serialised when it happened (the order changes later).</summary>
public sealed record PaperTradeUpdate(string Event, string OrderId, string Status, byte[] Json);

/// <summary>One execution of an order: per unit price (mleg: net, credits negative), units, and each leg's part.</summary>
internal sealed record PaperExecution(decimal Price, long Qty, IReadOnlyList<PaperLegExecution> Legs);

internal sealed record PaperLegExecution(PaperLeg Leg, decimal Price, long Qty);

/// <summary>
/// A non-trade activity (Alpaca's account activities): <c>OPEXP</c> an option expired worthless,
/// <c>OPEXC</c> a long option exercised, <c>OPASN</c> a short option assigned. These never
/// appear on trade_updates (alpaca.md); <c>GET /v2/account/activities</c> lists them.
/// </summary>
public sealed record PaperActivity(string Id, string ActivityType, long TimeNs, string Symbol, long Qty, decimal Price, decimal NetAmount, string Description);
