using Streamer.Rules.Engine;
using Streamer.Rules.Positions;

namespace Streamer.Stream.Pipeline;

/// <summary>Intake and queries that run on a shard's thread, in order with its ticks (cold path: allocating is fine).</summary>
public abstract class ShardCommand
{
    /// <summary>Runs on the shard thread; must not throw (failures complete the caller's task).</summary>
    public abstract void Execute(Shard shard);

    /// <summary>The shard is stopped and will never run it: the caller's task fails instead of hanging.</summary>
    public abstract void Abandon();
}

/// <summary>
/// Adds a position; completes with null, or the reason the engine refused it.
/// </summary>
public sealed class AddPositionCommand(PositionSpec spec, PositionState? state) : ShardCommand
{
    private readonly TaskCompletionSource<string?> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public PositionSpec Spec => spec;

    public Task<string?> Completion => _done.Task;

    /// <summary>
    /// Tape clock: the tape time when the position joined (replay's engine clock at that moment), or
    /// long.MinValue (live, or before the tape's first tick). The shard's engine first advances to
    /// max(this, opened_at), exactly as replay's single engine is there, so time rules fire in order.
    /// </summary>
    public long TapeClockNs { get; set; } = long.MinValue;

    /// <summary>Arrival order, to keep file order among equal opened_at.</summary>
    public long Order { get; set; }

    /// <summary>The shard that owns the position's underlying.</summary>
    public int ShardIndex { get; set; }

    public override void Abandon() => _done.TrySetResult($"position '{spec.Id}' not added: the pipeline is stopped");

    public override void Execute(Shard shard)
    {
        try
        {
            shard.Add(spec, state, TapeClockNs);
            _done.TrySetResult(null);
        }
        catch (Exception e) when (e is Streamer.Rules.Books.ConfigException or ArgumentException or KeyNotFoundException or FormatException)
        {
            shard.RaiseRejected(spec.Id, e.Message);
            _done.TrySetResult(e.Message);
        }
    }
}

internal sealed class RemovePositionCommand(string id) : ShardCommand
{
    private readonly TaskCompletionSource<bool> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<bool> Completion => _done.Task;

    public override void Execute(Shard shard) => _done.TrySetResult(shard.Remove(id));

    public override void Abandon() => _done.TrySetResult(false);
}

/// <summary>Reads the engine on its own thread (snapshots for the control API, states for the journal, a barrier in tests).</summary>
internal sealed class QueryCommand<T>(Func<ExitEngine, T> query) : ShardCommand
{
    private readonly TaskCompletionSource<T> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<T> Completion => _done.Task;

    public override void Abandon() => _done.TrySetException(new InvalidOperationException("the pipeline is stopped"));

    public override void Execute(Shard shard)
    {
        try
        {
            _done.TrySetResult(query(shard.Engine));
        }
#pragma warning disable CA1031 // a query's failure belongs to its caller, never to the shard thread
        catch (Exception e)
#pragma warning restore CA1031
        {
            _done.TrySetException(e);
        }
    }
}

/// <summary>
/// Applies a fill to a monitored position on its shard (in order with its ticks and exits). A resize
/// goes to the journal through the exits channel, after every exit the shard decided before it.
/// </summary>
internal sealed class ApplyFillCommand(Streamer.Stream.Pipeline.FillRecord fill, long quantity) : ShardCommand
{
    private readonly TaskCompletionSource<FillResult> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<FillResult> Completion => _done.Task;

    // not a rejection: the fill stays journaled without a disposition and is fed again at the next start
    public override void Abandon() => _done.TrySetException(new InvalidOperationException("the pipeline is stopped"));

    public override void Execute(Shard shard)
    {
        try
        {
            _done.TrySetResult(shard.ApplyFill(fill, quantity));
        }
#pragma warning disable CA1031 // a fill's failure belongs to its caller, never to the shard thread
        catch (Exception e)
#pragma warning restore CA1031
        {
            _done.TrySetException(e);
        }
    }
}
