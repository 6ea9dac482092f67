namespace Streamer.Stream.Alpaca.MarketData;

/// <summary>Health of a market-data connection, as the pipeline and alerts see it.</summary>
public enum FeedState : byte
{
    /// <summary>dialling, authenticating (also the initial state)</summary>
    Connecting,
    /// <summary>authenticated and subscribed; data flows</summary>
    Live,
    /// <summary>connected, but no frame for longer than <see cref="AlpacaStreamOptions.StaleAfter"/></summary>
    Stale,
    /// <summary>not connected: waiting to retry, or given up (see <see cref="AlpacaStreamClient.GaveUp"/>)</summary>
    Down,
}
