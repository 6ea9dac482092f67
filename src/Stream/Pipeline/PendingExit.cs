namespace Streamer.Stream.Pipeline;

/// <summary>
/// An exit decision to journal before it is published. <paramref name="Payload"/> is the exit
/// event JSON exactly as it will go on the wire (formats.md "Exit event"). The optional parts are
/// written in the same transaction, so the exit and the rule state that says "this fired" are
/// never out of step after a crash.
/// </summary>
/// <param name="Id">the exit id, <c>&lt;position id&gt;:&lt;sequence&gt;</c>.</param>
/// <param name="Subject">where it is published, <c>streamer.exits.&lt;UNDERLYING&gt;</c>.</param>
/// <param name="DecidedAtNs">the engine clock at the decision (UTC ns).</param>
/// <param name="TranchesFiredMask">the position's fired scale-out tranches after this exit, bit i = tranche i (the engine's
/// <c>PositionState.TranchesFired</c>); 0 = not given. A tranche fires once: a mask that drops a tranche already journaled is refused.</param>
/// <param name="PositionStateJson">the position's rule state after this exit, if the engine has it.</param>
/// <param name="ClosesPosition">true when the exit closes everything: the position becomes closed.</param>
public sealed record PendingExit(
    string Id,
    string PositionId,
    long Sequence,
    string Subject,
    byte[] Payload,
    long DecidedAtNs,
    int TranchesFiredMask = 0,
    string? PositionStateJson = null,
    bool ClosesPosition = false)
{
    /// <summary>Stopwatch timestamp of the decision on its shard (0: not decided by this process, e.g. adopted): decision → acked is measured from it.</summary>
    public long DecidedTimestamp { get; init; }
}
