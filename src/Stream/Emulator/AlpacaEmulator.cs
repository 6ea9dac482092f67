using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Streamer.Stream.Emulator;

/// <summary>
/// Serves Alpaca's market-data stream protocol on 127.0.0.1 from a tape: <c>/v2/{feed}</c>
/// (stocks, JSON, or MessagePack when the handshake asks for it) and <c>/v1beta1/{feed}</c>
/// (options, MessagePack only). The control flow follows alpaca.md: "connected" on connect,
/// an auth window, 401/402/403/404/405/410/412/413 where Alpaca sends them, full-state
/// subscription replies. All connections share one market clock that starts at the first
/// subscription and runs at the configured speed; ticks due together go out as one frame.
/// The same port serves the trading API and trade_updates over a paper broker
/// (<see cref="TradingEndpoints"/>, <see cref="PaperBroker"/>).
/// Tests start it in-process on port 0 and stop it.
/// </summary>
public sealed class AlpacaEmulator : IAsyncDisposable
{
    private readonly EmulatorTape _tape;
    private readonly EmulatorOptions _options;
    private readonly ConcurrentDictionary<EmulatorConnection, byte> _connections = new();
    private readonly MarketClock _clock;
    private readonly CancellationTokenSource _stop = new();
    private readonly TradingEndpoints _trading;
    private readonly MarketDataEndpoints _data;
    private readonly QuoteSizes _sizes;
    private long _lastDispatchedNs = long.MinValue;

    public AlpacaEmulator(EmulatorTape tape, EmulatorOptions options)
    {
        _tape = tape;
        _options = options;
        _clock = new MarketClock(options.Speed);
        var (min, max) = options.QuoteSize ?? (options.Broker.PartialFills ? (1, 10) : (1, 1));
        _sizes = new QuoteSizes(tape.Symbols, min, max);
        var listed = new HashSet<string>(Enumerable.Range(1, tape.Symbols.Count).Select(i => tape.Symbols[i]), StringComparer.Ordinal);
        var brokerOptions = options.Broker;
        Broker = new PaperBroker(MarketNowNs, new PaperBrokerOptions
        {
            PartialFills = brokerOptions.PartialFills,
            RejectSymbols = brokerOptions.RejectSymbols,
            RejectAsyncSymbols = brokerOptions.RejectAsyncSymbols,
            NoFillSymbols = brokerOptions.NoFillSymbols,
            Calendar = brokerOptions.Calendar,
            PinRiskLiquidation = brokerOptions.PinRiskLiquidation,
            Assignments = brokerOptions.Assignments,
            IsListed = brokerOptions.IsListed ?? listed.Contains, // the tape's symbols (plus any quoted or held)
        });
        _trading = new TradingEndpoints(Broker, CredentialsAccepted, [.. listed.Order(StringComparer.Ordinal)]);
        _data = new MarketDataEndpoints(tape, _sizes, options.History ? () => Math.Max(tape.LastTimeNs, MarketNowNs()) : MarketNowNs, options.Loop, CredentialsAccepted, options.DataRateLimit);
    }

    /// <summary>The paper broker behind the trading endpoints (fills at the emulator's own quotes).</summary>
    public PaperBroker Broker { get; }

    /// <summary>What a client puts in <c>Alpaca:TradingUrl</c>; the trade_updates stream is <c>ws://…/stream</c>.</summary>
    public Uri TradingUrl => new($"http://127.0.0.1:{Port}");

    /// <summary>Market time for the broker: the clock when it runs in real time, else the last tick sent, else the tape's start.</summary>
    private long MarketNowNs()
    {
        if (_clock.IsRunning && _clock.Speed > 0) return _clock.Now;
        long last = Interlocked.Read(ref _lastDispatchedNs);
        return last != long.MinValue ? last : _tape.FirstTimeNs;
    }
    private WebApplication? _app;
    private Task? _player;
    private Task? _brokerClock;
    private long _messagesSent;
    private long _slowClientsDropped;

    /// <summary>The bound port (after <see cref="StartAsync"/>).</summary>
    public int Port { get; private set; }

    /// <summary>What a client puts in <c>Alpaca:DataUrl</c>.</summary>
    public Uri DataUrl => new($"ws://127.0.0.1:{Port}");

    public int ConnectionCount => _connections.Count;

    /// <summary>
    /// Every symbol some open stream connection is subscribed to now (quotes or trades, stocks and options),
    /// sorted: what a test compares with the demand it sent a gateway.
    /// </summary>
    public IReadOnlyList<string> SubscribedSymbols =>
        [.. _connections.Keys.SelectMany(c => c.Subscribed).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    public long MessagesSent => Interlocked.Read(ref _messagesSent);

    /// <summary>Connections dropped because a frame could not be sent within <see cref="EmulatorOptions.SlowClientTimeout"/>.</summary>
    public long SlowClientsDropped => Interlocked.Read(ref _slowClientsDropped);

    /// <summary>True once the tape has been played to its end (never with <see cref="EmulatorOptions.Loop"/>).</summary>
    public bool TapeFinished { get; private set; }

    public async Task StartAsync(CancellationToken ct = default)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "streamer-emulator" });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, _options.Port));
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(2));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(20) });
        app.Run(HandleAsync);
        await app.StartAsync(ct).ConfigureAwait(false);
        _app = app;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Port = new Uri(address).Port;
        _player = Task.Run(() => PlayAsync(_stop.Token), CancellationToken.None);
        _brokerClock = Task.Run(() => RunBrokerClockAsync(_stop.Token), CancellationToken.None);
    }

    /// <summary>
    /// Drops every stream connection abruptly (a network failure), and goes on serving: clients that
    /// reconnect find the market clock where it would have been. What was played meanwhile is gone for them.
    /// </summary>
    public void DropConnections()
    {
        foreach (var c in _connections.Keys) c.Socket.Abort();
    }

    /// <summary>Drops every connection (abruptly, as a crash would) and stops listening.</summary>
    public async Task StopAsync()
    {
        if (_stop.IsCancellationRequested) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (var c in _connections.Keys) c.Socket.Abort();
        foreach (var task in new[] { _player, _brokerClock })
        {
            if (task is null) continue;
            try { await task.ConfigureAwait(false); }
            catch (OperationCanceledException) { /* stopping */ }
        }
        if (_app is not null)
        {
            await _app.StopAsync().ConfigureAwait(false);
            await _app.DisposeAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (TradingEndpoints.IsTradingPath(parts))
        {
            using var request = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, context.RequestAborted);
            await _trading.HandleAsync(context, parts, request.Token).ConfigureAwait(false);
            return;
        }
        if (MarketDataEndpoints.IsDataPath(parts))
        {
            await _data.HandleAsync(context, parts).ConfigureAwait(false);
            return;
        }
        bool isOptions;
        if (parts.Length == 2 && parts[0] == "v2") isOptions = false;
        else if (parts.Length == 2 && parts[0] == "v1beta1") isOptions = true;
        else
        {
            await NotServedAsync(context).ConfigureAwait(false);
            return;
        }
        if (!context.WebSockets.IsWebSocketRequest && !IsFeed(parts[1]))
        {
            // a REST path the emulator does not serve (/v2/watchlists, …), not a stream: Alpaca's JSON 404
            await NotServedAsync(context).ConfigureAwait(false);
            return;
        }
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync("websocket only\n", context.RequestAborted).ConfigureAwait(false);
            return;
        }
        bool msgpack = context.Request.Headers.ContentType.ToString().Contains("msgpack", StringComparison.OrdinalIgnoreCase);
        var format = msgpack ? EmulatorFormat.MessagePack : EmulatorFormat.Json;
        using var socket = await context.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
        using var connection = new EmulatorConnection(socket, format, isOptions, _tape.Symbols, _sizes);
        using var session = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, context.RequestAborted);
        var ct = session.Token;
        try
        {
            if (isOptions && !msgpack)
            {
                await connection.SendAsync((b, f) => ServerMessages.Error(b, f, 412, "option messages are only available in MsgPack format"), ct).ConfigureAwait(false);
                await CloseAsync(socket, WebSocketCloseStatus.PolicyViolation, "msgpack only").ConfigureAwait(false);
                return;
            }
            _connections.TryAdd(connection, 0);
            await connection.SendAsync((b, f) => ServerMessages.Success(b, f, "connected"), ct).ConfigureAwait(false);
            _ = EnforceAuthWindowAsync(connection, ct);
            await ReceiveLoopAsync(connection, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            // the client went away or the emulator stops: nothing to answer
        }
        finally
        {
            _connections.TryRemove(connection, out _);
        }
    }

    /// <summary>The stream feeds (alpaca.md): any other two-part path is REST.</summary>
    private static bool IsFeed(string name) => name is "iex" or "sip" or "delayed_sip" or "test" or "boats" or "overnight" or "otc" or "indicative" or "opra";

    private static async Task NotServedAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status404NotFound;
        context.Response.ContentType = "application/json";
        var message = System.Text.Json.JsonSerializer.Serialize($"{context.Request.Method} {context.Request.Path} is not served by the emulator");
        await context.Response.WriteAsync($$"""{"code":40410000,"message":{{message}}}""", context.RequestAborted).ConfigureAwait(false);
    }

    private async Task EnforceAuthWindowAsync(EmulatorConnection connection, CancellationToken ct)
    {
        try
        {
            await Task.Delay(_options.AuthTimeout, ct).ConfigureAwait(false);
            if (connection.Authenticated) return;
            await connection.SendAsync((b, f) => ServerMessages.Error(b, f, 404, "auth timeout"), ct).ConfigureAwait(false);
            await CloseAsync(connection.Socket, WebSocketCloseStatus.PolicyViolation, "auth timeout").ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            // connection already gone
        }
    }

    private async Task ReceiveLoopAsync(EmulatorConnection connection, CancellationToken ct)
    {
        var buffer = new byte[16 * 1024];
        var socket = connection.Socket;
        while (socket.State == WebSocketState.Open)
        {
            int length = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                if (length == buffer.Length)
                {
                    if (buffer.Length >= 1 << 20)
                    {
                        await connection.SendAsync((b, f) => ServerMessages.Error(b, f, 400, "invalid syntax"), ct).ConfigureAwait(false);
                        await CloseAsync(socket, WebSocketCloseStatus.MessageTooBig, "too big").ConfigureAwait(false);
                        return;
                    }
                    Array.Resize(ref buffer, buffer.Length * 2);
                }
                result = await socket.ReceiveAsync(buffer.AsMemory(length), ct).ConfigureAwait(false);
                length += result.Count;
            }
            while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

            if (result.MessageType == WebSocketMessageType.Close)
            {
                await CloseAsync(socket, WebSocketCloseStatus.NormalClosure, "bye").ConfigureAwait(false);
                return;
            }
            if (connection.IsOptions && result.MessageType == WebSocketMessageType.Text)
            {
                await connection.SendAsync((b, f) => ServerMessages.Error(b, f, 412, "option messages are only available in MsgPack format"), ct).ConfigureAwait(false);
                continue;
            }
            var request = result.MessageType == WebSocketMessageType.Text
                ? ClientRequest.ParseJson(buffer.AsSpan(0, length))
                : ClientRequest.ParseMessagePack(buffer.AsSpan(0, length));
            await HandleRequestAsync(connection, request, ct).ConfigureAwait(false);
        }
    }

    private async Task HandleRequestAsync(EmulatorConnection connection, ClientRequest? request, CancellationToken ct)
    {
        if (request is null)
        {
            await connection.SendAsync((b, f) => ServerMessages.Error(b, f, 400, "invalid syntax"), ct).ConfigureAwait(false);
            return;
        }
        switch (request.Action)
        {
            case "auth" or "authenticate":
                if (connection.Authenticated)
                {
                    await connection.SendAsync((b, f) => ServerMessages.Error(b, f, 403, "already authenticated"), ct).ConfigureAwait(false);
                    return;
                }
                if (!CredentialsAccepted(request))
                {
                    await connection.SendAsync((b, f) => ServerMessages.Error(b, f, 402, "auth failed"), ct).ConfigureAwait(false);
                    return;
                }
                connection.Authenticated = true;
                await connection.SendAsync((b, f) => ServerMessages.Success(b, f, "authenticated"), ct).ConfigureAwait(false);
                return;

            case "subscribe" or "unsubscribe":
                if (!connection.Authenticated)
                {
                    await connection.SendAsync((b, f) => ServerMessages.Error(b, f, 401, "not authenticated"), ct).ConfigureAwait(false);
                    return;
                }
                if (connection.IsOptions && request.OtherChannels.Count > 0)
                {
                    await connection.SendAsync((b, f) => ServerMessages.Error(b, f, 410, "invalid subscribe action for this feed"), ct).ConfigureAwait(false);
                    return;
                }
                if (connection.IsOptions && request.Action == "subscribe" && request.Quotes.Contains("*"))
                {
                    await connection.SendAsync((b, f) => ServerMessages.Error(b, f, 413, "star subscription is not allowed for option quotes"), ct).ConfigureAwait(false);
                    return;
                }
                if (request.Action == "subscribe" && connection.CountAfter(request.Action, request.Trades, request.Quotes) > _options.SymbolLimit)
                {
                    await connection.SendAsync((b, f) => ServerMessages.Error(b, f, 405, "symbol limit exceeded"), ct).ConfigureAwait(false);
                    return;
                }
                var (trades, quotes) = connection.Apply(request.Action, request.Trades, request.Quotes);
                await connection.SendAsync((b, f) => ServerMessages.Subscription(b, f, connection.IsOptions, trades, quotes), ct).ConfigureAwait(false);
                if (connection.HasSubscriptions) _clock.Start(_tape.FirstTimeNs);
                return;

            default:
                await connection.SendAsync((b, f) => ServerMessages.Error(b, f, 400, "invalid syntax"), ct).ConfigureAwait(false);
                return;
        }
    }

    private bool CredentialsAccepted(ClientRequest request) => CredentialsAccepted(request.Key, request.Secret);

    private bool CredentialsAccepted(string? key, string? secret)
    {
        if (string.IsNullOrEmpty(key) || string.IsNullOrEmpty(secret)) return false;
        if (_options.Key is null && _options.Secret is null) return true;
        return key == _options.Key && secret == _options.Secret;
    }

    private async Task PlayAsync(CancellationToken ct)
    {
        var ticks = _tape.Ticks;
        if (ticks.Length == 0) { TapeFinished = true; return; }
        await _clock.Started.WaitAsync(ct).ConfigureAwait(false);
        long offset = 0;
        long passLength = _tape.LastTimeNs - _tape.FirstTimeNs + 1_000_000; // next pass starts 1 ms after the last tick
        var sends = new List<Task<int>>();
        do
        {
            int i = 0;
            while (i < ticks.Length)
            {
                long due = ticks[i].TimeNs + offset;
                var wait = _clock.WallUntil(due);
                if (wait > TimeSpan.Zero) await Task.Delay(wait, ct).ConfigureAwait(false);
                else if (_clock.Speed <= 0) await Task.Yield();
                ct.ThrowIfCancellationRequested();

                // everything due by now goes out as one frame per connection
                long now = _clock.Now;
                int j = i + 1;
                while (j < ticks.Length && j - i < 4096 && ticks[j].TimeNs + offset <= now) j++;

                // the paper broker sees every quote at market time, subscribed or not, after
                // anything due before it (a day order expires at the close, before a later quote)
                for (int k = i; k < j; k++)
                {
                    long at = ticks[k].TimeNs + offset;
                    Broker.AdvanceTo(at);
                    if (!ticks[k].HasQuote) continue;
                    var (bidSize, askSize) = _sizes.Of(ticks[k].SymbolId, at);
                    Broker.OnQuote(_tape.Symbols[ticks[k].SymbolId], ticks[k].Bid, ticks[k].Ask, bidSize, askSize);
                }
                Interlocked.Exchange(ref _lastDispatchedNs, ticks[j - 1].TimeNs + offset);

                sends.Clear();
                foreach (var c in _connections.Keys) sends.Add(SendSafelyAsync(c, ticks, i, j, offset, ct));
                foreach (var s in sends) Interlocked.Add(ref _messagesSent, await s.ConfigureAwait(false));
                i = j;
            }
            offset += passLength;
        }
        while (_options.Loop && !ct.IsCancellationRequested);
        TapeFinished = true;
    }

    /// <summary>
    /// In real time the market clock runs between ticks too: a day order expires at the close and
    /// an option at its expiration even when the tape has no tick then (or has ended).
    /// </summary>
    private async Task RunBrokerClockAsync(CancellationToken ct)
    {
        await _clock.Started.WaitAsync(ct).ConfigureAwait(false);
        if (_clock.Speed <= 0) return; // as fast as possible: the ticks' own times drive the broker
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false)) Broker.AdvanceTo(_clock.Now);
    }

    private async Task<int> SendSafelyAsync(EmulatorConnection c, Rules.Market.Tick[] ticks, int from, int to, long offset, CancellationToken ct)
    {
        using var slow = CancellationTokenSource.CreateLinkedTokenSource(ct);
        slow.CancelAfter(_options.SlowClientTimeout);
        try
        {
            return await c.SendTicksAsync(ticks, from, to, offset, slow.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (!ct.IsCancellationRequested && slow.IsCancellationRequested
            && e is OperationCanceledException or WebSocketException or IOException or ObjectDisposedException)
        {
            // a client that does not read holds up the tape for everyone: drop it, as Alpaca does (407).
            // a send cancelled mid-frame aborts the socket and may surface as a websocket/IO error, not a cancellation
            Interlocked.Increment(ref _slowClientsDropped);
            c.Socket.Abort();
            return 0;
        }
        catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException)
        {
            return 0; // that client is gone; its handler cleans up
        }
    }

    private static async Task CloseAsync(WebSocket socket, WebSocketCloseStatus status, string reason)
    {
        if (socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived)) return;
        using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        try
        {
            await socket.CloseAsync(status, reason, quick.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            socket.Abort();
        }
    }
}
