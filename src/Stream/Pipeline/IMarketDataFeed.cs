using Streamer.Rules.Positions;

namespace Streamer.Stream.Pipeline;

/// <summary>
/// A live market-data feed whose subscriptions follow the monitored positions (the Alpaca
/// adapter's streams): a tick source that is told which symbols each position needs. The service
/// subscribes a position's symbols when it is added and unsubscribes them when it closes or is
/// removed; the feed reference-counts symbols shared by several positions.
/// </summary>
public interface IMarketDataFeed : ITickSource, IAsyncDisposable
{
    /// <summary>Quotes and trades for the position's underlying and legs.</summary>
    Task SubscribeAsync(PositionSpec spec);

    Task UnsubscribeAsync(PositionSpec spec);

    /// <summary>Raised from a feed thread when the operator must hear of something (a limit, a lost connection).</summary>
    event Action<FeedAlert>? Alert;
}
