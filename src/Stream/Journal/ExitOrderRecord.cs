namespace Streamer.Stream.Journal;

/// <summary>The executor's closing order for one exit.</summary>
/// <param name="ClientOrderId">the exit id on the first attempt, <c>&lt;exit id&gt;#&lt;attempt&gt;</c> after.</param>
public sealed record ExitOrderRecord(string ExitId, string PositionId, string ClientOrderId, string? OrderId, ExitOrderStatus Status, int Attempts, string? LastError)
{
    public bool IsDone => Status is ExitOrderStatus.Filled or ExitOrderStatus.Failed;
}
