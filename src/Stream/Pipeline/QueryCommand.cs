using Streamer.Rules.Engine;

namespace Streamer.Stream.Pipeline;

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
