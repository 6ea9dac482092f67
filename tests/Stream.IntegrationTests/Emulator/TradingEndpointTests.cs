using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Streamer.Stream.Emulator;

namespace Streamer.Stream.Tests.Emulator;

// REST and trade_updates over real HTTP/websockets on loopback
public sealed class TradingEndpointTests : IAsyncLifetime
{
    private const string Call = "AAPL260220C00200000";
    private AlpacaEmulator _emulator = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _emulator = new AlpacaEmulator(Tapes.Mixed(5), new EmulatorOptions { Key = "K", Secret = "S" });
        await _emulator.StartAsync();
        _http = new HttpClient { BaseAddress = _emulator.TradingUrl };
        _http.DefaultRequestHeaders.Add("APCA-API-KEY-ID", "K");
        _http.DefaultRequestHeaders.Add("APCA-API-SECRET-KEY", "S");
        _emulator.Broker.OnQuote(Call, 5.00, 5.10);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _emulator.DisposeAsync();
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> Send(HttpMethod method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    [Fact]
    public async Task Requests_without_the_keys_are_unauthorized()
    {
        using var anonymous = new HttpClient { BaseAddress = _emulator.TradingUrl };
        using var response = await anonymous.GetAsync(new Uri("/v2/positions", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(40110000, body.RootElement.GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task Open_list_and_close_a_position_with_string_numbers()
    {
        var (status, order) = await Send(HttpMethod.Post, "/v2/orders",
            """{"symbol":"AAPL260220C00200000","qty":"2","side":"buy","type":"market","time_in_force":"day","position_intent":"buy_to_open","client_order_id":"streamer-1"}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("filled", order.GetProperty("status").GetString());
        Assert.Equal("5.1", order.GetProperty("filled_avg_price").GetString());
        Assert.Equal("streamer-1", order.GetProperty("client_order_id").GetString());

        var (_, positions) = await Send(HttpMethod.Get, "/v2/positions");
        var p = Assert.Single(positions.EnumerateArray());
        Assert.Equal(Call, p.GetProperty("symbol").GetString());
        Assert.Equal("us_option", p.GetProperty("asset_class").GetString());
        Assert.Equal("2", p.GetProperty("qty").GetString());
        Assert.Equal("long", p.GetProperty("side").GetString());
        Assert.Equal("5.1", p.GetProperty("avg_entry_price").GetString());
        Assert.Equal("1020", p.GetProperty("cost_basis").GetString());      // 2 × 5.10 × 100
        Assert.Equal("1010", p.GetProperty("market_value").GetString());    // 2 × mid 5.05 × 100
        Assert.Equal("-10", p.GetProperty("unrealized_pl").GetString());

        var (dupStatus, dup) = await Send(HttpMethod.Post, "/v2/orders",
            """{"symbol":"AAPL260220C00200000","qty":"1","side":"buy","type":"market","time_in_force":"day","client_order_id":"streamer-1"}""");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, dupStatus);
        Assert.Contains("unique", dup.GetProperty("message").GetString(), StringComparison.Ordinal);

        var (closeStatus, close) = await Send(HttpMethod.Delete, $"/v2/positions/{Call}");
        Assert.Equal(HttpStatusCode.OK, closeStatus);
        Assert.Equal("sell_to_close", close.GetProperty("position_intent").GetString());
        Assert.Equal("5", close.GetProperty("filled_avg_price").GetString());
        var (_, after) = await Send(HttpMethod.Get, "/v2/positions");
        Assert.Empty(after.EnumerateArray());

        var (missing, _) = await Send(HttpMethod.Get, $"/v2/positions/{Call}");
        Assert.Equal(HttpStatusCode.NotFound, missing);
    }

    [Fact]
    public async Task Trade_updates_stream_reports_new_and_fill()
    {
        using var ws = new ClientWebSocket();
        await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{_emulator.Port}/stream"), CancellationToken.None);
        await SendText(ws, """{"action":"authenticate","data":{"key_id":"K","secret_key":"S"}}""");
        var auth = await Receive(ws);
        Assert.Equal("authorized", auth.GetProperty("data").GetProperty("status").GetString());
        await SendText(ws, """{"action":"listen","data":{"streams":["trade_updates"]}}""");
        var listening = await Receive(ws);
        Assert.Equal("listening", listening.GetProperty("stream").GetString());

        var (status, _) = await Send(HttpMethod.Post, "/v2/orders",
            """{"symbol":"AAPL260220C00200000","qty":"1","side":"buy","type":"market","time_in_force":"day"}""");
        Assert.Equal(HttpStatusCode.OK, status);
        var created = await Receive(ws);
        Assert.Equal("trade_updates", created.GetProperty("stream").GetString());
        Assert.Equal("new", created.GetProperty("data").GetProperty("event").GetString());
        var fill = (await Receive(ws)).GetProperty("data");
        Assert.Equal("fill", fill.GetProperty("event").GetString());
        Assert.Equal("5.1", fill.GetProperty("price").GetString());
        Assert.Equal("1", fill.GetProperty("qty").GetString());
        Assert.Equal("1", fill.GetProperty("position_qty").GetString());
        Assert.Equal("filled", fill.GetProperty("order").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Wrong_keys_on_the_stream_are_unauthorized()
    {
        using var ws = new ClientWebSocket();
        await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{_emulator.Port}/stream"), CancellationToken.None);
        await SendText(ws, """{"action":"auth","key":"K","secret":"no"}""");
        Assert.Equal("unauthorized", (await Receive(ws)).GetProperty("data").GetProperty("status").GetString());
    }

    private static Task SendText(ClientWebSocket ws, string json) =>
        ws.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, CancellationToken.None);

    private static async Task<JsonElement> Receive(ClientWebSocket ws)
    {
        var buffer = new byte[64 * 1024];
        using var cts = new CancellationTokenSource(10_000);
        int length = 0;
        while (true)
        {
            var r = await ws.ReceiveAsync(buffer.AsMemory(length), cts.Token);
            Assert.Equal(WebSocketMessageType.Binary, r.MessageType); // JSON in binary frames, as the paper stream does
            length += r.Count;
            if (r.EndOfMessage) break;
        }
        return JsonDocument.Parse(buffer.AsMemory(0, length)).RootElement.Clone();
    }
}
