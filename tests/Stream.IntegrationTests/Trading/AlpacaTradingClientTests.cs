using System.Threading.Channels;
using Streamer.Feed.Alpaca;
using Streamer.Stream.Alpaca.MarketData;
using Streamer.Stream.Emulator;
using Streamer.Stream.Tests.Emulator;
using Streamer.Stream.Alpaca.Trading;
namespace Streamer.Stream.Tests.Trading;

// the trading client and trade_updates client against the emulator's paper broker, over loopback
public sealed class AlpacaTradingClientTests : IAsyncLifetime
{
    private const string ShortPut = "SPY260220P00580000";
    private const string LongPut = "SPY260220P00575000";
    private AlpacaEmulator _emulator = null!;
    private HttpClient _http = null!;
    private AlpacaTradingClient _client = null!;

    public async Task InitializeAsync()
    {
        _emulator = new AlpacaEmulator(Tapes.Mixed(5), new EmulatorOptions { Key = "K", Secret = "S" });
        await _emulator.StartAsync();
        _http = new HttpClient();
        _client = new AlpacaTradingClient(_http, _emulator.TradingUrl, new AlpacaCredentials("K", "S"));
        _emulator.Broker.OnQuote(ShortPut, 0.60, 0.62);
        _emulator.Broker.OnQuote(LongPut, 0.30, 0.31);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _emulator.DisposeAsync();
    }

    [Fact]
    public async Task Opens_reads_and_closes_a_credit_spread()
    {
        var open = await _client.SubmitOrderAsync(new OrderRequest(
            [new OrderLegRequest(ShortPut, "sell", "sell_to_open"), new OrderLegRequest(LongPut, "buy", "buy_to_open")],
            Qty: 10, LimitPrice: -0.25m, ClientOrderId: "spread-open"));
        Assert.Equal("mleg", open.OrderClass);
        Assert.Equal("filled", open.Status);
        Assert.Equal(-0.29m, open.FilledAvgPrice); // sold 0.60, bought 0.31: a 0.29 credit
        Assert.Equal(2, open.Legs.Count);

        var positions = await _client.GetPositionsAsync();
        Assert.Equal([(LongPut, 10m), (ShortPut, -10m)], positions.Select(p => (p.Symbol, p.Qty)).OrderBy(p => p.Symbol));
        Assert.All(positions, p => Assert.True(p.IsOption));
        Assert.Equal("short", positions.Single(p => p.Symbol == ShortPut).Side);
        Assert.Equal(0.60m, positions.Single(p => p.Symbol == ShortPut).AvgEntryPrice);

        var close = await _client.ClosePositionAsync(ShortPut, qty: 4);
        Assert.Equal(("buy", "buy_to_close", 4m), (close.Side, close.PositionIntent, close.Qty));
        Assert.Equal(-6m, (await _client.GetPositionAsync(ShortPut))!.Qty);
        Assert.Null(await _client.GetPositionAsync("SPY260220C00600000"));
    }

    [Fact]
    public async Task Refusals_carry_the_brokers_code_and_message()
    {
        var tooMany = await Assert.ThrowsAsync<AlpacaApiException>(() => _client.SubmitOrderAsync(new OrderRequest(
            [new OrderLegRequest(ShortPut, "buy", "buy_to_close")], 1, null, "close-nothing")));
        Assert.Equal((403, 40310000), (tooMany.Status, tooMany.Code));
        Assert.Contains("available: 0", tooMany.ApiMessage, StringComparison.Ordinal);

        var badRatio = await Assert.ThrowsAsync<AlpacaApiException>(() => _client.SubmitOrderAsync(new OrderRequest(
            [new OrderLegRequest(ShortPut, "sell", "sell_to_open", 2), new OrderLegRequest(LongPut, "buy", "buy_to_open", 2)], 1, -0.1m, "bad-ratio")));
        Assert.Equal(422, badRatio.Status);
        Assert.Contains("gcd", badRatio.ApiMessage, StringComparison.Ordinal);

        using var http = new HttpClient();
        var wrongKeys = new AlpacaTradingClient(http, _emulator.TradingUrl, new AlpacaCredentials("K", "wrong"));
        var unauthorized = await Assert.ThrowsAsync<AlpacaApiException>(() => wrongKeys.GetPositionsAsync());
        Assert.Equal(401, unauthorized.Status);
        Assert.DoesNotContain("wrong", unauthorized.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_orders_can_be_listed_and_canceled()
    {
        var working = await _client.SubmitOrderAsync(new OrderRequest([new OrderLegRequest(LongPut, "buy", "buy_to_open")], 1, 0.10m, "cheap-bid"));
        Assert.Equal("new", working.Status);
        Assert.Equal(working.Id, Assert.Single(await _client.GetOpenOrdersAsync()).Id);
        await _client.CancelOrderAsync(working.Id);
        Assert.Equal("canceled", (await _client.GetOrderAsync(working.Id)).Status);
        Assert.Empty(await _client.GetOpenOrdersAsync());
    }

    [Fact]
    public async Task Trade_updates_arrive_through_the_stream_client()
    {
        var channel = Channel.CreateUnbounded<TradeUpdate>();
        await using var stream = new TradeUpdatesClient(_emulator.TradingUrl, new AlpacaCredentials("K", "S"), channel.Writer);
        var connected = new TaskCompletionSource();
        stream.Connected += () => connected.TrySetResult();
        stream.Start();
        await connected.Task.WaitAsync(TimeSpan.FromSeconds(10));

        await _client.SubmitOrderAsync(new OrderRequest([new OrderLegRequest(LongPut, "buy", "buy_to_open")], 3, null, "buy-3"));
        using var cts = new CancellationTokenSource(10_000);
        var first = await channel.Reader.ReadAsync(cts.Token);
        var second = await channel.Reader.ReadAsync(cts.Token);
        Assert.Equal(("new", "new"), (first.Event, first.Order.Status));
        Assert.Equal("fill", second.Event);
        Assert.Equal((0.31m, 3m, 3m), (second.Price, second.Qty, second.PositionQty));
        Assert.Equal("buy-3", second.Order.ClientOrderId);
        Assert.NotNull(second.TimestampNs);
    }

    [Fact]
    public async Task Trade_updates_with_wrong_keys_end_unauthorized()
    {
        var channel = Channel.CreateUnbounded<TradeUpdate>();
        await using var stream = new TradeUpdatesClient(_emulator.TradingUrl, new AlpacaCredentials("K", "nope"), channel.Writer);
        stream.Start();
        await stream.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(stream.Unauthorized);
    }

    [Fact]
    public void Simple_orders_are_written_as_the_documented_json()
    {
        var json = AlpacaTradingClient.OrderJson(new OrderRequest([new OrderLegRequest("AAPL240315C00172500", "sell", "sell_to_close")], 2, 1.25m, "x-1"));
        Assert.Equal("""{"symbol":"AAPL240315C00172500","side":"sell","position_intent":"sell_to_close","qty":"2","type":"limit","time_in_force":"day","limit_price":"1.25","client_order_id":"x-1"}""", json);
    }

    [Fact]
    public async Task An_exit_executes_as_an_mleg_close_and_reconciles_clean()
    {
        _emulator.Broker.SetPosition(ShortPut, -10, 2.10m);
        _emulator.Broker.SetPosition(LongPut, 10, 0.90m);
        var order = ExitOrders.Build("SPY-PCS-1:2", [(ShortPut, 4), (LongPut, -4)], limitPerUnit: 0.40m);
        var placed = await _client.SubmitOrderAsync(order);
        Assert.Equal("filled", placed.Status);
        Assert.Equal(0.32m, placed.FilledAvgPrice); // buy 0.62, sell 0.30
        Assert.Equal("SPY-PCS-1:2", placed.ClientOrderId);

        // what the engine holds after the exit is what the broker holds
        var held = (await _client.GetPositionsAsync()).ToDictionary(p => p.Symbol, p => p.Qty);
        Assert.Equal(new Dictionary<string, decimal> { [ShortPut] = -6, [LongPut] = 6 }, held);

        // the same exit again (a replay) is refused by the broker: the client_order_id is taken
        var again = await Assert.ThrowsAsync<AlpacaApiException>(() => _client.SubmitOrderAsync(order));
        Assert.Equal(422, again.Status);
    }
}
