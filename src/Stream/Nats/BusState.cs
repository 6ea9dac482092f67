namespace Streamer.Stream.Nats;

public enum BusState
{
    /// <summary>not yet connected, trying (the first connection).</summary>
    Connecting,
    Connected,
    /// <summary>was connected, lost it, reconnecting with backoff.</summary>
    Disconnected,
    /// <summary>disposed; never reconnects.</summary>
    Closed,
}
