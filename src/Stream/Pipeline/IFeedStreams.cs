namespace Streamer.Stream.Pipeline;

/// <summary>
/// A feed made of several connections (Alpaca's stock and option websockets): the state of each, for the
/// heartbeat's <c>feeds</c> object and the dashboard's health panel. The pipeline's one <c>feed</c> state is
/// what ticks say for all of them together; this says which connection is the one that is down.
/// </summary>
public interface IFeedStreams
{
    /// <summary>Each connection's name (<c>stocks iex</c>, <c>options indicative</c>) and state, in a fixed order.</summary>
    IReadOnlyList<(string Name, FeedStatus State)> Streams { get; }
}
