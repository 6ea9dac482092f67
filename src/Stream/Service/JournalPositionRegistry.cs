using Streamer.Stream.Journal;
namespace Streamer.Stream.Service;

/// <summary>The default registry: positions kept in the journal (open/closed), events for the engine.</summary>
internal sealed class JournalPositionRegistry(PositionStore positions, TimeProvider time) : IPositionRegistry
{
    private readonly Lock _gate = new();

    public event Action<string, string>? Added;

    public event Action<string>? Removed;

    public IReadOnlyList<JournaledPosition> List() => positions.LoadOpenPositions();

    // one indexed lookup: loading every open position per call made opening N positions by fill O(N²)
    public bool Contains(string positionId) => positions.StatusOf(positionId) == PositionStatus.Open;

    public string? Add(string positionId, string definitionJson, IReadOnlyList<string>? openingFillIds = null)
    {
        lock (_gate)
        {
            var status = positions.StatusOf(positionId);
            if (status == PositionStatus.Open) return $"position '{positionId}' is already monitored (remove it first to replace it)";
            // its exits, tranches and state stay journaled under that id: a new position needs a new id
            if (status == PositionStatus.Closed) return $"position '{positionId}' was closed; a new position needs a new id";
            positions.OpenPosition(positionId, definitionJson, Now(), openingFillIds);
        }
        Added?.Invoke(positionId, definitionJson);
        return null;
    }

    public string? Add(PositionDefinition position, IReadOnlyList<string>? openingFillIds = null)
    {
        ArgumentNullException.ThrowIfNull(position);
        return Add(position.Id, position.Json, openingFillIds);
    }

    public bool Remove(string positionId)
    {
        lock (_gate)
        {
            if (!Contains(positionId)) return false;
            positions.SetPositionStatus(positionId, PositionStatus.Closed, Now());
        }
        Removed?.Invoke(positionId);
        return true;
    }

    private long Now() => Streamer.Rules.Time.NanoTime.FromDateTime(time.GetUtcNow().UtcDateTime);
}
