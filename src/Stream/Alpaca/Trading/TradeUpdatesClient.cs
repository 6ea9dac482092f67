using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Streamer.Feed.Alpaca;
using Streamer.Stream.Contracts.Resilience;
namespace Streamer.Stream.Alpaca.Trading;

/// <summary>
/// The <c>trade_updates</c> stream (alpaca.md): connects to <c>{TradingUrl}/stream</c>,
/// authenticates, listens, and writes each update to a channel. The paper stream sends JSON
/// in binary frames; text frames are read too. Reconnects with jittered backoff on drops;
/// an "unauthorized" reply ends it (<see cref="Unauthorized"/>). Updates missed while
/// disconnected are not replayed by Alpaca: the caller reconciles against REST after each
/// <see cref="Connected"/>.
/// </summary>
internal sealed class TradeUpdatesClient(Uri tradingUrl, AlpacaCredentials credentials, ChannelWriter<TradeUpdate> updates) : IAsyncDisposable
{
    private CancellationTokenSource? _stop;
    private Task? _run;

    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Raised after each successful auth + listen (first connect and every reconnect).</summary>
    public event Action? Connected;

    /// <summary>A frame that could not be read as an update (the text says why).</summary>
    public event Action<string>? Malformed;

    public bool Unauthorized { get; private set; }

    public Task Completion => _run ?? Task.CompletedTask;

    public Uri Endpoint
    {
        get
        {
            var b = new UriBuilder(tradingUrl) { Path = "/stream" };
            b.Scheme = b.Scheme switch { "https" => "wss", "http" => "ws", _ => b.Scheme };
            if (b.Uri.IsDefaultPort) b.Port = -1;
            return b.Uri;
        }
    }

    public void Start()
    {
        if (_run is not null) throw new InvalidOperationException("already started");
        _stop = new CancellationTokenSource();
        _run = Task.Run(() => RunAsync(_stop.Token));
    }

    private async Task RunAsync(CancellationToken stop)
    {
        int attempt = 0;
        var buffer = new byte[64 * 1024];
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var ws = new ClientWebSocket();
                await ws.ConnectAsync(Endpoint, stop).ConfigureAwait(false);
                await SendAsync(ws, $$"""{"action":"auth","key":{{JsonSerializer.Serialize(credentials.KeyId)}},"secret":{{JsonSerializer.Serialize(credentials.SecretKey)}}}""", stop).ConfigureAwait(false);
                using (var auth = await ReceiveJsonAsync(ws, buffer, stop).ConfigureAwait(false))
                {
                    var status = auth?.RootElement.TryGetProperty("data", out var d) == true ? TradingJsonReader.Str(d, "status") : null;
                    if (status != "authorized")
                    {
                        Unauthorized = true;
                        return;
                    }
                }
                await SendAsync(ws, """{"action":"listen","data":{"streams":["trade_updates"]}}""", stop).ConfigureAwait(false);
                bool listening = false;
                while (!stop.IsCancellationRequested)
                {
                    using var doc = await ReceiveJsonAsync(ws, buffer, stop).ConfigureAwait(false);
                    if (doc is null) break; // closed
                    var root = doc.RootElement;
                    string? stream = TradingJsonReader.Str(root, "stream");
                    if (stream == "listening" && !listening)
                    {
                        listening = true;
                        attempt = 0;
                        Connected?.Invoke();
                        continue;
                    }
                    if (stream != "trade_updates" || !root.TryGetProperty("data", out var data)) continue;
                    TradeUpdate update;
                    try
                    {
                        update = TradingJsonReader.Update(data);
                    }
                    catch (Exception e) when (e is FormatException or InvalidOperationException or KeyNotFoundException)
                    {
                        Malformed?.Invoke(e.Message);
                        continue;
                    }
                    await updates.WriteAsync(update, stop).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is WebSocketException or IOException or JsonException)
            {
                Malformed?.Invoke($"trade_updates connection: {e.Message}");
            }
            var delay = new Backoff(InitialBackoff, MaxBackoff, BackoffJitter.Equal).Delay(attempt++);
            try { await Task.Delay(delay, stop).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
        }
    }

    private static Task SendAsync(ClientWebSocket ws, string json, CancellationToken ct) =>
        ws.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, ct);

    /// <summary>The next frame as JSON; null when the server closed.</summary>
    private static async Task<JsonDocument?> ReceiveJsonAsync(ClientWebSocket ws, byte[] buffer, CancellationToken ct)
    {
        int length = 0;
        while (true)
        {
            if (length == buffer.Length) throw new JsonException("a trade_updates frame over 64 KiB");
            var r = await ws.ReceiveAsync(buffer.AsMemory(length), ct).ConfigureAwait(false);
            if (r.MessageType == WebSocketMessageType.Close) return null;
            length += r.Count;
            if (r.EndOfMessage) return JsonDocument.Parse(buffer.AsMemory(0, length));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stop is null) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_run is not null)
        {
            try { await _run.ConfigureAwait(false); }
            catch (OperationCanceledException) { }
        }
        _stop.Dispose();
    }
}
