namespace Streamer.Stream.Pipeline;

/// <summary>
/// Where ticks come from. A source runs until it ends or is cancelled, calling
/// <see cref="TickIngress.Publish"/> for every tick (a struct, by reference: nothing allocated per
/// tick) from its own thread; several sources may run at once (the ingress merges them). It may
/// report its connection state (<see cref="FeedMonitor.Report"/>); Live is inferred from ticks.
/// </summary>
public interface ITickSource
{
    /// <summary>What alerts call it (a tape's path, a websocket's endpoint).</summary>
    string Name { get; }

    /// <summary>Runs the source to its end (a tape) or until <paramref name="cancellationToken"/> (a live feed).</summary>
    Task RunAsync(TickIngress ingress, FeedMonitor feed, CancellationToken cancellationToken);
}
