using Streamer.Rules.Books;
using Streamer.Stream.Journal;
namespace Streamer.Stream.Service;

/// <summary>
/// The registry of <c>streamer run</c>: the journal's (<see cref="JournalPositionRegistry"/>) with the
/// live pipeline behind it. A position is parsed and its book checked before it is journaled, so the
/// control API rejects what the engine would refuse (instead of journaling a position nobody
/// monitors); once journaled it goes to the shard of its underlying.
/// </summary>
public sealed class PipelinePositionRegistry(PositionStore positions, TimeProvider time, LiveServiceOptions options, LivePipelineService pipeline) : IPositionRegistry
{
    private readonly JournalPositionRegistry _journal = new(positions, time);

    public event Action<string, string>? Added;

    public event Action<string>? Removed;

    public IReadOnlyList<JournaledPosition> List() => _journal.List();

    public bool Contains(string positionId) => _journal.Contains(positionId);

    /// <summary>A definition from the wire (the control API): parsed here, once, then added as a typed position.</summary>
    public string? Add(string positionId, string definitionJson, IReadOnlyList<string>? openingFillIds = null)
    {
        PositionDefinition position;
        try
        {
            position = PositionDefinition.Parse(definitionJson);
        }
        catch (ConfigException e)
        {
            return e.Message;
        }
        if (position.Id != positionId) return $"position '{positionId}': the definition's id is '{position.Id}'";
        return Add(position, openingFillIds);
    }

    public string? Add(PositionDefinition position, IReadOnlyList<string>? openingFillIds = null)
    {
        ArgumentNullException.ThrowIfNull(position);
        var spec = position.Spec;
        try
        {
            spec.Validate();
            options.Books.Get(spec.Book);
        }
        catch (ConfigException e)
        {
            return e.Message;
        }
        // an option that expired before it was added has nothing left to watch: said, not monitored silently
        // (by the feed's time; a position opened by fills, by the fill's: a fill says when it traded)
        bool byFill = openingFillIds is { Count: > 0 } && spec.OpenedAtNs != long.MinValue;
        long now = byFill ? spec.OpenedAtNs : pipeline.FeedNowNs;
        // a known id gets the journal's answer (monitored, or closed: never reused) before this one
        if (now != long.MinValue && positions.StatusOf(position.Id) is null && Streamer.Rules.Positions.LegSymbols.FirstExpired(spec.Legs, now) is { } expired)
            return $"position '{position.Id}': {expired.Symbol} expired on {expired.Expiration:yyyy-MM-dd}, before {Streamer.Rules.Time.NanoTime.FormatRfc3339(now)} ({(byFill ? "the fill's time" : "the feed's time")}): nothing left to monitor";
        var error = _journal.Add(position, openingFillIds);
        if (error is not null) return error;
        // a new id has no state, unless a journal rebuilt from the stream adopted its exits (Journal:RebuildFromStream)
        pipeline.Monitor(spec, pipeline.SavedStateOf(position.Id), "control");
        Added?.Invoke(position.Id, position.Json);
        return null;
    }

    public bool Remove(string positionId)
    {
        if (!_journal.Remove(positionId)) return false;
        pipeline.StopMonitoring(positionId);
        Removed?.Invoke(positionId);
        return true;
    }
}
