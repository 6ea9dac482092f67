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

    /// <summary>
    /// The largest message (payload and headers) the server accepts: its INFO <c>max_payload</c>, or
    /// NATS's default (1 MiB) before the first connection. The server closes a connection that sends
    /// more, so a publish over it is refused here instead.
    /// </summary>
    int MaxPayload => DefaultMaxPayload;

    /// <summary>nats-server's default <c>max_payload</c>.</summary>
    const int DefaultMaxPayload = 1024 * 1024;

    /// <summary>Waits until connected; false when <paramref name="timeout"/> passes first.</summary>
    Task<bool> WaitUntilConnectedAsync(TimeSpan timeout, CancellationToken cancellationToken = default);

    /// <summary>Raised (from a background thread) when <see cref="State"/> changes.</summary>
    event Action<BusState>? StateChanged;

    /// <summary>
    /// Raised (from a background thread) when a connect attempt fails or the server reports an error
    /// (credentials refused, an untrusted certificate, a permissions violation): the text says why.
    /// The bus keeps retrying with backoff; it never gives up by itself.
    /// </summary>
    event Action<string>? Problem;

    /// <summary>
    /// Fire-and-forget publish. Returns false (nothing sent) when not connected, or when
    /// <paramref name="payload"/> is over <see cref="MaxPayload"/> (<see cref="LastError"/> says so); NATS core
    /// publish gives no delivery guarantee either way: use <see cref="RequestAsync"/> for acks.
    /// </summary>
    bool TryPublish(string subject, ReadOnlyMemory<byte> payload, string? replyTo = null);

    /// <summary>
    /// As <see cref="TryPublish(string, ReadOnlyMemory{byte}, string?)"/>, for a caller that reuses its buffer
    /// (the feed gateway's pooled tick records): <paramref name="written"/> completes once the client has
    /// copied <paramref name="payload"/> out; until then the buffer must not be written again. On the
    /// client's fast path it has completed on return. A bus that copies at once leaves it completed.
    /// </summary>
    bool TryPublish(string subject, ReadOnlyMemory<byte> payload, out ValueTask written)
    {
        written = ValueTask.CompletedTask;
        return TryPublish(subject, payload);
    }

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

    /// <summary>
    /// As <see cref="Subscribe(string, Action{BusMessage})"/>, in the queue group <paramref name="queueGroup"/>:
    /// of all subscribers in that group, one gets each message (a bus without groups delivers to this one).
    /// </summary>
    IDisposable Subscribe(string subject, string queueGroup, Action<BusMessage> handler) => Subscribe(subject, handler);

    /// <summary>
    /// Serves <paramref name="endpoints"/> as one NATS service (the micro protocol: discoverable with
    /// <c>$SRV.PING</c>/<c>INFO</c>/<c>STATS</c>). Resolves once the endpoints are subscribed, which
    /// needs a connection; they are restored after reconnects like any subscription. Disposing stops it.
    /// </summary>
    Task<IAsyncDisposable> ServeAsync(ServiceDescription service, IReadOnlyList<ServiceEndpoint> endpoints, CancellationToken cancellationToken = default);

    /// <summary>Round trip to the server: everything published before is at the server when it returns true.</summary>
    bool Flush(TimeSpan timeout);
}
