namespace Streamer.Stream.Emulator;

/// <summary>A paper order: simple (one leg) or mleg (2–4 legs), market or limit, day.</summary>
public sealed class PaperOrder
{
    public required string Id { get; init; }
    public required string ClientOrderId { get; init; }
    public required string OrderClass { get; init; }      // simple | mleg
    public required string Type { get; init; }            // market | limit
    public required string TimeInForce { get; init; }
    public required long Qty { get; init; }
    public decimal? LimitPrice { get; init; }
    public required IReadOnlyList<PaperLeg> Legs { get; init; }
    public required long CreatedAtNs { get; init; }

    /// <summary>Submission order, for stable listings when times tie.</summary>
    public required long Sequence { get; init; }

    /// <summary>A day order's session close (<c>long.MaxValue</c>: never).</summary>
    public long ExpiresAtNs { get; init; } = long.MaxValue;

    public string Status { get; set; } = "new";
    public long FilledQty { get; set; }
    public decimal? FilledAvgPrice { get; set; }
    public long? FilledAtNs { get; set; }
    public long? CanceledAtNs { get; set; }
    public long? ExpiredAtNs { get; set; }
    public long? FailedAtNs { get; set; }
    public long UpdatedAtNs { get; set; }

    public long RemainingQty => Qty - FilledQty;

    public bool IsOpen => Status is "new" or "accepted" or "partially_filled";

    /// <summary>For simple orders: the one symbol; for mleg: empty (Alpaca leaves it blank).</summary>
    public string Symbol => OrderClass == "mleg" ? "" : Legs[0].Symbol;

    public bool Touches(string symbol)
    {
        foreach (var leg in Legs) if (leg.Symbol == symbol) return true;
        return false;
    }
}
