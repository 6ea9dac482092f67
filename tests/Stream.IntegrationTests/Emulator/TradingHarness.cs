using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Streamer.Stream.Emulator;

namespace Streamer.Stream.Tests.Emulator;

/// <summary>An emulator with its trading API over loopback HTTP and a trade_updates listener on /stream.</summary>
internal sealed class TradingHarness : IAsyncDisposable
{
    private readonly ClientWebSocket _updates = new();
    private readonly Channel<JsonElement> _received = Channel.CreateUnbounded<JsonElement>();
    private readonly CancellationTokenSource _stop = new();
    private Task? _reader;
    private RawSocket? _data;

    private TradingHarness(AlpacaEmulator emulator)
    {
        Emulator = emulator;
        Http = new HttpClient { BaseAddress = emulator.TradingUrl };
        Http.DefaultRequestHeaders.Add("APCA-API-KEY-ID", "K");
        Http.DefaultRequestHeaders.Add("APCA-API-SECRET-KEY", "S");
    }

    public AlpacaEmulator Emulator { get; }

    public PaperBroker Broker => Emulator.Broker;

    public HttpClient Http { get; }

    public static async Task<TradingHarness> StartAsync(EmulatorTape tape, PaperBrokerOptions broker, double speed = 0, (int, int)? quoteSize = null)
    {
        var emulator = new AlpacaEmulator(tape, new EmulatorOptions { Key = "K", Secret = "S", Speed = speed, Broker = broker, QuoteSize = quoteSize });
        await emulator.StartAsync();
        var h = new TradingHarness(emulator);
        await h.ListenAsync();
        return h;
    }

    private async Task ListenAsync()
    {
        using var cts = new CancellationTokenSource(10_000);
        await _updates.ConnectAsync(new Uri($"ws://127.0.0.1:{Emulator.Port}/stream"), cts.Token);
        await _updates.SendAsync(Encoding.UTF8.GetBytes("""{"action":"auth","key":"K","secret":"S"}"""), WebSocketMessageType.Text, true, cts.Token);
        Assert.Equal("authorized", (await ReceiveAsync(cts.Token)).GetProperty("data").GetProperty("status").GetString());
        await _updates.SendAsync(Encoding.UTF8.GetBytes("""{"action":"listen","data":{"streams":["trade_updates"]}}"""), WebSocketMessageType.Text, true, cts.Token);
        Assert.Equal("listening", (await ReceiveAsync(cts.Token)).GetProperty("stream").GetString());
        _reader = Task.Run(async () =>
        {
            try
            {
                while (true) await _received.Writer.WriteAsync(await ReceiveAsync(_stop.Token));
            }
            catch (Exception e) when (e is OperationCanceledException or WebSocketException)
            {
                _received.Writer.TryComplete();
            }
        });
    }

    private async Task<JsonElement> ReceiveAsync(CancellationToken ct)
    {
        var buffer = new byte[256 * 1024];
        int length = 0;
        while (true)
        {
            var r = await _updates.ReceiveAsync(buffer.AsMemory(length), ct);
            if (r.MessageType == WebSocketMessageType.Close) throw new WebSocketException("closed");
            length += r.Count;
            if (r.EndOfMessage) break;
        }
        return JsonDocument.Parse(buffer.AsMemory(0, length)).RootElement.Clone();
    }

    /// <summary>The next trade update's <c>data</c>.</summary>
    public async Task<JsonElement> NextUpdateAsync()
    {
        using var cts = new CancellationTokenSource(10_000);
        var message = await _received.Reader.ReadAsync(cts.Token);
        Assert.Equal("trade_updates", message.GetProperty("stream").GetString());
        return message.GetProperty("data");
    }

    /// <summary>The next <paramref name="n"/> trade updates as (event, order status).</summary>
    public async Task<List<JsonElement>> NextUpdatesAsync(int n)
    {
        var list = new List<JsonElement>();
        for (int i = 0; i < n; i++) list.Add(await NextUpdateAsync());
        return list;
    }

    /// <summary>True when no further update arrives within <paramref name="ms"/> (used only to show an absence).</summary>
    public async Task<bool> QuietForAsync(int ms)
    {
        using var cts = new CancellationTokenSource(ms);
        try
        {
            await _received.Reader.WaitToReadAsync(cts.Token);
            return false;
        }
        catch (OperationCanceledException)
        {
            return true;
        }
    }

    public async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpMethod method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    public Task<(HttpStatusCode Status, JsonElement Body)> PostOrderAsync(string json) => SendAsync(HttpMethod.Post, "/v2/orders", json);

    public Task<(HttpStatusCode Status, JsonElement Body)> GetAsync(string path) => SendAsync(HttpMethod.Get, path);

    /// <summary>Subscribes a stock stream to <paramref name="symbol"/>'s quotes: the market clock starts and the tape plays.</summary>
    public async Task<RawSocket> StartTapeAsync(string symbol)
    {
        _data = await RawSocket.ConnectAsync(new Uri(Emulator.DataUrl, "/v2/iex"));
        Assert.Contains("connected", await _data.ReceiveTextAsync(), StringComparison.Ordinal);
        await _data.SendTextAsync("""{"action":"auth","key":"K","secret":"S"}""");
        Assert.Contains("authenticated", await _data.ReceiveTextAsync(), StringComparison.Ordinal);
        await _data.SendTextAsync($$"""{"action":"subscribe","quotes":["{{symbol}}"]}""");
        Assert.Contains("subscription", await _data.ReceiveTextAsync(), StringComparison.Ordinal);
        return _data;
    }

    public async Task WaitForTapeEndAsync()
    {
        for (int i = 0; i < 1000 && !Emulator.TapeFinished; i++) await Task.Delay(10);
        Assert.True(Emulator.TapeFinished, "the tape did not finish within 10 s");
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_reader is not null) await _reader;
        _updates.Dispose();
        if (_data is not null) await _data.DisposeAsync();
        Http.Dispose();
        await Emulator.DisposeAsync();
        _stop.Dispose();
    }
}
