namespace Streamer.Stream.Nats;

/// <summary>
/// The service's view of NATS: plain publish, request/reply and subscriptions that survive
/// reconnects. Implemented by <see cref="NatsBus"/> over the official client (NATS.Net).
/// </summary>
public interface IMessageBus : IDisposable
{
    /// <summary>Current connection state; <see cref="StateChanged"/> fires on every change.</summary>
    BusState State { get; }

    bool IsConnected { get; }

    /// <summary>the last connection or protocol error, for diagnostics and alerts.</summary>
    string? LastError { get; }

    /// <summary>how many times a connection was (re)established.</summary>
    int Connections { get; }

    /// <summary>Waits until connected; false when <paramref name="timeout"/> passes first.</summary>
    Task<bool> WaitUntilConnectedAsync(TimeSpan timeout, CancellationToken cancellationToken = default);

    /// <summary>Raised (from a background thread) when <see cref="State"/> changes.</summary>
    event Action<BusState>? StateChanged;

    /// <summary>
    /// Fire-and-forget publish. Returns false (nothing sent) when not connected; NATS core
    /// publish gives no delivery guarantee either way: use <see cref="RequestAsync"/> for acks.
    /// </summary>
    bool TryPublish(string subject, ReadOnlyMemory<byte> payload, string? replyTo = null);

    /// <summary>
    /// Request/reply. Throws <see cref="TimeoutException"/> when no reply arrives in time and
    /// <see cref="MessageBusUnavailableException"/> when not connected.
    /// </summary>
    Task<BusMessage> RequestAsync(string subject, ReadOnlyMemory<byte> payload, TimeSpan timeout, CancellationToken cancellationToken = default);

    /// <summary>
    /// Subscribes now if connected, and again after every reconnect, until disposed. The handler
    /// runs on a client thread; it must not block for long.
    /// </summary>
    IDisposable Subscribe(string subject, Action<BusMessage> handler);

    /// <summary>Round trip to the server: everything published before is at the server when it returns true.</summary>
    bool Flush(TimeSpan timeout);
}

/// <summary>One received message. <see cref="ReplyTo"/> is null when none was asked for.</summary>
public sealed record BusMessage(string Subject, string? ReplyTo, byte[] Data);

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
