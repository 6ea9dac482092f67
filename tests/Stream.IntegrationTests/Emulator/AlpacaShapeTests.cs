using System.Net;
using System.Text.Json;
using Streamer.Stream.Emulator;

namespace Streamer.Stream.Tests.Emulator;

// The emulator's answers in Alpaca's shapes (issue 12): quantities by value, full mleg legs,
// close-all, clock, calendar, assets, buying power, market-data REST. tests/Stream.EndToEndTests
// SdkClientTests drive the same through Alpaca's own Node SDK.
public sealed class AlpacaShapeTests : IAsyncLifetime
{
    private const string Call = Tapes.Call;
    private const string Put = Tapes.Put;
    private TradingHarness _h = null!;

    public async Task InitializeAsync()
    {
        _h = await TradingHarness.StartAsync(Tapes.Mixed(5), new PaperBrokerOptions());
        _h.Broker.OnQuote(Call, 5.00, 5.10);
        _h.Broker.OnQuote(Put, 2.00, 2.05);
        _h.Broker.OnQuote("AAPL", 200.00, 200.02);
    }

    public async Task DisposeAsync() => await _h.DisposeAsync();

    private static string Str(JsonElement e, string name) => e.GetProperty(name).GetString()!;

    [Theory]
    [InlineData("1.0", "1")]
    [InlineData("\"2.000\"", "2")]
    [InlineData("3", "3")]
    [InlineData("\"4\"", "4")]
    [InlineData("5e0", "5")]
    public async Task A_quantity_is_read_by_value_whatever_its_spelling(string qty, string expected)
    {
        var (status, order) = await _h.PostOrderAsync($$"""{"symbol":"{{Call}}","qty":{{qty}},"side":"buy","type":"market","time_in_force":"day"}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal((expected, "filled", "buy_to_open"), (Str(order, "qty"), Str(order, "status"), Str(order, "position_intent")));
    }

    [Theory]
    [InlineData("1.5", "qty must be a whole number")]
    [InlineData("\"0.0\"", "qty must be a positive whole number")]
    [InlineData("-1", "qty must be a positive whole number")]
    [InlineData("\"one\"", "qty must be a number")]
    [InlineData("true", "qty must be a number")]
    public async Task A_fractional_or_non_positive_quantity_is_422(string qty, string message)
    {
        var (status, body) = await _h.PostOrderAsync($$"""{"symbol":"{{Call}}","qty":{{qty}},"side":"buy","type":"market","time_in_force":"day"}""");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal(42210000, body.GetProperty("code").GetInt32());
        Assert.StartsWith(message, Str(body, "message"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_mleg_leg_is_a_full_order_object()
    {
        var (status, order) = await _h.PostOrderAsync($$"""
            {"order_class":"mleg","qty":"2.0","type":"limit","limit_price":"3.10","time_in_force":"day","client_order_id":"spread-1",
             "legs":[{"symbol":"{{Call}}","ratio_qty":"1.0","side":"buy","position_intent":"buy_to_open"},
                     {"symbol":"{{Put}}","ratio_qty":1,"side":"sell","position_intent":"sell_to_open"}]}
            """);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(("mleg", "filled", "", "", "", "3.1"), (Str(order, "order_class"), Str(order, "status"), Str(order, "symbol"), Str(order, "side"), Str(order, "position_intent"), Str(order, "limit_price")));
        var parentKeys = order.EnumerateObject().Select(p => p.Name).ToHashSet();
        var legs = order.GetProperty("legs").EnumerateArray().ToList();
        Assert.Equal(2, legs.Count);
        foreach (var leg in legs)
        {
            // everything the parent order carries, plus the leg's ratio
            Assert.Subset(leg.EnumerateObject().Select(p => p.Name).ToHashSet(), parentKeys);
            Assert.Equal(("mleg", "day", "limit", "filled", "2", "1"), (Str(leg, "order_class"), Str(leg, "time_in_force"), Str(leg, "type"), Str(leg, "status"), Str(leg, "filled_qty"), Str(leg, "ratio_qty")));
            Assert.Equal(JsonValueKind.Null, leg.GetProperty("legs").ValueKind);
            Assert.Equal(JsonValueKind.False, leg.GetProperty("extended_hours").ValueKind);
            Assert.Equal(Str(order, "created_at"), Str(leg, "created_at"));
            Assert.True(Guid.TryParse(Str(leg, "client_order_id"), out _));
        }
        Assert.Equal([(Call, "buy", "5.1"), (Put, "sell", "2")], legs.Select(l => (Str(l, "symbol"), Str(l, "side"), Str(l, "filled_avg_price"))));
        Assert.Equal(4, new[] { Str(order, "id"), Str(legs[0], "id"), Str(legs[1], "id"), Str(legs[0], "client_order_id") }.Distinct().Count());
        var (_, listed) = await _h.GetAsync("/v2/orders?status=all");
        Assert.Equal(2, Assert.Single(listed.EnumerateArray()).GetProperty("legs").GetArrayLength());
    }

    [Fact]
    public async Task Close_all_answers_207_per_position_and_flattens_the_account()
    {
        _h.Broker.SetPosition(Call, 3, 4.00m);
        _h.Broker.SetPosition(Put, -2, 1.50m);
        var (status, body) = await _h.SendAsync(HttpMethod.Delete, "/v2/positions?cancel_orders=true");
        Assert.Equal((HttpStatusCode)207, status);
        Assert.Equal([(Call, 200, "sell", "3", "sell_to_close"), (Put, 200, "buy", "2", "buy_to_close")],
            body.EnumerateArray().Select(r => (Str(r, "symbol"), r.GetProperty("status").GetInt32(), Str(r.GetProperty("body"), "side"), Str(r.GetProperty("body"), "qty"), Str(r.GetProperty("body"), "position_intent"))));
        Assert.All(body.EnumerateArray(), r => Assert.Equal(Str(r, "order_id"), Str(r.GetProperty("body"), "id")));
        var (_, positions) = await _h.GetAsync("/v2/positions");
        Assert.Equal(0, positions.GetArrayLength());
    }

    [Fact]
    public async Task The_clock_and_calendar_come_from_the_NYSE_calendar_on_the_market_clock()
    {
        // the tape starts 2026-01-21T15:00:00Z, 10:00 in New York
        var (_, clock) = await _h.GetAsync("/v2/clock");
        Assert.Equal(("2026-01-21T10:00:00-05:00", "2026-01-22T09:30:00-05:00", "2026-01-21T16:00:00-05:00"), (Str(clock, "timestamp"), Str(clock, "next_open"), Str(clock, "next_close")));
        Assert.True(clock.GetProperty("is_open").GetBoolean());

        var (status, days) = await _h.GetAsync("/v2/calendar?start=2026-11-24&end=2026-11-30");
        Assert.Equal(HttpStatusCode.OK, status);
        // Thanksgiving (the 26th) closed, the day after closes at 13:00; settlement the next trading day
        Assert.Equal([("2026-11-24", "16:00", "2026-11-25"), ("2026-11-25", "16:00", "2026-11-27"), ("2026-11-27", "13:00", "2026-11-30"), ("2026-11-30", "16:00", "2026-12-01")],
            days.EnumerateArray().Select(d => (Str(d, "date"), Str(d, "close"), Str(d, "settlement_date"))));
        Assert.Equal("1700", Str(days[2], "session_close"));
        var (bad, error) = await _h.GetAsync("/v2/calendar?start=tomorrow");
        Assert.Equal((HttpStatusCode.UnprocessableEntity, 42210000), (bad, error.GetProperty("code").GetInt32()));
    }

    [Fact]
    public async Task Assets_and_contracts_are_the_tapes_symbols()
    {
        var (_, assets) = await _h.GetAsync("/v2/assets?asset_class=us_equity");
        Assert.Equal(["AAPL", "SPY"], assets.EnumerateArray().Select(a => Str(a, "symbol")));
        var (status, missing) = await _h.GetAsync("/v2/assets/MSFT");
        Assert.Equal((HttpStatusCode.NotFound, 40410000), (status, missing.GetProperty("code").GetInt32()));
        // no expiration filter: only contracts expiring by the coming weekend (none on this tape)
        var (_, none) = await _h.GetAsync("/v2/options/contracts");
        Assert.Equal(0, none.GetProperty("option_contracts").GetArrayLength());
        var (_, puts) = await _h.GetAsync("/v2/options/contracts?expiration_date=2026-02-20&type=put");
        var put = Assert.Single(puts.GetProperty("option_contracts").EnumerateArray());
        Assert.Equal((Put, "SPY", "580", "put"), (Str(put, "symbol"), Str(put, "underlying_symbol"), Str(put, "strike_price"), Str(put, "type")));
    }

    [Fact]
    public async Task An_opening_debit_beyond_buying_power_is_403_and_a_close_never_is()
    {
        // 2000 contracts at the 5.10 ask: 1,020,000 against 100,000 of options buying power
        var (status, body) = await _h.PostOrderAsync($$"""{"symbol":"{{Call}}","qty":"2000","side":"buy","type":"market","time_in_force":"day"}""");
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal(40310000, body.GetProperty("code").GetInt32());
        Assert.StartsWith("insufficient buying power (required: 1020000", Str(body, "message"), StringComparison.Ordinal);
        var (limited, _) = await _h.PostOrderAsync($$"""{"symbol":"{{Call}}","qty":"300","side":"buy","type":"limit","limit_price":"4","time_in_force":"day"}""");
        Assert.Equal(HttpStatusCode.Forbidden, limited); // 300 × 4 × 100 = 120,000

        _h.Broker.SetPosition(Call, -2000, 5.00m);
        var (closing, _) = await _h.PostOrderAsync($$"""{"symbol":"{{Call}}","qty":"2000","side":"buy","type":"market","time_in_force":"day","position_intent":"buy_to_close"}""");
        Assert.Equal(HttpStatusCode.OK, closing);
        var (_, account) = await _h.GetAsync("/v2/account");
        Assert.Equal("-920000", Str(account, "cash")); // the close's cost came out of cash
    }

    [Fact]
    public async Task Market_data_rest_before_the_clock_starts_serves_the_tapes_first_instant()
    {
        var (status, latest) = await _h.GetAsync("/v2/stocks/quotes/latest?symbols=AAPL,SPY,MSFT");
        Assert.Equal(HttpStatusCode.OK, status);
        var quotes = latest.GetProperty("quotes");
        Assert.Equal(["AAPL", "SPY"], quotes.EnumerateObject().Select(p => p.Name)); // nothing for MSFT
        Assert.Equal(("2026-01-21T15:00:00Z", 200.0, 200.02), (Str(quotes.GetProperty("AAPL"), "t"), quotes.GetProperty("AAPL").GetProperty("bp").GetDouble(), quotes.GetProperty("AAPL").GetProperty("ap").GetDouble()));
        var (_, trades) = await _h.GetAsync("/v2/stocks/AAPL/trades?start=2026-01-21");
        Assert.Equal(0, trades.GetProperty("trades").GetArrayLength()); // the first trade is 1 ns after the first quote: not yet
        var (_, option) = await _h.GetAsync($"/v1beta1/options/quotes/latest?symbols={Call}");
        Assert.Empty(option.GetProperty("quotes").EnumerateObject()); // its first quote is 2 ns later
        var (missing, error) = await _h.GetAsync("/v2/stocks/quotes/latest");
        Assert.Equal((HttpStatusCode.BadRequest, 40010001), (missing, error.GetProperty("code").GetInt32()));
    }

    [Theory]
    [InlineData("/v2/watchlists")]
    [InlineData("/v2/corporate_actions/announcements")]
    [InlineData("/v3/watchlists")]
    public async Task A_path_not_served_is_alpacas_json_404(string path)
    {
        var (status, body) = await _h.GetAsync(path);
        Assert.Equal((HttpStatusCode.NotFound, 40410000), (status, body.GetProperty("code").GetInt32()));
        Assert.EndsWith("is not served by the emulator", Str(body, "message"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stream_path_over_plain_http_stays_400()
    {
        using var response = await _h.Http.GetAsync(new Uri("/v2/iex", UriKind.Relative));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}
