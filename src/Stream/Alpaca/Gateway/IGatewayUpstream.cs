namespace Streamer.Stream.Alpaca.Gateway;

/// <summary>
/// Where the gateway's ticks come from: Alpaca's two websockets (<see cref="AlpacaUpstream"/>) or a tape
/// (<see cref="TapeUpstream"/>). The gateway calls <see cref="SubscribeAsync"/> once per symbol when its
/// first engine wants it and <see cref="UnsubscribeAsync"/> when the last one's demand has gone (after the
/// grace), in that order, one change at a time.
/// </summary>
internal interface IGatewayUpstream : IAsyncDisposable
{
    /// <summary>What the log calls it (the endpoint, the tape's path).</summary>
    string Name { get; }

    Task SubscribeAsync(IReadOnlyList<string> symbols);

    Task UnsubscribeAsync(IReadOnlyList<string> symbols);

    /// <summary>Runs until <paramref name="cancellationToken"/> (a live feed) or the tape's end; each source thread publishes through its own publisher.</summary>
    Task RunAsync(Func<TickPublisher> newPublisher, CancellationToken cancellationToken);
}
