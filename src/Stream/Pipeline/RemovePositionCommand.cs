
namespace Streamer.Stream.Pipeline;

internal sealed class RemovePositionCommand(string id) : ShardCommand
{
    private readonly TaskCompletionSource<bool> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<bool> Completion => _done.Task;

    public override void Execute(Shard shard) => _done.TrySetResult(shard.Remove(id));

    public override void Abandon() => _done.TrySetResult(false);
}
