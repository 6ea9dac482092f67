namespace Streamer.Rules.Engine;

/// <summary>
/// One leg of a position as it is valued now (snapshots, dashboards): symbol, open quantity (signed,
/// ratio × open units), entry price, mark and its time, implied vol. NaN where there is no mark or IV
/// yet; <see cref="MarkNs"/> is long.MinValue until the leg's first usable quote.
/// </summary>
public readonly record struct PositionLegView(
    string Symbol,
    long Qty,
    double EntryPrice,
    double Mark,
    long MarkNs,
    double Iv,
    bool IsOption);
