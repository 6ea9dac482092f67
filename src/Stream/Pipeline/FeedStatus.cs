namespace Streamer.Stream.Pipeline;

/// <summary>
/// Health of the market data reaching the pipeline, for the heartbeat and alerts. The same four
/// states as the Alpaca client's <c>FeedState</c> (branch alpaca), so its states map one to one.
/// </summary>
public enum FeedStatus : byte
{
    /// <summary>no source has delivered a tick yet (dialling, authenticating, tape opening).</summary>
    Connecting,
    /// <summary>ticks are flowing.</summary>
    Live,
    /// <summary>a source is connected but no tick arrived for <see cref="PipelineOptions.StaleAfter"/>.</summary>
    Stale,
    /// <summary>every source is down or finished (tape ended, connection lost, gave up).</summary>
    Down,
}
