using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;

namespace Streamer.Stream.Nats;

/// <summary>
/// <see cref="IMessageBus"/> speaking the NATS core protocol itself (INFO, CONNECT, PUB, SUB,
/// UNSUB, MSG, PING, PONG, +OK, -ERR) over a plain socket: no NATS.Client. Written because the
/// 0.8.0 package can end the process when a server dies under traffic (docs/nats.md). Every write
/// goes straight to the socket under one lock (nothing buffered to flush into a dead socket); one
/// reader thread per connection parses and hands messages to each subscription's own queue and
/// task (a handler may block or publish without stalling the reader); nothing thrown on the
/// reader escapes it. Connection life as in <see cref="NatsClientBus"/>: a supervisor thread
/// probes with PING/PONG, drops a dead connection, reconnects with backoff forever and
/// re-subscribes.
/// </summary>
public sealed class NatsWireBus : IMessageBus, IConnectionBoundRequests
{
    private const int SubscriptionQueue = 65_536;
    private readonly NatsBusOptions _options;
    private readonly Lock _gate = new();
    private readonly List<Subscription> _subscriptions = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly SupervisorSleep _sleep = new();
    private readonly Thread _supervisor;
    private readonly string _inboxPrefix = "_INBOX." + Guid.NewGuid().ToString("N") + ".";
    private Wire? _wire;
    private readonly BusStateTracker _state = new();
    private int _slowProbes;
    private long _nextSid;
    private long _nextRequest;

    public NatsWireBus(NatsBusOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        if (!Uri.TryCreate(options.Url, UriKind.Absolute, out var uri) || uri.Port <= 0)
            throw new ArgumentException($"NATS url '{options.Url}' is not nats://host:port", nameof(options));
        Host = uri.Host;
        Port = uri.Port;
        _supervisor = new Thread(Supervise) { IsBackground = true, Name = "nats-wire-supervisor" };
        _supervisor.Start();
    }

    private string Host { get; }

    private int Port { get; }

    public BusState State => _state.State;

    public bool IsConnected => State == BusState.Connected;

    public string? LastError { get; private set; }

    public int Connections { get; private set; }

    /// <summary>messages dropped because a subscription's queue was full (a handler far too slow).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    private long _dropped;

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
        var wire = Volatile.Read(ref _wire);
        if (wire is null) return false;
        if (wire.Publish(subject, replyTo, payload.Span)) return true;
        Wake();
        return false;
    }

    public Task<BusMessage> RequestAsync(string subject, ReadOnlyMemory<byte> payload, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var wire = Volatile.Read(ref _wire);
        return wire is null
            ? Task.FromException<BusMessage>(new MessageBusUnavailableException($"NATS is not connected ({_options.Url}); request to '{subject}' not sent"))
            : RequestAsync(wire, subject, payload, timeout, cancellationToken);
    }

    public int CurrentConnection => Volatile.Read(ref _wire) is { IsDead: false } wire ? wire.Number : 0;

    public Task<BusMessage> RequestOnAsync(int connection, string subject, ReadOnlyMemory<byte> payload, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var wire = Volatile.Read(ref _wire);
        return wire is null || wire.Number != connection
            ? Task.FromException<BusMessage>(new MessageBusUnavailableException($"NATS connection {connection} to {_options.Url} is gone; request to '{subject}' not sent"))
            : RequestAsync(wire, subject, payload, timeout, cancellationToken);
    }

    private async Task<BusMessage> RequestAsync(Wire wire, string subject, ReadOnlyMemory<byte> payload, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var token = Interlocked.Increment(ref _nextRequest).ToString(CultureInfo.InvariantCulture);
        var reply = new TaskCompletionSource<BusMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        wire.Pending[token] = reply;
        try
        {
            if (!wire.Publish(subject, _inboxPrefix + token, payload.Span))
            {
                Wake();
                throw new MessageBusUnavailableException($"NATS request to '{subject}' failed: {wire.Error}");
            }
            try
            {
                return await reply.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"no reply on '{subject}' within {timeout.TotalMilliseconds:0} ms");
            }
        }
        finally
        {
            wire.Pending.TryRemove(token, out _);
        }
    }

    public IDisposable Subscribe(string subject, Action<BusMessage> handler)
    {
        ArgumentException.ThrowIfNullOrEmpty(subject);
        ArgumentNullException.ThrowIfNull(handler);
        var subscription = new Subscription(this, subject, handler);
        Wire? wire;
        lock (_gate)
        {
            _subscriptions.Add(subscription);
            wire = _wire;
            if (wire is not null) subscription.Attach(wire);
        }
        // the SUB must reach the server before the caller triggers traffic to it
        if (wire is not null) Flush(_options.HealthTimeout);
        return subscription;
    }

    public bool Flush(TimeSpan timeout)
    {
        var wire = Volatile.Read(ref _wire);
        if (wire is null) return false;
        if (wire.Ping(timeout) == PingResult.Pong) return true;
        Wake();
        return false;
    }

    public void Dispose()
    {
        if (_stop.IsCancellationRequested) return;
        _stop.Cancel();
        _supervisor.Join(TimeSpan.FromSeconds(10));
        Wire? wire;
        lock (_gate)
        {
            wire = _wire;
            _wire = null;
            foreach (var s in _subscriptions) s.Complete();
            _subscriptions.Clear();
        }
        wire?.Close("disposed");
        SetState(BusState.Closed);
    }

    // ---- connection life ----

    private void Supervise()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                SuperviseLoop();
            }
#pragma warning disable CA1031 // the supervisor thread must never die: an exception here would end the process
            catch (Exception e)
#pragma warning restore CA1031
            {
                LastError = $"bus supervisor: {e.GetType().Name}: {e.Message}";
                var wire = Volatile.Read(ref _wire);
                if (wire is not null) Drop(wire);
                Sleep(_options.ReconnectMinDelay, wakeable: false);
            }
        }
    }

    private void SuperviseLoop()
    {
        var delay = _options.ReconnectMinDelay;
        while (!_stop.IsCancellationRequested)
        {
            var wire = Volatile.Read(ref _wire);
            if (wire is null)
            {
                var opened = Wire.TryOpen(this, out var error);
                if (opened is not null)
                {
                    delay = _options.ReconnectMinDelay;
                    Attach(opened);
                    continue;
                }
                LastError = $"connect to {_options.Url} failed: {error}";
                if (!Sleep(delay + TimeSpan.FromTicks((long)(delay.Ticks * 0.2 * Random.Shared.NextDouble())), wakeable: false)) return;
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.ReconnectMaxDelay.Ticks));
                continue;
            }
            if (!Sleep(_options.HealthInterval, wakeable: true)) return;
            if (!IsAlive(wire)) Drop(wire);
        }
    }

    private bool IsAlive(Wire wire)
    {
        if (wire.IsDead)
        {
            LastError = $"connection to {_options.Url} lost: {wire.Error}";
            return false;
        }
        switch (wire.Ping(_options.HealthTimeout))
        {
            case PingResult.Pong:
                _slowProbes = 0;
                return true;
            case PingResult.Timeout:
                // a slow round trip on a busy machine is not yet a dead connection; two in a row are
                LastError = $"no PONG from {_options.Url} within {_options.HealthTimeout.TotalMilliseconds:0} ms";
                return ++_slowProbes < 2;
            default:
                LastError = $"connection to {_options.Url} lost: {wire.Error}";
                return false;
        }
    }

    private void Attach(Wire wire)
    {
        lock (_gate)
        {
            wire.Number = Connections + 1;
            Volatile.Write(ref _wire, wire); // its number is visible before it is
            _slowProbes = 0;
            foreach (var s in _subscriptions) s.Attach(wire);
            Connections++;
        }
        wire.Ping(_options.HealthTimeout);
        SetState(BusState.Connected);
    }

    private void Drop(Wire wire)
    {
        lock (_gate)
        {
            if (!ReferenceEquals(_wire, wire)) return;
            _wire = null;
        }
        wire.Close(LastError ?? "dropped");
        SetState(BusState.Disconnected);
    }

    private void Wake() => _sleep.Wake();

    private bool Sleep(TimeSpan delay, bool wakeable) => _sleep.Sleep(delay, wakeable, _stop.Token);

    private void SetState(BusState state)
    {
        if (_state.Set(state) is { } listenerError) LastError = listenerError;
    }

    private enum PingResult
    {
        Pong,
        Timeout,
        Dead,
    }

    /// <summary>One TCP connection: writes under a lock, one reader thread, never throws out of it.</summary>
    private sealed class Wire
    {
        private readonly NatsWireBus _bus;
        private readonly Socket _socket;
        private readonly Lock _write = new();
        private readonly ConcurrentQueue<TaskCompletionSource<bool>> _pongs = new();
        private readonly ConcurrentDictionary<long, Subscription> _bySid = new();
        private readonly byte[] _buffer = new byte[64 * 1024];
        private int _start;
        private int _end;
        private volatile bool _dead;

        private Wire(NatsWireBus bus, Socket socket)
        {
            _bus = bus;
            _socket = socket;
        }

        public ConcurrentDictionary<string, TaskCompletionSource<BusMessage>> Pending { get; } = new(StringComparer.Ordinal);

        public bool IsDead => _dead;

        /// <summary>which connection of the bus this is (1, 2, ...): set once before it is published.</summary>
        public int Number { get; set; }

        public string Error { get; private set; } = "";

        public static Wire? TryOpen(NatsWireBus bus, out string error)
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                var timeout = bus._options.ConnectTimeout;
                using (var cts = new CancellationTokenSource(timeout))
                    socket.ConnectAsync(bus.Host, bus.Port, cts.Token).AsTask().GetAwaiter().GetResult();
                socket.ReceiveTimeout = (int)timeout.TotalMilliseconds;
                var wire = new Wire(bus, socket);
                var info = wire.ReadLine();
                if (info is null || !info.StartsWith("INFO ", StringComparison.Ordinal)) throw new IOException($"expected INFO, got '{info}'");
                var name = bus._options.Name.Replace("\"", "", StringComparison.Ordinal);
                wire.Send(Encoding.UTF8.GetBytes($"CONNECT {{\"verbose\":false,\"pedantic\":false,\"lang\":\"streamer\",\"version\":\"1\",\"name\":\"{name}\",\"protocol\":1}}\r\nPING\r\n"));
                var answer = wire.ReadLine();
                if (answer != "PONG") throw new IOException($"server refused CONNECT: {answer}");
                socket.ReceiveTimeout = 0;
                // replies to every request of this connection
                wire.Send(Encoding.UTF8.GetBytes($"SUB {bus._inboxPrefix}* 0\r\n"));
                var reader = new Thread(wire.ReadLoop) { IsBackground = true, Name = "nats-wire-reader" };
                reader.Start();
                error = "";
                return wire;
            }
            catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
            {
                error = e.Message;
                socket.Dispose();
                return null;
            }
        }

        public long Subscribe(string subject, Subscription subscription)
        {
            var sid = Interlocked.Increment(ref _bus._nextSid);
            _bySid[sid] = subscription;
            if (!TrySend(Encoding.UTF8.GetBytes($"SUB {subject} {sid.ToString(CultureInfo.InvariantCulture)}\r\n"))) _bySid.TryRemove(sid, out _);
            return sid;
        }

        public void Unsubscribe(long sid)
        {
            if (_bySid.TryRemove(sid, out _)) TrySend(Encoding.UTF8.GetBytes($"UNSUB {sid.ToString(CultureInfo.InvariantCulture)}\r\n"));
        }

        public bool Publish(string subject, string? replyTo, ReadOnlySpan<byte> payload)
        {
            var head = replyTo is null
                ? $"PUB {subject} {payload.Length.ToString(CultureInfo.InvariantCulture)}\r\n"
                : $"PUB {subject} {replyTo} {payload.Length.ToString(CultureInfo.InvariantCulture)}\r\n";
            var frame = new byte[Encoding.UTF8.GetByteCount(head) + payload.Length + 2];
            int n = Encoding.UTF8.GetBytes(head, frame);
            payload.CopyTo(frame.AsSpan(n));
            frame[^2] = (byte)'\r';
            frame[^1] = (byte)'\n';
            return TrySend(frame);
        }

        public PingResult Ping(TimeSpan timeout)
        {
            if (_dead) return PingResult.Dead;
            var pong = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_write)
            {
                _pongs.Enqueue(pong);
                if (!SendLocked("PING\r\n"u8)) return PingResult.Dead;
            }
            try
            {
                return pong.Task.Wait(timeout) && pong.Task.Result ? PingResult.Pong : _dead ? PingResult.Dead : PingResult.Timeout;
            }
            catch (AggregateException)
            {
                return PingResult.Dead;
            }
        }

        public void Close(string why)
        {
            Fail(why);
        }

        private bool TrySend(ReadOnlySpan<byte> bytes)
        {
            lock (_write) return SendLocked(bytes);
        }

        private bool SendLocked(ReadOnlySpan<byte> bytes)
        {
            if (_dead) return false;
            try
            {
                _socket.Send(bytes);
                return true;
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                Fail(e.Message);
                return false;
            }
        }

        private void Send(byte[] bytes) => _socket.Send(bytes);

        private void Fail(string why)
        {
            if (_dead) return;
            _dead = true;
            Error = why;
            try
            {
                _socket.Shutdown(SocketShutdown.Both);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }
            _socket.Dispose();
            while (_pongs.TryDequeue(out var p)) p.TrySetResult(false);
            _bus.Wake();
        }

        private void ReadLoop()
        {
            try
            {
                while (!_dead)
                {
                    var line = ReadLine();
                    if (line is null)
                    {
                        Fail("server closed the connection");
                        return;
                    }
                    if (line.StartsWith("MSG ", StringComparison.Ordinal)) OnMsg(line);
                    else if (line == "PING") TrySend("PONG\r\n"u8);
                    else if (line == "PONG") { if (_pongs.TryDequeue(out var p)) p.TrySetResult(true); }
                    else if (line.StartsWith("-ERR", StringComparison.Ordinal)) _bus.LastError = "server: " + line;
                    // +OK and INFO (cluster updates) need nothing
                }
            }
#pragma warning disable CA1031 // nothing may escape the reader thread: it would end the process
            catch (Exception e)
#pragma warning restore CA1031
            {
                Fail($"{e.GetType().Name}: {e.Message}");
            }
        }

        private void OnMsg(string line)
        {
            // MSG <subject> <sid> [reply-to] <#bytes>
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length is not (4 or 5)) throw new IOException($"bad MSG line '{line}'");
            var length = int.Parse(parts[^1], NumberStyles.None, CultureInfo.InvariantCulture);
            var data = ReadPayload(length);
            var sid = long.Parse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture);
            var message = new BusMessage(parts[1], parts.Length == 5 ? parts[3] : null, data);
            if (sid == 0)
            {
                var token = message.Subject[_bus._inboxPrefix.Length..];
                if (Pending.TryRemove(token, out var reply)) reply.TrySetResult(message);
                return;
            }
            if (_bySid.TryGetValue(sid, out var subscription)) subscription.Enqueue(message);
        }

        private string? ReadLine()
        {
            while (true)
            {
                int lf = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
                if (lf >= 0)
                {
                    int end = lf > _start && _buffer[lf - 1] == '\r' ? lf - 1 : lf;
                    var line = Encoding.UTF8.GetString(_buffer, _start, end - _start);
                    _start = lf + 1;
                    return line;
                }
                if (!Fill()) return null;
            }
        }

        private byte[] ReadPayload(int length)
        {
            var data = new byte[length];
            int copied = 0;
            while (copied < length)
            {
                if (_start == _end && !Fill()) throw new IOException("connection closed inside a message");
                int n = Math.Min(length - copied, _end - _start);
                Buffer.BlockCopy(_buffer, _start, data, copied, n);
                _start += n;
                copied += n;
            }
            // the CRLF after the payload
            while (_end - _start < 2)
                if (!Fill()) throw new IOException("connection closed inside a message");
            _start += 2;
            return data;
        }

        /// <summary>reads more bytes; false at end of stream.</summary>
        private bool Fill()
        {
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            if (_end == _buffer.Length) throw new IOException("protocol line longer than 64 KB");
            int n = _socket.Receive(_buffer, _end, _buffer.Length - _end, SocketFlags.None);
            if (n <= 0) return false;
            _end += n;
            return true;
        }
    }

    /// <summary>A subscription that outlives connections; its own queue and task keep the reader free.</summary>
    private sealed class Subscription : IDisposable
    {
        private readonly NatsWireBus _owner;
        private readonly string _subject;
        private readonly Action<BusMessage> _handler;
        private readonly Channel<BusMessage> _queue = Channel.CreateBounded<BusMessage>(new BoundedChannelOptions(SubscriptionQueue)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.DropWrite,
        });
        private Wire? _wire;
        private long _sid;
        private bool _disposed;

        public Subscription(NatsWireBus owner, string subject, Action<BusMessage> handler)
        {
            _owner = owner;
            _subject = subject;
            _handler = handler;
            _ = Task.Run(DeliverAsync);
        }

        public void Attach(Wire wire)
        {
            if (_disposed) return;
            _wire = wire;
            _sid = wire.Subscribe(_subject, this);
        }

        public void Enqueue(BusMessage m)
        {
            if (!_queue.Writer.TryWrite(m)) Interlocked.Increment(ref _owner._dropped);
        }

        public void Complete() => _queue.Writer.TryComplete();

        public void Dispose()
        {
            lock (_owner._gate)
            {
                if (_disposed) return;
                _disposed = true;
                _owner._subscriptions.Remove(this);
                _wire?.Unsubscribe(_sid);
                _wire = null;
            }
            _queue.Writer.TryComplete();
        }

        private async Task DeliverAsync()
        {
            await foreach (var m in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
            {
                if (_disposed) continue;
                try
                {
                    _handler(m);
                }
#pragma warning disable CA1031 // a handler's bug must not stop its subscription
                catch (Exception e)
#pragma warning restore CA1031
                {
                    _owner.LastError = $"handler for '{_subject}' threw {e.GetType().Name}: {e.Message}";
                }
            }
        }
    }
}
