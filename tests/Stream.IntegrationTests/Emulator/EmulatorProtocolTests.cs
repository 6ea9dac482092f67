using System.Net.WebSockets;
using System.Text.Json;
using Streamer.Feed.Alpaca;
using Streamer.Stream.Alpaca.MarketData;
using Streamer.Rules.Instruments;
using Streamer.Stream.Emulator;

namespace Streamer.Stream.Tests.Emulator;

// the emulator's control flow, checked frame by frame over a real loopback websocket
public sealed class EmulatorProtocolTests : IAsyncLifetime
{
    private AlpacaEmulator _emulator = null!;

    public async Task InitializeAsync()
    {
        _emulator = new AlpacaEmulator(Tapes.Mixed(50), new EmulatorOptions { Speed = 1000, Key = "K", Secret = "S", SymbolLimit = 3 });
        await _emulator.StartAsync();
    }

    public async Task DisposeAsync() => await _emulator.DisposeAsync();

    private Uri Stocks => new(_emulator.DataUrl, "/v2/iex");
    private Uri Options => new(_emulator.DataUrl, "/v1beta1/indicative");

    [Fact]
    public async Task Stocks_flow_connected_auth_errors_and_full_state_replies()
    {
        Assert.NotEqual(0, _emulator.Port);
        await using var ws = await RawSocket.ConnectAsync(Stocks);
        Assert.Equal("""[{"T":"success","msg":"connected"}]""", await ws.ReceiveTextAsync());

        await ws.SendTextAsync("""{"action":"subscribe","quotes":["AAPL"]}""");
        Assert.Equal("""[{"T":"error","code":401,"msg":"not authenticated"}]""", await ws.ReceiveTextAsync());

        await ws.SendTextAsync("""{"action":"auth","key":"K","secret":"wrong"}""");
        Assert.Equal("""[{"T":"error","code":402,"msg":"auth failed"}]""", await ws.ReceiveTextAsync());

        await ws.SendTextAsync("""{"action":"auth","key":"K","secret":"S"}""");
        Assert.Equal("""[{"T":"success","msg":"authenticated"}]""", await ws.ReceiveTextAsync());

        await ws.SendTextAsync("""{"action":"auth","key":"K","secret":"S"}""");
        Assert.Equal("""[{"T":"error","code":403,"msg":"already authenticated"}]""", await ws.ReceiveTextAsync());

        await ws.SendTextAsync("""{"action":"subscribe","quotes":["AAPL"""); // cut short
        Assert.Equal("""[{"T":"error","code":400,"msg":"invalid syntax"}]""", await ws.ReceiveTextAsync());

        await ws.SendTextAsync("""{"action":"dance"}""");
        Assert.Equal("""[{"T":"error","code":400,"msg":"invalid syntax"}]""", await ws.ReceiveTextAsync());

        await ws.SendTextAsync("""{"action":"subscribe","trades":["AAPL"],"quotes":["AAPL","MSFT","QQQ","IWM"]}""");
        Assert.Equal("""[{"T":"error","code":405,"msg":"symbol limit exceeded"}]""", await ws.ReceiveTextAsync());

        await ws.SendTextAsync("""{"action":"subscribe","trades":["AAPL"],"quotes":["AAPL","MSFT"]}""");
        Assert.Equal(
            """[{"T":"subscription","trades":["AAPL"],"quotes":["AAPL","MSFT"],"bars":[],"updatedBars":[],"dailyBars":[],"statuses":[],"lulds":[],"corrections":["AAPL"],"cancelErrors":["AAPL"]}]""",
            await ws.ReceiveTextAsync());

        // data follows: JSON arrays of q/t messages for the subscribed symbol only
        var (type, bytes) = await ws.ReceiveAsync();
        Assert.Equal(WebSocketMessageType.Text, type);
        using var doc = JsonDocument.Parse(bytes);
        Assert.Equal(JsonValueKind.Array, doc.RootElement.ValueKind);
        foreach (var m in doc.RootElement.EnumerateArray())
        {
            Assert.Contains(m.GetProperty("T").GetString(), new[] { "q", "t" });
            Assert.Equal("AAPL", m.GetProperty("S").GetString());
        }

        await ws.SendTextAsync("""{"action":"unsubscribe","trades":["AAPL"],"quotes":["AAPL","MSFT"]}""");
        string reply;
        do reply = await ws.ReceiveTextAsync(); while (!reply.Contains("subscription", StringComparison.Ordinal));
        Assert.StartsWith("""[{"T":"subscription","trades":[],"quotes":[],"bars":[]""", reply, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_auth_within_the_window_gets_404_and_a_close()
    {
        await using var quick = new AlpacaEmulator(Tapes.Mixed(5), new EmulatorOptions { AuthTimeout = TimeSpan.FromMilliseconds(300) });
        await quick.StartAsync();
        await using var ws = await RawSocket.ConnectAsync(new Uri(quick.DataUrl, "/v2/iex"));
        Assert.Equal("""[{"T":"success","msg":"connected"}]""", await ws.ReceiveTextAsync());
        Assert.Equal("""[{"T":"error","code":404,"msg":"auth timeout"}]""", await ws.ReceiveTextAsync());
        var (type, _) = await ws.ReceiveAsync();
        Assert.Equal(WebSocketMessageType.Close, type);
    }

    [Fact]
    public async Task Options_without_msgpack_get_412()
    {
        await using var ws = await RawSocket.ConnectAsync(Options);
        Assert.Equal("""[{"T":"error","code":412,"msg":"option messages are only available in MsgPack format"}]""", await ws.ReceiveTextAsync());
        var (type, _) = await ws.ReceiveAsync();
        Assert.Equal(WebSocketMessageType.Close, type);
    }

    [Fact]
    public async Task Options_flow_in_msgpack_refuses_bars_and_star_quotes()
    {
        var symbols = new SymbolTable();
        int call = symbols.Intern(Tapes.Call);
        await using var ws = await RawSocket.ConnectAsync(Options, msgpack: true);
        Assert.True(Assert.Single((await ws.ReceiveMsgPackAsync(symbols)).Controls).IsConnected);

        await ws.SendMsgPackAsync(w =>
        {
            w.WriteMapHeader(3);
            w.WriteString("action"); w.WriteString("auth");
            w.WriteString("key"); w.WriteString("K");
            w.WriteString("secret"); w.WriteString("S");
        });
        Assert.True(Assert.Single((await ws.ReceiveMsgPackAsync(symbols)).Controls).IsAuthenticated);

        await ws.SendMsgPackAsync(w =>
        {
            w.WriteMapHeader(2);
            w.WriteString("action"); w.WriteString("subscribe");
            w.WriteString("bars"); w.WriteArrayHeader(1); w.WriteString(Tapes.Call);
        });
        var e410 = Assert.Single((await ws.ReceiveMsgPackAsync(symbols)).Controls);
        Assert.Equal((AlpacaControlKind.Error, 410), (e410.Kind, e410.Code));

        await ws.SendMsgPackAsync(w =>
        {
            w.WriteMapHeader(2);
            w.WriteString("action"); w.WriteString("subscribe");
            w.WriteString("quotes"); w.WriteArrayHeader(1); w.WriteString("*");
        });
        var e413 = Assert.Single((await ws.ReceiveMsgPackAsync(symbols)).Controls);
        Assert.Equal((AlpacaControlKind.Error, 413), (e413.Kind, e413.Code));

        await ws.SendTextAsync("""{"action":"subscribe","quotes":["X"]}""");
        var e412 = Assert.Single((await ws.ReceiveMsgPackAsync(symbols)).Controls);
        Assert.Equal(412, e412.Code);

        await ws.SendMsgPackAsync(w =>
        {
            w.WriteMapHeader(2);
            w.WriteString("action"); w.WriteString("subscribe");
            w.WriteString("quotes"); w.WriteArrayHeader(1); w.WriteString(Tapes.Call);
        });
        var sub = Assert.Single((await ws.ReceiveMsgPackAsync(symbols)).Controls);
        Assert.Equal([Tapes.Call], sub.Quotes);
        Assert.Empty(sub.Trades);

        var data = await ws.ReceiveMsgPackAsync(symbols);
        Assert.NotEmpty(data.Ticks);
        Assert.All(data.Ticks, t => Assert.Equal(call, t.SymbolId));
    }
}
