using Streamer.Stream.Contracts.Resilience;
using NATS.Client.Core;

namespace Streamer.Stream.Nats;

/// <summary>
/// <see cref="IMessageBus"/> over the official client (NATS.Net <see cref="NatsConnection"/>): it
/// reconnects with backoff and restores subscriptions by itself; this adapter only maps its events
/// to <see cref="BusState"/>, its exceptions to ours, and adds publishes pinned to one connection
/// (<see cref="PinnedConnection"/>) for the outbox's ordering.
/// </summary>
public sealed partial class NatsBus : IMessageBus, IConnectionBoundRequests
{
    private readonly NatsBusOptions _options;
    private readonly BusStateTracker _state = new();
    private readonly Lock _pinGate = new();
    private readonly CancellationTokenSource _stop = new();
    private PinnedConnection? _pinned;
    private int _pinnedCount;
    private int _connections;
    private volatile string? _lastError;
    private int _disposed;

    public NatsBus(NatsBusOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        Connection = new NatsConnection(Opts(options, options.Name) with { LoggerFactory = new ProblemLoggerFactory(OnProblem) });
        Connection.ConnectionOpened += (_, _) =>
        {
            Interlocked.Increment(ref _connections);
            Report(_state.Set(BusState.Connected));
            return ValueTask.CompletedTask;
        };
        Connection.ConnectionDisconnected += (_, e) =>
        {
            if (Volatile.Read(ref _disposed) == 0)
            {
                _lastError = "disconnected: " + e.Message;
                Report(_state.Set(BusState.Disconnected));
            }
            return ValueTask.CompletedTask;
        };
        Connection.ReconnectFailed += (_, e) =>
        {
            // the reason is in the client's log (ProblemLoggerFactory); this only names the address
            _lastError ??= "connect failed: " + e.Message;
            return ValueTask.CompletedTask;
        };
        Connection.ServerError += (_, e) =>
        {
            OnProblem("server error: " + e.Error);
            return ValueTask.CompletedTask;
        };
        _ = ConnectAsync();
    }

    /// <summary>the client connection (JetStream management, consumers): NATS.Net reconnects it.</summary>
    internal NatsConnection Connection { get; }

    public BusState State => _state.State;

    public bool IsConnected => Connection.ConnectionState == NatsConnectionState.Open && _state.State == BusState.Connected;

    public string? LastError => _lastError;

    public int Connections => Volatile.Read(ref _connections);

    public int MaxPayload => Connection.ServerInfo is { MaxPayload: > 0 } info ? info.MaxPayload : IMessageBus.DefaultMaxPayload;

    public event Action<string>? Problem;

    public event Action<BusState>? StateChanged
    {
        add => _state.Changed += value;
        remove => _state.Changed -= value;
    }

    public Task<bool> WaitUntilConnectedAsync(TimeSpan timeout, CancellationToken cancellationToken = default) =>
        _state.WaitUntilConnectedAsync(timeout, cancellationToken);

    public bool TryPublish(string subject, ReadOnlyMemory<byte> payload, string? replyTo = null)
    {
        if (!IsConnected) return false;
        if (payload.Length > MaxPayload) return RefuseOversize(subject, payload.Length);
        try
        {
            var sent = Connection.PublishAsync(subject, payload, replyTo: replyTo, cancellationToken: _stop.Token);
            if (!sent.IsCompletedSuccessfully) _ = ObserveAsync(sent);
            return true;
        }
        catch (Exception e) when (e is NatsException or ObjectDisposedException or OperationCanceledException)
        {
            _lastError = e.Message;
            return false;
        }
    }

    public bool TryPublish(string subject, ReadOnlyMemory<byte> payload, out ValueTask written)
    {
        written = ValueTask.CompletedTask;
        if (!IsConnected) return false;
        if (payload.Length > MaxPayload) return RefuseOversize(subject, payload.Length);
        try
        {
            // the client copies the payload into its write buffer on this thread unless another writer holds it:
            // then the returned task still refers to the payload, and the caller keeps the buffer until it completes
            written = Connection.PublishAsync(subject, payload, cancellationToken: _stop.Token);
            return true;
        }
        catch (Exception e) when (e is NatsException or ObjectDisposedException or OperationCanceledException)
        {
            _lastError = e.Message;
            return false;
        }
    }

    // the server would answer "Maximum Payload Violation" by closing the connection, and every subscription with it
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private bool RefuseOversize(string subject, int bytes)
    {
        var error = $"not published to '{subject}': {bytes} bytes is over the server's max_payload of {MaxPayload}";
        _lastError = error;
        OnProblem(error);
        return false;
    }

    public async Task<BusMessage> RequestAsync(string subject, ReadOnlyMemory<byte> payload, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        if (!IsConnected) throw new MessageBusUnavailableException();
        if (payload.Length > MaxPayload) throw new MessageTooLargeException(subject, payload.Length, MaxPayload);
        try
        {
            var reply = await Connection.RequestAsync<ReadOnlyMemory<byte>, byte[]>(subject, payload, replyOpts: new NatsSubOpts { Timeout = timeout }, cancellationToken: cancellationToken).ConfigureAwait(false);
            return new BusMessage(reply.Subject, reply.ReplyTo, reply.Data ?? []);
        }
        catch (Exception e) when (e is NatsNoReplyException or NatsNoRespondersException)
        {
            // no responder is a timeout to the caller, as on the wire bus: nobody answered
            throw new TimeoutException($"no reply on '{subject}' within {timeout.TotalMilliseconds:0} ms", e);
        }
        catch (NatsException e)
        {
            throw new MessageBusUnavailableException("NATS request failed: " + e.Message, e);
        }
    }

    public IDisposable Subscribe(string subject, Action<BusMessage> handler) => Subscribe(subject, null, handler);

    public IDisposable Subscribe(string subject, string? queueGroup, Action<BusMessage> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var subscription = new BusSubscription(Connection, subject, queueGroup, handler, e => _lastError = e);
        // while connected the SUB is at the server when this returns, so a publish right after reaches it
        if (IsConnected) subscription.Started.Wait(_options.ConnectTimeout);
        return subscription;
    }

    public bool Flush(TimeSpan timeout)
    {
        if (!IsConnected) return false;
        try
        {
            return Connection.PingAsync(_stop.Token).AsTask().Wait(timeout);
        }
        catch (AggregateException e)
        {
            _lastError = e.InnerException?.Message;
            return false;
        }
    }

    int IConnectionBoundRequests.CurrentConnection
    {
        get
        {
            if (!IsConnected || Volatile.Read(ref _disposed) != 0) return 0;
            lock (_pinGate)
            {
                if (_pinned is { IsLive: true }) return _pinned.Number;
                if (_pinned is null || _pinned.IsDead)
                {
                    // a pinned connection never reconnects: a new number means "what was unacked on the old one must be resent"
                    _pinned?.Dispose();
                    _pinned = new PinnedConnection(++_pinnedCount, Opts(_options, _options.Name + "-pinned"), e => _lastError = e);
                }
                return 0;
            }
        }
    }

    Task<PubAck> IConnectionBoundRequests.PublishOnAsync(int connection, string subject, ReadOnlyMemory<byte> payload, string? messageId, TimeSpan timeout, CancellationToken cancellationToken, string? state)
    {
        PinnedConnection? pinned;
        lock (_pinGate) pinned = _pinned;
        if (pinned is null || pinned.Number != connection || !pinned.IsLive)
            return Task.FromException<PubAck>(new MessageBusUnavailableException($"NATS connection {connection} is gone"));
        return pinned.PublishAsync(subject, payload, messageId, timeout, cancellationToken, state);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _stop.Cancel();
        lock (_pinGate) _pinned?.Dispose();
        _state.Set(BusState.Closed);
        // bounded: a dead server must not hang shutdown
        _ = Connection.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(2));
        _stop.Dispose();
    }

    internal static NatsOpts Opts(NatsBusOptions o, string name) => NatsOpts.Default with
    {
        Url = o.Url,
        Name = name,
        RetryOnInitialConnect = true,
        MaxReconnectRetry = -1,
        ReconnectWaitMin = o.ReconnectMinDelay,
        ReconnectWaitMax = o.ReconnectMaxDelay,
        ReconnectJitter = TimeSpan.FromMilliseconds(Math.Min(100, o.ReconnectMinDelay.TotalMilliseconds)),
        ConnectTimeout = o.ConnectTimeout,
        PingInterval = o.HealthInterval,
        MaxPingOut = Math.Max(2, (int)Math.Ceiling(o.HealthTimeout / o.HealthInterval)),
        RequestTimeout = o.HealthTimeout,
        CommandTimeout = o.HealthTimeout,
        AuthOpts = o.Auth is null ? NatsAuthOpts.Default : new NatsAuthOpts
        {
            Username = o.Auth.User,
            Password = o.Auth.Password,
            Token = o.Auth.Token,
            Seed = o.Auth.NKeySeed,
            NKey = o.Auth.NKeyPublic,
            CredsFile = o.Auth.CredsFile,
        },
        TlsOpts = o.Tls is null ? NatsTlsOpts.Default : new NatsTlsOpts
        {
            // a CA or a client certificate means TLS is wanted: never fall back to plain text
            Mode = TlsMode.Require,
            CaFile = o.Tls.CaFile,
            CertFile = o.Tls.CertFile,
            KeyFile = o.Tls.KeyFile,
            InsecureSkipVerify = !o.Tls.Verify,
        },
    };

    private async Task ConnectAsync()
    {
        var first = Connection.ConnectAsync().AsTask();
        _ = DiagnoseFirstConnectAsync(first);
        try
        {
            await first.ConfigureAwait(false);
        }
#pragma warning disable CA1031 // the first connect retries by itself; a failure here is only reported
        catch (Exception e)
#pragma warning restore CA1031
        {
            OnProblem("connect failed: " + Reasons(e));
        }
    }

    /// <summary>
    /// NATS.Net retries the first connect without saying why it failed (a refused password, an
    /// untrusted certificate, no server). Until it is up, a probe connection with the same options
    /// and no retry tries at the reconnect pace and reports each failure's reason.
    /// </summary>
    private async Task DiagnoseFirstConnectAsync(Task first)
    {
        var backoff = new Backoff(_options.ReconnectMinDelay, _options.ReconnectMaxDelay);
        for (int retry = 0; !first.IsCompleted && !_stop.IsCancellationRequested; retry++)
        {
            var probe = new NatsConnection(Opts(_options, _options.Name + "-probe") with { RetryOnInitialConnect = false });
            await using (probe.ConfigureAwait(false))
            {
                try
                {
                    await probe.ConnectAsync().ConfigureAwait(false);
                    return; // the server takes us: the real connection gets there by itself
                }
#pragma warning disable CA1031 // a diagnosis: every failure is reported, none is fatal
                catch (Exception e)
#pragma warning restore CA1031
                {
                    if (first.IsCompleted || _stop.IsCancellationRequested) return;
                    OnProblem("connect failed: " + Reasons(e));
                }
            }
            try
            {
                await Task.Delay(backoff.Delay(retry), _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>an exception's message and its inner ones', each once: "can not connect: Authorization Violation".</summary>
    internal static string Reasons(Exception e)
    {
        var text = e.Message;
        for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
            if (!text.Contains(inner.Message, StringComparison.Ordinal)) text += ": " + inner.Message;
        return text;
    }

    private void OnProblem(string problem)
    {
        _lastError = problem;
        try
        {
            Problem?.Invoke(problem);
        }
#pragma warning disable CA1031 // a listener's bug must not stop the client's reconnect loop
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    private void Report(string? listenerError)
    {
        if (listenerError is not null) _lastError = listenerError;
    }

    private async Task ObserveAsync(ValueTask sent)
    {
        try
        {
            await sent.ConfigureAwait(false);
        }
#pragma warning disable CA1031 // fire-and-forget: a lost core publish is allowed, a crash is not
        catch (Exception e)
#pragma warning restore CA1031
        {
            _lastError = e.Message;
        }
    }
}
