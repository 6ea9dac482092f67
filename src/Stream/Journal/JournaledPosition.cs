namespace Streamer.Stream.Journal;

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
