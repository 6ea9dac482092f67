using System.Buffers;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;
using Streamer.Feed.Alpaca;
using Streamer.Stream.Contracts.Resilience;

namespace Streamer.Stream.Alpaca.MarketData;

/// <summary>
/// One Alpaca market-data websocket (stocks JSON or options MessagePack, see
/// <see cref="AlpacaStreamOptions.Kind"/>): connects, waits for "connected", authenticates,
/// subscribes quotes + trades for the desired symbols, writes ticks to a channel, and
/// reconnects with jittered exponential backoff (resubscribing the desired set) until
/// stopped or until the server says retrying is pointless (402, 409, 410, 411, 412).
/// Desired symbols are reference-counted: positions on the same symbol share one
/// subscription, the last <see cref="UnsubscribeAsync"/> removes it.
/// A 405 (symbol limit) raises <see cref="Alert"/> naming every desired symbol the server
/// did not take: nothing is dropped silently.
/// </summary>
public sealed class AlpacaStreamClient : IAsyncDisposable
{
    private readonly AlpacaStreamOptions _options;
    private readonly AlpacaCredentials _credentials;
    private readonly ChannelWriter<Tick> _ticks;
    private readonly AlpacaFrameParser _parser;
    private readonly FrameCollector _collector = new();

    private readonly Lock _gate = new();
    private readonly Dictionary<string, int> _desired = new(StringComparer.Ordinal);
    private HashSet<string> _serverQuotes = new(StringComparer.Ordinal);
    private HashSet<string> _serverTrades = new(StringComparer.Ordinal);

    // one sender at a time (ClientWebSocket allows one outstanding send); also orders subscription diffs
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly ArrayBufferWriter<byte> _sendBuffer = new(256);
    private ClientWebSocket? _socket; // set while authenticated (guarded by _sendLock for sends)

    private CancellationTokenSource? _stop;
    private Task? _run;
    private Timer? _staleTimer;
    private long _lastFrameAt; // Environment.TickCount64
    private volatile FeedState _state = FeedState.Connecting;
    private readonly HttpMessageInvoker? _msgpackInvoker; // options: the upgrade must ask for MessagePack
    private bool _sessionWentLive;

    public AlpacaStreamClient(AlpacaStreamOptions options, AlpacaCredentials credentials, SymbolTable symbols, ChannelWriter<Tick> ticks)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(credentials);
        ArgumentNullException.ThrowIfNull(symbols);
        ArgumentNullException.ThrowIfNull(ticks);
        _options = options;
        _credentials = credentials;
        _ticks = ticks;
        _parser = new AlpacaFrameParser(symbols) { InternUnknownSymbols = options.InternUnknownSymbols };
        if (options.Kind == AlpacaStreamKind.Options)
            _msgpackInvoker = new HttpMessageInvoker(new MessagePackHandshakeHandler(new SocketsHttpHandler()));
    }

    /// <summary>Raised on every state change, from the connection's thread.</summary>
    public event Action<FeedState>? StateChanged;

    /// <summary>Raised for 405 symbol limits, server errors, drops and giving up.</summary>
    public event Action<AlpacaAlert>? Alert;

    public FeedState State => _state;

    /// <summary>Set when the client stopped for good because of a non-retryable server error.</summary>
    public AlpacaAlert? GaveUp { get; private set; }

    /// <summary>Completes when the client stops (disposed or gave up).</summary>
    public Task Completion => _run ?? Task.CompletedTask;

    /// <summary>Successful (authenticated) connections so far; 2+ means it reconnected.</summary>
    public int Sessions { get; private set; }

    /// <summary>Parse counters (ticks, skipped, unknown symbols, malformed) over all sessions.</summary>
    public AlpacaFrameParser Parser => _parser;

    public Uri Endpoint => _options.Endpoint;

    /// <summary>Symbols wanted now (reference count &gt; 0).</summary>
    public IReadOnlyList<string> DesiredSymbols
    {
        get { lock (_gate) return [.. _desired.Keys]; }
    }

    /// <summary>The quotes channel as the server last reported it (full-state subscription reply).</summary>
    public IReadOnlyList<string> SubscribedQuotes
    {
        get { lock (_gate) return [.. _serverQuotes]; }
    }

    public IReadOnlyList<string> SubscribedTrades
    {
        get { lock (_gate) return [.. _serverTrades]; }
    }

    public void Start()
    {
        if (_run is not null) throw new InvalidOperationException("the client is already started");
        _stop = new CancellationTokenSource();
        var period = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond * 50, _options.StaleAfter.Ticks / 4));
        _staleTimer = new Timer(_ => CheckStale(), null, period, period);
        _run = Task.Run(() => RunAsync(_stop.Token));
    }

    /// <summary>Adds one reference per symbol; new symbols are subscribed (quotes + trades) when connected.</summary>
    public Task SubscribeAsync(IEnumerable<string> symbols) => ChangeAsync(symbols, +1);

    /// <summary>Drops one reference per symbol; symbols reaching zero are unsubscribed.</summary>
    public Task UnsubscribeAsync(IEnumerable<string> symbols) => ChangeAsync(symbols, -1);

    private async Task ChangeAsync(IEnumerable<string> symbols, int delta)
    {
        ArgumentNullException.ThrowIfNull(symbols);
        var list = symbols.ToList();
        await _sendLock.WaitAsync().ConfigureAwait(false);
        try
        {
            var changed = new List<string>();
            lock (_gate)
            {
                foreach (var s in list)
                {
                    ArgumentException.ThrowIfNullOrEmpty(s);
                    int n = _desired.GetValueOrDefault(s);
                    if (delta > 0)
                    {
                        _desired[s] = n + 1;
                        if (n == 0) changed.Add(s);
                    }
                    else if (n > 0)
                    {
                        if (n == 1) { _desired.Remove(s); changed.Add(s); }
                        else _desired[s] = n - 1;
                    }
                }
            }
            // not connected: the desired set is sent whole after the next authentication
            if (changed.Count > 0 && _socket is { State: WebSocketState.Open } socket)
            {
                try
                {
                    await SendSubscriptionAsync(socket, delta > 0 ? "subscribe" : "unsubscribe", changed, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception e) when (e is WebSocketException or ObjectDisposedException or OperationCanceledException)
                {
                    // the receive loop sees the drop and resubscribes the whole desired set
                }
            }
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private async Task RunAsync(CancellationToken stop)
    {
        int attempt = 0;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            while (!stop.IsCancellationRequested)
            {
                SetState(FeedState.Connecting);
                _sessionWentLive = false;
                SessionEnd end;
                try
                {
                    (end, buffer) = await RunSessionAsync(buffer, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    break;
                }
                catch (ChannelClosedException)
                {
                    break; // the consumer completed the tick channel: nobody listens any more
                }
                catch (Exception e) when (e is WebSocketException or IOException or OperationCanceledException or AlpacaProtocolException)
                {
                    end = SessionEnd.Retry;
                    Raise(new AlpacaAlert(AlpacaAlertKind.Disconnected, 0, $"{_options.Endpoint}: {Describe(e)}", []));
                }
                finally
                {
                    await DetachSocketAsync().ConfigureAwait(false);
                }

                if (end == SessionEnd.GiveUp)
                {
                    SetState(FeedState.Down);
                    return;
                }
                if (end == SessionEnd.WasLive || _sessionWentLive) attempt = 0;
                SetState(FeedState.Down);
                try
                {
                    await Task.Delay(Backoff(attempt++), stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            SetState(FeedState.Down);
        }
    }

    private enum SessionEnd { Retry, WasLive, GiveUp }

    private async Task<(SessionEnd End, byte[] Buffer)> RunSessionAsync(byte[] buffer, CancellationToken stop)
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.FromSeconds(20);

        SessionEnd? refused;
        (refused, buffer) = await HandshakeAsync(socket, buffer, stop).ConfigureAwait(false);
        if (refused is { } r)
        {
            socket.Dispose();
            return (r, buffer);
        }

        // resubscribe the whole desired set, holding the send lock so no diff overtakes it
        await _sendLock.WaitAsync(stop).ConfigureAwait(false);
        try
        {
            List<string> all;
            lock (_gate)
            {
                all = [.. _desired.Keys];
                _serverQuotes = new(StringComparer.Ordinal);
                _serverTrades = new(StringComparer.Ordinal);
            }
            _socket = socket;
            if (all.Count > 0) await SendSubscriptionAsync(socket, "subscribe", all, stop).ConfigureAwait(false);
        }
        finally
        {
            _sendLock.Release();
        }
        Sessions++;
        _sessionWentLive = true;
        Interlocked.Exchange(ref _lastFrameAt, Environment.TickCount64);
        SetState(FeedState.Live);

        while (!stop.IsCancellationRequested)
        {
            int length;
            WebSocketMessageType type;
            (length, type, buffer) = await ReceiveMessageAsync(socket, buffer, stop).ConfigureAwait(false);
            if (type == WebSocketMessageType.Close)
            {
                Raise(new AlpacaAlert(AlpacaAlertKind.Disconnected, 0,
                    $"{_options.Endpoint}: closed by the server ({socket.CloseStatus} {socket.CloseStatusDescription})", []));
                return (SessionEnd.WasLive, buffer);
            }
            Interlocked.Exchange(ref _lastFrameAt, Environment.TickCount64);
            if (_state == FeedState.Stale) SetState(FeedState.Live);

            _collector.Clear();
            var frame = buffer.AsSpan(0, length);
            if (type == WebSocketMessageType.Text) _parser.ParseJson(frame, _collector);
            else _parser.ParseMessagePack(frame, _collector);

            var ticks = _collector.Ticks;
            for (int i = 0; i < _collector.TickCount; i++)
            {
                if (!_ticks.TryWrite(ticks[i])) await _ticks.WriteAsync(ticks[i], stop).ConfigureAwait(false);
            }
            if (_collector.Controls.Count > 0)
            {
                foreach (var control in _collector.Controls)
                {
                    var end = OnLiveControl(control);
                    if (end is { } e) return (e, buffer);
                }
            }
        }
        return (SessionEnd.WasLive, buffer);
    }

    /// <summary>Connect, "connected", auth, "authenticated". Returns null when authenticated, else how the session ends.</summary>
    private async Task<(SessionEnd? Refused, byte[] Buffer)> HandshakeAsync(ClientWebSocket socket, byte[] buffer, CancellationToken stop)
    {
        using var handshake = CancellationTokenSource.CreateLinkedTokenSource(stop);
        handshake.CancelAfter(_options.HandshakeTimeout);
        try
        {
            if (_msgpackInvoker is not null) await socket.ConnectAsync(_options.Endpoint, _msgpackInvoker, handshake.Token).ConfigureAwait(false);
            else await socket.ConnectAsync(_options.Endpoint, handshake.Token).ConfigureAwait(false);
            AlpacaControlMessage first;
            (first, buffer) = await ReadControlAsync(socket, buffer, handshake.Token).ConfigureAwait(false);
            if (first.Kind == AlpacaControlKind.Error) return (OnHandshakeError(first), buffer);
            if (!first.IsConnected) throw new AlpacaProtocolException($"expected \"connected\", got {first}");

            _sendBuffer.Clear();
            AlpacaClientMessages.WriteAuth(_sendBuffer, _options.Kind, _credentials);
            await socket.SendAsync(_sendBuffer.WrittenMemory, MessageType, true, handshake.Token).ConfigureAwait(false);
            AlpacaControlMessage auth;
            (auth, buffer) = await ReadControlAsync(socket, buffer, handshake.Token).ConfigureAwait(false);
            if (auth.Kind == AlpacaControlKind.Error) return (OnHandshakeError(auth), buffer);
            if (!auth.IsAuthenticated) throw new AlpacaProtocolException($"expected \"authenticated\", got {auth}");
            return (null, buffer);
        }
        catch (OperationCanceledException) when (!stop.IsCancellationRequested)
        {
            socket.Abort();
            socket.Dispose();
            throw new AlpacaProtocolException($"no connection and authentication within {_options.HandshakeTimeout.TotalSeconds:0.#} s");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private WebSocketMessageType MessageType =>
        _options.Kind == AlpacaStreamKind.Options ? WebSocketMessageType.Binary : WebSocketMessageType.Text;

    private async Task SendSubscriptionAsync(ClientWebSocket socket, string action, IReadOnlyCollection<string> symbols, CancellationToken ct)
    {
        _sendBuffer.Clear();
        AlpacaClientMessages.WriteSubscription(_sendBuffer, _options.Kind, action, symbols, symbols);
        await socket.SendAsync(_sendBuffer.WrittenMemory, MessageType, true, ct).ConfigureAwait(false);
    }

    // cold: the two handshake replies
    private async Task<(AlpacaControlMessage Control, byte[] Buffer)> ReadControlAsync(ClientWebSocket socket, byte[] buffer, CancellationToken ct)
    {
        while (true)
        {
            int length;
            WebSocketMessageType type;
            (length, type, buffer) = await ReceiveMessageAsync(socket, buffer, ct).ConfigureAwait(false);
            if (type == WebSocketMessageType.Close)
                throw new AlpacaProtocolException($"closed by the server during the handshake ({socket.CloseStatus} {socket.CloseStatusDescription})");
            _collector.Clear();
            var frame = buffer.AsSpan(0, length);
            bool ok = type == WebSocketMessageType.Text ? _parser.ParseJson(frame, _collector) : _parser.ParseMessagePack(frame, _collector);
            if (!ok) throw new AlpacaProtocolException($"unreadable handshake frame: {_parser.LastError}");
            if (_collector.Controls.Count > 0) return (_collector.Controls[0], buffer);
        }
    }

    // pooled: one call per frame on the live path, so no Task allocation per frame
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<(int Length, WebSocketMessageType Type, byte[] Buffer)> ReceiveMessageAsync(ClientWebSocket socket, byte[] buffer, CancellationToken ct)
    {
        int length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                var bigger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                buffer.AsSpan(0, length).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = bigger;
            }
            var result = await socket.ReceiveAsync(buffer.AsMemory(length), ct).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close) return (0, WebSocketMessageType.Close, buffer);
            length += result.Count;
            if (result.EndOfMessage) return (length, result.MessageType, buffer);
        }
    }

    private SessionEnd OnHandshakeError(AlpacaControlMessage error)
    {
        if (IsFatal(error.Code))
        {
            GiveUp(error);
            return SessionEnd.GiveUp;
        }
        Raise(new AlpacaAlert(AlpacaAlertKind.ServerError, error.Code, $"{_options.Endpoint}: {error.Message}", []));
        return SessionEnd.Retry;
    }

    /// <summary>Returns how the session ends, or null to keep going.</summary>
    private SessionEnd? OnLiveControl(AlpacaControlMessage control)
    {
        switch (control.Kind)
        {
            case AlpacaControlKind.Subscription:
                lock (_gate)
                {
                    _serverQuotes = new(control.Quotes, StringComparer.Ordinal);
                    _serverTrades = new(control.Trades, StringComparer.Ordinal);
                }
                return null;
            case AlpacaControlKind.Error when control.Code == 405:
                List<string> refused;
                lock (_gate) refused = [.. _desired.Keys.Where(s => !_serverQuotes.Contains(s) && !_serverQuotes.Contains("*"))];
                Raise(new AlpacaAlert(AlpacaAlertKind.SymbolLimit, 405, $"{_options.Endpoint}: {control.Message}: {refused.Count} symbols not subscribed", refused));
                return null;
            case AlpacaControlKind.Error when IsFatal(control.Code):
                GiveUp(control);
                return SessionEnd.GiveUp;
            case AlpacaControlKind.Error:
                Raise(new AlpacaAlert(AlpacaAlertKind.ServerError, control.Code, $"{_options.Endpoint}: {control.Message}", []));
                // 401/404: the session is not authenticated any more; 406/407: the server drops us; 500: internal
                if (control.Code is 406 or 407)
                {
                    _sessionWentLive = false; // back off further each time: reconnecting at once would be refused again
                    return SessionEnd.Retry;
                }
                return control.Code is 401 or 404 or 500 ? SessionEnd.WasLive : null;
            default:
                return null;
        }
    }

    /// <summary>402 auth failed, 409 insufficient subscription, 410 invalid action for the feed, 411 insufficient scope, 412 format.</summary>
    private static bool IsFatal(int code) => code is 402 or 409 or 410 or 411 or 412;

    private void GiveUp(AlpacaControlMessage error)
    {
        var alert = new AlpacaAlert(AlpacaAlertKind.GaveUp, error.Code, $"{_options.Endpoint}: {error.Message} (not retried)", []);
        GaveUp = alert;
        Raise(alert);
    }

    // "equal jitter": half fixed, half random, so reconnecting clients spread out
    private TimeSpan Backoff(int attempt) => new Backoff(_options.InitialBackoff, _options.MaxBackoff, BackoffJitter.Equal).Delay(attempt);

    private void CheckStale()
    {
        if (_state != FeedState.Live) return;
        long idle = Environment.TickCount64 - Interlocked.Read(ref _lastFrameAt);
        if (idle > _options.StaleAfter.TotalMilliseconds) SetState(FeedState.Stale);
    }

    private async Task DetachSocketAsync()
    {
        await _sendLock.WaitAsync().ConfigureAwait(false);
        try
        {
            var socket = _socket;
            _socket = null;
            if (socket is null) return;
            if (socket.State == WebSocketState.Open)
            {
                using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                try
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", quick.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
                {
                    // closing a broken connection: nothing left to tell the server
                }
            }
            socket.Dispose();
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private void SetState(FeedState state)
    {
        if (_state == state) return;
        _state = state;
        StateChanged?.Invoke(state);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Raise(AlpacaAlert alert) => Alert?.Invoke(alert);

    private static string Describe(Exception e) => e switch
    {
        OperationCanceledException => "timed out",
        WebSocketException w => $"websocket: {w.Message}",
        _ => e.Message,
    };

    public async ValueTask DisposeAsync()
    {
        if (_stop is not null)
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            try
            {
                if (_run is not null) await _run.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // stopping is the point
            }
            _stop.Dispose();
        }
        if (_staleTimer is not null) await _staleTimer.DisposeAsync().ConfigureAwait(false);
        _msgpackInvoker?.Dispose();
        _sendLock.Dispose();
    }

    /// <summary>Collects one frame's ticks into a reusable array (0 B in steady state) and its control messages.</summary>
    private sealed class FrameCollector : IAlpacaFrameHandler
    {
        public Tick[] Ticks = new Tick[256];
        public int TickCount;
        public readonly List<AlpacaControlMessage> Controls = [];

        public void Clear()
        {
            TickCount = 0;
            if (Controls.Count > 0) Controls.Clear();
        }

        public void OnTick(in Tick tick)
        {
            if (TickCount == Ticks.Length) Array.Resize(ref Ticks, Ticks.Length * 2);
            Ticks[TickCount++] = tick;
        }

        public void OnControl(AlpacaControlMessage message) => Controls.Add(message);
    }
}
