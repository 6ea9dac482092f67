using Streamer.Stream.Journal;

namespace Streamer.Stream.Service;

/// <summary>
/// Where the control API and intake add, remove and list monitored positions. The default
/// (<see cref="JournalPositionRegistry"/>) persists them in the journal and raises events; the
/// engine (branch <c>engine</c>) subscribes to route positions to its shards.
/// </summary>
internal interface IPositionRegistry
{
    IReadOnlyList<JournaledPosition> List();

    bool Contains(string positionId);

    /// <summary>null when added; otherwise why not (e.g. already monitored).</summary>
    string? Add(string positionId, string definitionJson);

    /// <summary>Stops monitoring; false when the id is not monitored.</summary>
    bool Remove(string positionId);

    event Action<string, string>? Added;

    event Action<string>? Removed;
}

internal sealed class JournalPositionRegistry(SqliteJournal journal, TimeProvider time) : IPositionRegistry
{
    private readonly Lock _gate = new();

    public event Action<string, string>? Added;

    public event Action<string>? Removed;

    public IReadOnlyList<JournaledPosition> List() => journal.LoadOpenPositions();

    public bool Contains(string positionId) => journal.LoadOpenPositions().Any(p => p.Id == positionId);

    public string? Add(string positionId, string definitionJson)
    {
        lock (_gate)
        {
            if (Contains(positionId)) return $"position '{positionId}' is already monitored (remove it first to replace it)";
            journal.UpsertPosition(positionId, definitionJson, Now());
            journal.SetPositionStatus(positionId, PositionStatus.Open, Now());
        }
        Added?.Invoke(positionId, definitionJson);
        return null;
    }

    public bool Remove(string positionId)
    {
        lock (_gate)
        {
            if (!Contains(positionId)) return false;
            journal.SetPositionStatus(positionId, PositionStatus.Closed, Now());
        }
        Removed?.Invoke(positionId);
        return true;
    }

    private long Now() => Streamer.Rules.Time.NanoTime.FromDateTime(time.GetUtcNow().UtcDateTime);
}
