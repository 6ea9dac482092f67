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
