using Streamer.Rules.Engine;

namespace Streamer.Stream.Pipeline;

/// <summary>An operator's close now, on the position's shard in order with its ticks (the exit goes out through the shard's sink).</summary>
internal sealed class CloseNowCommand(string id, string actor) : ShardCommand
{
    private readonly TaskCompletionSource<CloseNowResult> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<CloseNowResult> Completion => _done.Task;

    public override void Execute(Shard shard) => _done.TrySetResult(shard.CloseNow(id, actor));

    public override void Abandon() => _done.TrySetResult(new CloseNowResult(CloseNowOutcome.UnknownPosition, null));
}

/// <summary>What a close now did, and the id of the exit it decided (<c>&lt;position&gt;:&lt;seq&gt;</c>) when it did.</summary>
public readonly record struct CloseNowResult(CloseNowOutcome Outcome, string? ExitId);
