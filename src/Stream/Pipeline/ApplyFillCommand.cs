using Streamer.Rules.Engine;

namespace Streamer.Stream.Pipeline;

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
