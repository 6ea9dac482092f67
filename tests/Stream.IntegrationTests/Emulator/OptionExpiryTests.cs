using System.Net;
using System.Text.Json;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;
using Streamer.Rules.Time;
using Streamer.Stream.Emulator;

namespace Streamer.Stream.Tests.Emulator;

// held options settle at their expiration: exercised/assigned into stock or gone, never on trade_updates. The tapes start
// after 15:30 New York, so Alpaca's pin-risk liquidation of the short legs is off here (PaperBrokerPinRiskTests has it)
public sealed class OptionExpiryTests
{
    private static PaperBrokerOptions SettlementOnly() => new() { PinRiskLiquidation = false };

    private static long Utc(int h, int mi, int s) => NanoTime.FromDateTime(new DateTime(2026, 2, 20, h, mi, s, DateTimeKind.Utc));

    private static string Str(JsonElement e, string name) => e.GetProperty(name).GetString()!;

    private static EmulatorTape ExpirationDayTape(bool tickAfterClose)
    {
        // 2026-02-20 is a Friday, a regular session: options expire at 16:00 New York = 21:00 UTC
        var symbols = new SymbolTable();
        int aapl = symbols.Intern("AAPL"), call = symbols.Intern("AAPL260220C00200000");
        var ticks = new List<Tick>
        {
            Tick.Quote(Utc(20, 59, 0), aapl, 204.90, 205.10),
            Tick.Quote(Utc(20, 59, 1), call, 4.90, 5.10),
            Tick.Quote(Utc(20, 59, 59), aapl, 204.95, 205.05),
        };
        if (tickAfterClose) ticks.Add(Tick.Quote(Utc(21, 0, 5), aapl, 190.00, 190.10)); // after expiry: must not decide ITM/OTM
        return EmulatorTape.FromTicks(symbols, ticks);
    }

    private static void Seed(PaperBroker broker)
    {
        broker.SetPosition("AAPL260220C00195000", -3, 7.00m); // short call, ITM by 10: assigned, −300 AAPL at 195
        broker.SetPosition("AAPL260220C00200000", 2, 3.00m);  // long call, ITM by 5: exercised, +200 AAPL at 200
        broker.SetPosition("AAPL260220P00190000", -1, 1.00m); // short put, OTM: expires worthless
        broker.SetPosition("AAPL260320C00200000", 1, 8.00m);  // next month: stays
    }

    [Fact]
    public async Task At_expiration_ITM_contracts_become_stock_OTM_ones_vanish_and_trade_updates_stay_silent()
    {
        await using var h = await TradingHarness.StartAsync(ExpirationDayTape(tickAfterClose: true), SettlementOnly());
        Seed(h.Broker);
        await h.StartTapeAsync("AAPL");
        await h.WaitForTapeEndAsync();

        var (_, positions) = await h.GetAsync("/v2/positions");
        var held = positions.EnumerateArray().Select(p => (Str(p, "symbol"), Str(p, "qty"), Str(p, "avg_entry_price"), Str(p, "asset_class"))).ToList();
        // −300 then +200 AAPL: reducing keeps the 195 entry
        Assert.Equal([("AAPL", "-100", "195", "us_equity"), ("AAPL260320C00200000", "1", "8", "us_option")], held);

        var (status, activities) = await h.GetAsync("/v2/account/activities");
        Assert.Equal(HttpStatusCode.OK, status);
        var byType = activities.EnumerateArray().ToDictionary(a => Str(a, "symbol"), a => (Str(a, "activity_type"), Str(a, "qty"), Str(a, "date")));
        Assert.Equal(("OPASN", "-3", "2026-02-20"), byType["AAPL260220C00195000"]);
        Assert.Equal(("OPEXC", "2", "2026-02-20"), byType["AAPL260220C00200000"]);
        Assert.Equal(("OPEXP", "-1", "2026-02-20"), byType["AAPL260220P00190000"]);
        Assert.Equal(3, byType.Count);
        var (_, onlyExpired) = await h.GetAsync("/v2/account/activities/OPEXP");
        Assert.Equal("AAPL260220P00190000", Str(Assert.Single(onlyExpired.EnumerateArray()), "symbol"));

        // alpaca.md: assignments and exercises are not on trade_updates; the next update is the next order's
        Assert.True(await h.QuietForAsync(300));
        await h.PostOrderAsync("""{"symbol":"AAPL","qty":"100","side":"buy","type":"market","time_in_force":"day","position_intent":"buy_to_close"}""");
        var next = await h.NextUpdateAsync();
        Assert.Equal(("new", "AAPL"), (Str(next, "event"), Str(next.GetProperty("order"), "symbol")));
    }

    [Fact]
    public async Task In_real_time_the_clock_settles_expirations_after_the_tape_has_ended()
    {
        // the tape ends a second before the close; at 600× the market clock passes 21:00 UTC shortly after
        await using var h = await TradingHarness.StartAsync(ExpirationDayTape(tickAfterClose: false), SettlementOnly(), speed: 600);
        Seed(h.Broker);
        await h.StartTapeAsync("AAPL");
        await h.WaitForTapeEndAsync();
        for (int i = 0; i < 500 && h.Broker.Position("AAPL") is null; i++) await Task.Delay(10);
        Assert.Equal(-100, h.Broker.Position("AAPL")?.Qty);
        Assert.Null(h.Broker.Position("AAPL260220C00200000"));
        Assert.Equal(2, h.Broker.Positions().Count);
    }
}
