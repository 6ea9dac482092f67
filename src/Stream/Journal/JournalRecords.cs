namespace Streamer.Stream.Journal;

/// <summary>An exit as the journal has it.</summary>
/// <param name="PublishedAtNs">when the stream acknowledged it; null while unpublished.</param>
/// <param name="StreamSequence">the JetStream sequence of the acknowledged publish.</param>
public sealed record JournaledExit(
    string Id,
    string PositionId,
    long Sequence,
    string Subject,
    byte[] Payload,
    long DecidedAtNs,
    long? PublishedAtNs,
    ulong? StreamSequence);

public enum ExitRecordOutcome
{
    Recorded,
    /// <summary>an exit with this id is already journaled: nothing was written (the first decision stands).</summary>
    AlreadyDecided,
}

public enum FillRecordOutcome
{
    Recorded,
    /// <summary>a fill with this id is already journaled; nothing was written.</summary>
    Duplicate,
}

public enum PositionStatus
{
    Open,
    Closed,
}

/// <summary>A position to restore on restart: its definition, rule state and fired tranches.</summary>
/// <param name="DefinitionJson">the position as given (positions file / intake), opaque to the journal.</param>
/// <param name="StateJson">the engine's per-position rule state (trailing peak, ...), null if never saved.</param>
public sealed record JournaledPosition(
    string Id,
    string DefinitionJson,
    PositionStatus Status,
    string? StateJson,
    IReadOnlyList<int> TranchesFired,
    long NextExitSequence);

