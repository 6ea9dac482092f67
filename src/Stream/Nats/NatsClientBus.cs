using NATS.Client;

namespace Streamer.Stream.Nats;

/// <summary>
/// <see cref="IMessageBus"/> over the NATS.Client 0.8.0 package: the only file that touches it.
/// </summary>
/// <remarks>
/// The 0.8.0 client does not notice on .NET 10 that a server went away (its state stays CONNECTED
/// and every flush fails), so this class owns the connection's life instead of the client:
/// the client's own reconnect is off; a supervisor probes the connection with a flush every
/// <see cref="NatsBusOptions.HealthInterval"/>, drops it when the probe fails, and connects a new
/// one with exponential backoff, forever, re-subscribing every live subscription. A failed request
/// or publish wakes the supervisor at once.
/// </remarks>
internal sealed class NatsClientBus : IMessageBus
{
    private readonly NatsBusOptions _options;
    private readonly Lock _gate = new();
    private readonly List<Subscription> _subscriptions = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly SupervisorSleep _sleep = new();
    private readonly Thread _supervisor;
    private IConnection? _connection;
    private int _slowProbes;
    private readonly BusStateTracker _state = new();

    public NatsClientBus(NatsBusOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        // a thread of its own: the client's connect blocks, and must not depend on a starved thread pool
        _supervisor = new Thread(Supervise) { IsBackground = true, Name = "nats-bus-supervisor" };
        _supervisor.Start();
    }

    public BusState State => _state.State;

    public bool IsConnected => State == BusState.Connected;

    /// <summary>the last connection error, for diagnostics and alerts.</summary>
    public string? LastError { get; private set; }

    /// <summary>how many times a connection was (re)established.</summary>
    public int Connections { get; private set; }

    public event Action<BusState>? StateChanged
    {
        add => _state.Changed += value;
        remove => _state.Changed -= value;
    }

    /// <summary>Waits until connected; false when <paramref name="timeout"/> passes first.</summary>
    public Task<bool> WaitUntilConnectedAsync(TimeSpan timeout, CancellationToken cancellationToken = default) =>
        _state.WaitUntilConnectedAsync(timeout, cancellationToken);

    public bool TryPublish(string subject, ReadOnlyMemory<byte> payload, string? replyTo = null)
    {
        var connection = Volatile.Read(ref _connection);
        if (connection is null) return false;
        try
        {
            // the 0.8.0 API takes arrays only
            var data = payload.ToArray();
            if (replyTo is null) connection.Publish(subject, data);
            else connection.Publish(subject, replyTo, data);
            return true;
        }
        catch (Exception e) when (IsConnectionFailure(e))
        {
            Failed(e);
            return false;
        }
    }

    public async Task<BusMessage> RequestAsync(string subject, ReadOnlyMemory<byte> payload, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var connection = Volatile.Read(ref _connection) ?? throw new MessageBusUnavailableException($"NATS is not connected ({_options.Url}); request to '{subject}' not sent");
        Msg reply;
        try
        {
            reply = await connection.RequestAsync(subject, payload.ToArray(), ToMs(timeout), cancellationToken).ConfigureAwait(false);
        }
        catch (NATSTimeoutException)
        {
            throw new TimeoutException($"no reply on '{subject}' within {timeout.TotalMilliseconds:0} ms");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // 0.8.0 sometimes reports its own timeout as a cancellation
            throw new TimeoutException($"no reply on '{subject}' within {timeout.TotalMilliseconds:0} ms");
        }
        catch (Exception e) when (IsConnectionFailure(e))
        {
            Failed(e);
            throw new MessageBusUnavailableException($"NATS request to '{subject}' failed: {e.Message}", e);
        }
        return ToBusMessage(reply);
    }

    public IDisposable Subscribe(string subject, Action<BusMessage> handler)
    {
        ArgumentException.ThrowIfNullOrEmpty(subject);
        ArgumentNullException.ThrowIfNull(handler);
        var subscription = new Subscription(this, subject, handler);
        IConnection? connection;
        lock (_gate)
        {
            _subscriptions.Add(subscription);
            connection = _connection;
            if (connection is not null) subscription.Attach(connection);
        }
        // the SUB must reach the server before the caller triggers traffic to it
        if (connection is not null) Flush(_options.HealthTimeout);
        return subscription;
    }

    public bool Flush(TimeSpan timeout)
    {
        var connection = Volatile.Read(ref _connection);
        if (connection is null) return false;
        try
        {
            connection.Flush(ToMs(timeout));
            return true;
        }
        catch (Exception e) when (IsConnectionFailure(e))
        {
            Failed(e);
            return false;
        }
    }

    public void Dispose()
    {
        if (_stop.IsCancellationRequested) return;
        _stop.Cancel();
        var ended = _supervisor.Join(TimeSpan.FromSeconds(10));
        IConnection? connection;
        lock (_gate)
        {
            connection = _connection;
            _connection = null;
            foreach (var s in _subscriptions) s.Detach();
            _subscriptions.Clear();
        }
        if (connection is not null) CloseQuietly(connection);
        SetState(BusState.Closed);
        if (!ended) return; // a connect stuck in the old client; it still uses these
        _stop.Dispose();
        _sleep.Dispose();
    }

    private void Supervise()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                SuperviseLoop();
            }
#pragma warning disable CA1031 // the supervisor must outlive any surprise from the old client
            catch (Exception e)
#pragma warning restore CA1031
            {
                LastError = $"bus supervisor: {e.GetType().Name}: {e.Message}";
                var connection = Volatile.Read(ref _connection);
                if (connection is not null) Drop(connection);
                Sleep(_options.ReconnectMinDelay, wakeable: false);
            }
        }
    }

    private void SuperviseLoop()
    {
        var token = _stop.Token;
        var delay = _options.ReconnectMinDelay;
        while (!token.IsCancellationRequested)
        {
            var connection = Volatile.Read(ref _connection);
            if (connection is null)
            {
                if (TryOpen(out connection))
                {
                    delay = _options.ReconnectMinDelay;
                    Attach(connection);
                    continue;
                }
                if (!Sleep(WithJitter(delay), wakeable: false)) return;
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.ReconnectMaxDelay.Ticks));
                continue;
            }
            if (!Sleep(_options.HealthInterval, wakeable: true)) return;
            if (!IsAliveWithin(connection)) Drop(connection);
        }
    }

    private bool TryOpen(out IConnection connection)
    {
        var options = ConnectionFactory.GetDefaultOptions();
        options.Url = _options.Url;
        options.Name = _options.Name;
        // see remarks: the supervisor reconnects. Known hazard of this client (docs/nats.md): when its
        // reader sees a socket error it closes and flushes its buffered writer into the broken socket
        // on its own thread, an unhandled IOException that ends the process. Letting the client
        // reconnect instead avoids the crash but can leave a publisher blocked forever on the dying
        // connection (measured): a crash that a service manager restarts, with the journal replaying
        // every unpublished exit, is the lesser evil.
        options.AllowReconnect = false;
        options.Timeout = ToMs(_options.ConnectTimeout);
        options.DisconnectedEventHandler += (_, _) => Wake();
        options.ClosedEventHandler += (_, _) => Wake();
        options.AsyncErrorEventHandler += (_, e) => LastError = e.Error;
        try
        {
            connection = new ConnectionFactory().CreateConnection(options);
            return true;
        }
#pragma warning disable CA1031 // any failure to connect is retried with backoff
        catch (Exception e)
#pragma warning restore CA1031
        {
            LastError = $"connect to {_options.Url} failed: {e.Message}";
            connection = null!;
            return false;
        }
    }

    private void Attach(IConnection connection)
    {
        lock (_gate)
        {
            _connection = connection;
            _slowProbes = 0;
            foreach (var s in _subscriptions) s.Attach(connection);
            Connections++;
        }
        try
        {
            connection.Flush(ToMs(_options.HealthTimeout));
        }
        catch (Exception e) when (IsConnectionFailure(e))
        {
            LastError = e.Message; // the next probe decides
        }
        SetState(BusState.Connected);
    }

    /// <summary>
    /// The probe on its own deadline: 0.8.0 can block inside State/Flush on a connection whose
    /// server vanished (its lock held by a reader stuck on the socket); the supervisor must not
    /// hang with it, or the bus would never report the outage nor reconnect.
    /// </summary>
    private bool IsAliveWithin(IConnection connection)
    {
        var probe = Task.Run(() => IsAlive(connection));
        if (probe.Wait(_options.HealthTimeout + _options.HealthTimeout)) return probe.Result;
        LastError = $"health probe of {_options.Url} hung for {(2 * _options.HealthTimeout).TotalMilliseconds:0} ms";
        return false;
    }

    private bool IsAlive(IConnection connection)
    {
        if (connection.State != ConnState.CONNECTED) return false;
        try
        {
            connection.Flush(ToMs(_options.HealthTimeout));
            _slowProbes = 0;
            return true;
        }
        catch (NATSTimeoutException)
        {
            // a slow round trip on a busy machine is not yet a dead connection; two in a row are
            LastError = $"no PONG from {_options.Url} within {_options.HealthTimeout.TotalMilliseconds:0} ms";
            return ++_slowProbes < 2;
        }
#pragma warning disable CA1031 // any other failure of the probe means the connection is unusable
        catch (Exception e)
#pragma warning restore CA1031
        {
            LastError = $"connection to {_options.Url} lost: {e.GetType().Name}: {e.Message}";
            return false;
        }
    }

    private void Drop(IConnection connection)
    {
        lock (_gate)
        {
            if (!ReferenceEquals(_connection, connection)) return;
            _connection = null;
            foreach (var s in _subscriptions) s.Forget();
        }
        SetState(BusState.Disconnected);
        // closing a dead 0.8.0 connection can block on its socket; never on the supervisor
        _ = Task.Run(() => CloseQuietly(connection));
    }

    /// <summary>what the 0.8.0 client throws when its socket is gone: its own exceptions, or the stream's raw ones.</summary>
    private static bool IsConnectionFailure(Exception e) =>
        e is NATSException or IOException or ObjectDisposedException or System.Net.Sockets.SocketException or InvalidOperationException;

    private void Failed(Exception e)
    {
        LastError = e.Message;
        Wake();
    }

    private void Wake() => _sleep.Wake();

    private bool Sleep(TimeSpan delay, bool wakeable) => _sleep.Sleep(delay, wakeable, _stop.Token);

    private void SetState(BusState state)
    {
        if (_state.Set(state) is { } listenerError) LastError = listenerError;
    }

    private static void CloseQuietly(IConnection connection)
    {
        try
        {
            connection.Close();
            connection.Dispose();
        }
        catch (NATSException)
        {
            // it is gone either way
        }
        catch (IOException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private static TimeSpan WithJitter(TimeSpan delay) =>
        delay + TimeSpan.FromTicks((long)(delay.Ticks * 0.2 * Random.Shared.NextDouble()));

    private static int ToMs(TimeSpan t) => (int)Math.Clamp(t.TotalMilliseconds, 1, int.MaxValue);

    private static BusMessage ToBusMessage(Msg m) =>
        new(m.Subject, string.IsNullOrEmpty(m.Reply) ? null : m.Reply, m.Data ?? []);

    /// <summary>A subscription that outlives connections: re-attached after each reconnect.</summary>
    private sealed class Subscription(NatsClientBus owner, string subject, Action<BusMessage> handler) : IDisposable
    {
        private IAsyncSubscription? _current;
        private bool _disposed;

        public void Attach(IConnection connection)
        {
            if (_disposed) return;
            try
            {
                _current = connection.SubscribeAsync(subject, (_, e) => Deliver(e.Message));
            }
            catch (Exception e) when (IsConnectionFailure(e))
            {
                // the connection died under us; the supervisor re-attaches on the next one
                owner.Failed(e);
            }
        }

        private void Deliver(Msg message)
        {
            try
            {
                handler(ToBusMessage(message));
            }
#pragma warning disable CA1031 // a handler's bug must not kill the client's delivery thread
            catch (Exception e)
#pragma warning restore CA1031
            {
                owner.LastError = $"handler for '{subject}' threw {e.GetType().Name}: {e.Message}";
            }
        }

        /// <summary>The connection is dead: drop the handle without talking to it (an Unsubscribe could block on its socket).</summary>
        public void Forget() => _current = null;

        public void Detach()
        {
            var current = _current;
            _current = null;
            if (current is null) return;
            try
            {
                current.Unsubscribe();
            }
            catch (Exception e) when (IsConnectionFailure(e))
            {
                // a dead connection has no subscription left to remove
            }
        }

        public void Dispose()
        {
            lock (owner._gate)
            {
                if (_disposed) return;
                _disposed = true;
                owner._subscriptions.Remove(this);
                Detach();
            }
        }
    }
}
