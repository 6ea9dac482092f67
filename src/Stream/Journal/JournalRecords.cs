namespace Streamer.Stream.Journal;

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
internal sealed record PendingExit(
    string Id,
    string PositionId,
    long Sequence,
    string Subject,
    byte[] Payload,
    long DecidedAtNs,
    int TranchesFiredMask = 0,
    string? PositionStateJson = null,
    bool ClosesPosition = false);

/// <summary>An exit as the journal has it.</summary>
/// <param name="PublishedAtNs">when the stream acknowledged it; null while unpublished.</param>
/// <param name="StreamSequence">the JetStream sequence of the acknowledged publish.</param>
internal sealed record JournaledExit(
    string Id,
    string PositionId,
    long Sequence,
    string Subject,
    byte[] Payload,
    long DecidedAtNs,
    long? PublishedAtNs,
    ulong? StreamSequence);

internal enum ExitRecordOutcome
{
    Recorded,
    /// <summary>an exit with this id is already journaled: nothing was written (the first decision stands).</summary>
    AlreadyDecided,
}

/// <summary>An execution (fill) from the executions intake or the broker.</summary>
/// <param name="Quantity">signed: + bought, − sold.</param>
/// <param name="RawJson">the message as received, for audit.</param>
/// <param name="ExitId">set when the fill executes an exit's closing order (the exit id is its client_order_id):
/// the engine already took those contracts off when it decided the exit, so the fill confirms, it does not reduce.</param>
internal sealed record FillRecord(string Id, string PositionId, string Symbol, double Quantity, double Price, long TimeNs, string? RawJson = null, string? ExitId = null)
{
    /// <summary>the journal's arrival order (set once journaled; 0 before).</summary>
    public long Ordinal { get; init; }
}

/// <summary>
/// A fill's resize of a position, on its way to the journal in order with the position's exits:
/// the state after it and the legs its definition should now say (qty = ratio × original units,
/// averaged entry price).
/// </summary>
internal sealed record PositionChange(string PositionId, Streamer.Rules.Engine.PositionState State, IReadOnlyList<(string Symbol, long Qty, double EntryPrice)> Legs, long AtNs);

internal enum FillRecordOutcome
{
    Recorded,
    /// <summary>a fill with this id is already journaled; nothing was written.</summary>
    Duplicate,
}

internal enum PositionStatus
{
    Open,
    Closed,
}

/// <summary>A position to restore on restart: its definition, rule state and fired tranches.</summary>
/// <param name="DefinitionJson">the position as given (positions file / intake), opaque to the journal.</param>
/// <param name="StateJson">the engine's per-position rule state (trailing peak, ...), null if never saved.</param>
internal sealed record JournaledPosition(
    string Id,
    string DefinitionJson,
    PositionStatus Status,
    string? StateJson,
    IReadOnlyList<int> TranchesFired,
    long NextExitSequence);

/// <summary>The journal refused a write that contradicts what it holds (a bug upstream, never retried).</summary>
internal sealed class JournalConflictException : Exception
{
    public JournalConflictException() { }
    public JournalConflictException(string message) : base(message) { }
    public JournalConflictException(string message, Exception inner) : base(message, inner) { }
}
