using System.Net;
using System.Text.Json;
using Streamer.Rules.Calendar;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;
using Streamer.Rules.Time;
using Streamer.Stream.Emulator;

namespace Streamer.Stream.Tests.Emulator;

// limit orders, day expiry, cancel, rejections and order queries over loopback HTTP + trade_updates
public sealed class OrderLifecycleTests : IAsyncLifetime
{
    private const string Call = Tapes.Call;
    private TradingHarness _h = null!;

    public async Task InitializeAsync() =>
        _h = await TradingHarness.StartAsync(Tapes.Mixed(3), new PaperBrokerOptions
        {
            PartialFills = true,
            RejectSymbols = new HashSet<string> { Tapes.Put },
            RejectAsyncSymbols = new HashSet<string> { "SPY" },
            NoFillSymbols = new HashSet<string> { "AAPL" },
        });

    public async Task DisposeAsync() => await _h.DisposeAsync();

    private static string Str(JsonElement e, string name) => e.GetProperty(name).GetString()!;

    private static long Utc(int y, int mo, int d, int h, int mi, int s) =>
        NanoTime.FromDateTime(new DateTime(y, mo, d, h, mi, s, DateTimeKind.Utc));

    [Fact]
    public async Task A_day_limit_rests_until_marketable_and_an_unfilled_one_expires_at_the_early_close()
    {
        // 2026-11-27, the day after Thanksgiving: NYSE closes at 13:00 New York = 18:00 UTC
        Assert.True(MarketCalendar.Nyse.IsEarlyClose(new DateOnly(2026, 11, 27)));
        var symbols = new SymbolTable();
        int spy = symbols.Intern("SPY");
        var tape = EmulatorTape.FromTicks(symbols,
        [
            Tick.Quote(Utc(2026, 11, 27, 17, 59, 0), spy, 600.00, 600.10),
            Tick.Quote(Utc(2026, 11, 27, 17, 59, 30), spy, 599.90, 600.00),
            Tick.Quote(Utc(2026, 11, 27, 18, 0, 1), spy, 598.00, 598.10), // would fill the 599 bid, but the session is over
        ]);
        await using var h = await TradingHarness.StartAsync(tape, new PaperBrokerOptions());
        var (_, low) = await h.PostOrderAsync("""{"symbol":"SPY","qty":"10","side":"buy","type":"limit","limit_price":"599","time_in_force":"day","client_order_id":"low"}""");
        var (_, mid) = await h.PostOrderAsync("""{"symbol":"SPY","qty":"5","side":"buy","type":"limit","limit_price":"600.00","time_in_force":"day","client_order_id":"mid"}""");
        Assert.Equal(("new", "new"), (Str(low, "status"), Str(mid, "status")));
        Assert.Equal("2026-11-27T17:59:00Z", Str(low, "created_at")); // broker time is tape time

        await h.StartTapeAsync("SPY");
        await h.WaitForTapeEndAsync();
        var u = await h.NextUpdatesAsync(4);
        Assert.Equal([("new", "low"), ("new", "mid"), ("fill", "mid"), ("expired", "low")],
            u.Select(x => (Str(x, "event"), Str(x.GetProperty("order"), "client_order_id"))));
        Assert.Equal(("600", "5"), (Str(u[2], "price"), Str(u[2], "qty")));
        Assert.Equal("2026-11-27T17:59:30Z", Str(u[2], "timestamp"));
        var expired = u[3].GetProperty("order");
        Assert.Equal(("expired", "0", "2026-11-27T18:00:00Z"), (Str(expired, "status"), Str(expired, "filled_qty"), Str(expired, "expired_at")));
        Assert.Equal("2026-11-27T18:00:00Z", Str(u[3], "timestamp"));
        Assert.Equal(5, h.Broker.Position("SPY")!.Qty);
        var (_, open) = await h.GetAsync("/v2/orders");
        Assert.Empty(open.EnumerateArray());
    }

    [Fact]
    public async Task Cancel_keeps_the_filled_part_and_reports_canceled()
    {
        _h.Broker.OnQuote(Call, 5.00, 5.10, bidSize: 9, askSize: 3);
        var (_, posted) = await _h.PostOrderAsync("""{"symbol":"AAPL260220C00200000","qty":"8","side":"buy","type":"limit","limit_price":"5.10","time_in_force":"day"}""");
        Assert.Equal(("partially_filled", "3"), (Str(posted, "status"), Str(posted, "filled_qty")));
        _h.Broker.OnQuote(Call, 5.05, 5.15, 9, 50); // above the limit: rests
        var (cancelStatus, _) = await _h.SendAsync(HttpMethod.Delete, $"/v2/orders/{Str(posted, "id")}");
        Assert.Equal(HttpStatusCode.NoContent, cancelStatus);
        _h.Broker.OnQuote(Call, 5.00, 5.05, 9, 50); // marketable again, but canceled

        var u = await _h.NextUpdatesAsync(3);
        Assert.Equal(["new", "partial_fill", "canceled"], u.Select(x => Str(x, "event")));
        var canceled = u[2].GetProperty("order");
        Assert.Equal(("canceled", "3"), (Str(canceled, "status"), Str(canceled, "filled_qty")));
        Assert.Equal(JsonValueKind.String, canceled.GetProperty("canceled_at").ValueKind);
        Assert.Equal(3, _h.Broker.Position(Call)!.Qty);

        var (again, error) = await _h.SendAsync(HttpMethod.Delete, $"/v2/orders/{Str(posted, "id")}");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, again);
        Assert.Contains("not cancelable", Str(error, "message"), StringComparison.Ordinal);
        var (missing, _) = await _h.SendAsync(HttpMethod.Delete, "/v2/orders/no-such-order");
        Assert.Equal(HttpStatusCode.NotFound, missing);
    }

    [Fact]
    public async Task Knobs_refuse_reject_on_the_stream_or_never_fill_per_symbol()
    {
        _h.Broker.OnQuote(Tapes.Put, 2.00, 2.05);
        _h.Broker.OnQuote("SPY", 590.00, 590.01);
        _h.Broker.OnQuote("AAPL", 200.00, 200.02);

        // --reject-symbols: 403, no order, the client_order_id stays free
        var (refused, body) = await _h.PostOrderAsync("""{"symbol":"SPY260220P00580000","qty":"1","side":"buy","type":"market","time_in_force":"day","client_order_id":"try-1"}""");
        Assert.Equal(HttpStatusCode.Forbidden, refused);
        Assert.Equal(40310000, body.GetProperty("code").GetInt32());
        Assert.Contains("reject", Str(body, "message"), StringComparison.Ordinal);
        var (_, all) = await _h.GetAsync("/v2/orders?status=all");
        Assert.Empty(all.EnumerateArray());

        // --reject-async-symbols: accepted, then rejected on the stream
        var (accepted, rejected) = await _h.PostOrderAsync("""{"symbol":"SPY","qty":"1","side":"buy","type":"market","time_in_force":"day","client_order_id":"try-1"}""");
        Assert.Equal(HttpStatusCode.OK, accepted);
        Assert.Equal("new", Str(rejected, "status")); // the rejection comes after, on the stream

        // --no-fill-symbols: accepted and left open though marketable
        var (_, resting) = await _h.PostOrderAsync("""{"symbol":"AAPL","qty":"1","side":"buy","type":"market","time_in_force":"day","client_order_id":"try-2"}""");
        _h.Broker.OnQuote("AAPL", 200.01, 200.03);
        var (_, reread) = await _h.GetAsync($"/v2/orders/{Str(resting, "id")}");
        Assert.Equal(("new", "0"), (Str(reread, "status"), Str(reread, "filled_qty")));
        Assert.Null(_h.Broker.Position("AAPL"));

        var u = await _h.NextUpdatesAsync(3);
        Assert.Equal([("new", "try-1"), ("rejected", "try-1"), ("new", "try-2")],
            u.Select(x => (Str(x, "event"), Str(x.GetProperty("order"), "client_order_id"))));
        Assert.Equal("rejected", Str(u[1].GetProperty("order"), "status"));
        var (_, after) = await _h.GetAsync($"/v2/orders/{Str(rejected, "id")}");
        Assert.Equal("rejected", Str(after, "status"));
        Assert.Equal(JsonValueKind.String, after.GetProperty("failed_at").ValueKind);
        var (_, closed) = await _h.GetAsync("/v2/orders?status=closed");
        Assert.Equal("try-1", Str(Assert.Single(closed.EnumerateArray()), "client_order_id"));
        Assert.True(await _h.QuietForAsync(200));
    }

    [Theory]
    [InlineData("""{"symbol":"NOPE","qty":"1","side":"buy","type":"market","time_in_force":"day"}""", "asset not found: NOPE")]
    [InlineData("""{"symbol":"AAPL260220C00200000","qty":"0","side":"buy","type":"market","time_in_force":"day"}""", "qty must be a positive whole number")]
    [InlineData("""{"symbol":"AAPL260220C00200000","qty":"1","side":"buy","type":"limit","time_in_force":"day"}""", "limit_price is required")]
    [InlineData("""{"order_class":"mleg","qty":"1","type":"market","time_in_force":"day","legs":[{"symbol":"SPY260220P00580000","ratio_qty":"2","side":"buy"},{"symbol":"AAPL260220C00200000","ratio_qty":"4","side":"sell"}]}""", "gcd 2")]
    [InlineData("""{"symbol":"AAPL260220C00200000","qty":"1","side":"buy","type":"market","time_in_force":"day","client_order_id":"taken"}""", "client_order_id must be unique")]
    public async Task Invalid_input_is_422_with_code_and_message(string json, string message)
    {
        _h.Broker.OnQuote(Call, 5.00, 5.10);
        var (first, _) = await _h.PostOrderAsync("""{"symbol":"AAPL260220C00200000","qty":"1","side":"buy","type":"market","time_in_force":"day","client_order_id":"taken"}""");
        Assert.Equal(HttpStatusCode.OK, first);
        var (status, body) = await _h.PostOrderAsync(json);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal(42210000, body.GetProperty("code").GetInt32());
        Assert.Contains(message, Str(body, "message"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Closing_orders_hold_their_qty_until_filled_or_canceled()
    {
        _h.Broker.SetPosition(Call, 5, 4.00m);
        _h.Broker.OnQuote(Call, 5.00, 5.10);
        var (_, resting) = await _h.PostOrderAsync("""{"symbol":"AAPL260220C00200000","qty":"3","side":"sell","type":"limit","limit_price":"9","time_in_force":"day","position_intent":"sell_to_close"}""");
        Assert.Equal("new", Str(resting, "status"));
        var (_, position) = await _h.GetAsync($"/v2/positions/{Call}");
        Assert.Equal(("5", "2"), (Str(position, "qty"), Str(position, "qty_available")));

        var (status, body) = await _h.PostOrderAsync("""{"symbol":"AAPL260220C00200000","qty":"3","side":"sell","type":"market","time_in_force":"day","position_intent":"sell_to_close"}""");
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal(40310000, body.GetProperty("code").GetInt32());
        Assert.StartsWith("insufficient qty available for order (requested: 3, available: 2)", Str(body, "message"), StringComparison.Ordinal);

        await _h.SendAsync(HttpMethod.Delete, $"/v2/orders/{Str(resting, "id")}");
        var (ok, closed) = await _h.PostOrderAsync("""{"symbol":"AAPL260220C00200000","qty":"5","side":"sell","type":"market","time_in_force":"day","position_intent":"sell_to_close"}""");
        Assert.Equal(HttpStatusCode.OK, ok);
        Assert.Equal("filled", Str(closed, "status"));
        Assert.Null(_h.Broker.Position(Call));
    }

    [Fact]
    public async Task Orders_are_listed_by_status_and_found_by_client_order_id()
    {
        _h.Broker.OnQuote(Call, 5.00, 5.10);
        var (_, filled) = await _h.PostOrderAsync("""{"symbol":"AAPL260220C00200000","qty":"1","side":"buy","type":"market","time_in_force":"day","client_order_id":"a-filled"}""");
        var (_, canceled) = await _h.PostOrderAsync("""{"symbol":"AAPL260220C00200000","qty":"1","side":"buy","type":"limit","limit_price":"1","time_in_force":"day","client_order_id":"b-canceled"}""");
        await _h.SendAsync(HttpMethod.Delete, $"/v2/orders/{Str(canceled, "id")}");
        var (_, open) = await _h.PostOrderAsync("""{"symbol":"AAPL260220C00200000","qty":"1","side":"buy","type":"limit","limit_price":"1","time_in_force":"day","client_order_id":"c-open"}""");

        async Task<List<string>> Ids(string query)
        {
            var (status, list) = await _h.GetAsync("/v2/orders" + query);
            Assert.Equal(HttpStatusCode.OK, status);
            return [.. list.EnumerateArray().Select(o => Str(o, "client_order_id"))];
        }
        Assert.Equal(["c-open"], await Ids(""));
        Assert.Equal(["c-open"], await Ids("?status=open"));
        Assert.Equal(["b-canceled", "a-filled"], await Ids("?status=closed"));
        Assert.Equal(["c-open", "b-canceled", "a-filled"], await Ids("?status=all"));
        Assert.Equal(["a-filled", "b-canceled"], await Ids("?status=all&direction=asc&limit=2"));
        Assert.Equal(["c-open", "b-canceled", "a-filled"], await Ids($"?status=all&symbols=SPY,{Call}"));
        Assert.Empty(await Ids("?status=all&symbols=SPY"));
        var (bad, error) = await _h.GetAsync("/v2/orders?status=pending");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, bad);
        Assert.Contains("status", Str(error, "message"), StringComparison.Ordinal);

        var (found, byClient) = await _h.GetAsync("/v2/orders:by_client_order_id?client_order_id=a-filled");
        Assert.Equal(HttpStatusCode.OK, found);
        Assert.Equal((Str(filled, "id"), "filled"), (Str(byClient, "id"), Str(byClient, "status")));
        var (_, stillOpen) = await _h.GetAsync("/v2/orders:by_client_order_id?client_order_id=c-open");
        Assert.Equal(Str(open, "id"), Str(stillOpen, "id"));
        var (notFound, _) = await _h.GetAsync("/v2/orders:by_client_order_id?client_order_id=never-sent");
        Assert.Equal(HttpStatusCode.NotFound, notFound);
        var (noParam, _) = await _h.GetAsync("/v2/orders:by_client_order_id");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, noParam);

        var (multi, canceledAll) = await _h.SendAsync(HttpMethod.Delete, "/v2/orders");
        Assert.Equal((HttpStatusCode)207, multi);
        Assert.Equal(Str(open, "id"), Str(Assert.Single(canceledAll.EnumerateArray()), "id"));
        Assert.Empty(await Ids(""));
    }
}
