namespace Streamer.Stream.Emulator;

/// <summary>One leg of a paper order (a simple order is its own single leg).</summary>
public sealed class PaperLeg
{
    public required string Id { get; init; }
    public required string Symbol { get; init; }
    public required string Side { get; init; }            // buy | sell
    public required string PositionIntent { get; init; }  // buy_to_open … sell_to_close, or ""

    /// <summary>
    /// What the order object shows: the intent given, or when none was, the one Alpaca infers from the
    /// position at submission (a buy against a short closes it, else opens). Only reported: holds and
    /// closing checks follow <see cref="PositionIntent"/>, the intent the client asked for.
    /// </summary>
    public required string ReportedIntent { get; init; }

    /// <summary>Alpaca gives every leg of an mleg order its own order id and client order id.</summary>
    public required string ClientOrderId { get; init; }
    public required int RatioQty { get; init; }
    public required bool IsOption { get; init; }

    /// <summary>Weighted over every execution of this leg.</summary>
    public decimal FilledAvgPrice { get; set; }

    public bool IsBuy => Side == "buy";

    public bool IsClosing => PositionIntent is "buy_to_close" or "sell_to_close";
}
