using Streamer.Rules.Engine;
using Streamer.Rules.Positions;

namespace Streamer.Stream.Pipeline;

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

    /// <summary>Its rules start paused (an operator's pause, kept across a restart): set before its first tick.</summary>
    public bool Paused { get; init; }

    /// <summary>The shard that owns the position's underlying.</summary>
    public int ShardIndex { get; set; }

    public override void Abandon() => _done.TrySetResult($"position '{spec.Id}' not added: the pipeline is stopped");

    public override void Execute(Shard shard)
    {
        try
        {
            shard.Add(spec, state, TapeClockNs, Paused);
            _done.TrySetResult(null);
        }
        catch (Exception e) when (e is Streamer.Rules.Books.ConfigException or ArgumentException or KeyNotFoundException or FormatException)
        {
            shard.RaiseRejected(spec.Id, e.Message);
            _done.TrySetResult(e.Message);
        }
    }
}
