using Streamer.Stream.Journal;
namespace Streamer.Stream.Service;

/// <summary>
/// Where the control API and intake add, remove and list monitored positions. The default
/// (<see cref="JournalPositionRegistry"/>) persists them in the journal and raises events; the
/// engine (branch <c>engine</c>) subscribes to route positions to its shards.
/// </summary>
public interface IPositionRegistry
{
    IReadOnlyList<JournaledPosition> List();

    bool Contains(string positionId);

    /// <summary>
    /// null when added; otherwise why not (e.g. already monitored, or closed: an id is never reused).
    /// <paramref name="openingFillIds"/>: the fills that open it, marked so in the same journal
    /// transaction (a restart must not apply them again).
    /// </summary>
    string? Add(string positionId, string definitionJson, IReadOnlyList<string>? openingFillIds = null);

    /// <summary>As <see cref="Add(string, string, IReadOnlyList{string})"/>, for a position already parsed where it was made (not parsed again).</summary>
    string? Add(PositionDefinition position, IReadOnlyList<string>? openingFillIds = null);

    /// <summary>Stops monitoring; false when the id is not monitored.</summary>
    bool Remove(string positionId);

    event Action<string, string>? Added;

    event Action<string>? Removed;
}
