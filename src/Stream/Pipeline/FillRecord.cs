namespace Streamer.Stream.Pipeline;

/// <summary>An execution (fill) from the executions intake or the broker.</summary>
/// <param name="Quantity">signed: + bought, − sold.</param>
/// <param name="RawJson">the message as received, for audit.</param>
/// <param name="ExitId">set when the fill executes an exit's closing order (the exit id is its client_order_id):
/// the engine already took those contracts off when it decided the exit, so the fill confirms, it does not reduce.</param>
public sealed record FillRecord(string Id, string PositionId, string Symbol, double Quantity, double Price, long TimeNs, string? RawJson = null, string? ExitId = null)
{
    /// <summary>the journal's arrival order (set once journaled; 0 before).</summary>
    public long Ordinal { get; init; }
}
