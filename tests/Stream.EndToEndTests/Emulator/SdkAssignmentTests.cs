using System.Globalization;
using System.Text.Json;
using static Streamer.Stream.Tests.Emulator.SdkClients;

namespace Streamer.Stream.Tests.Emulator;

/// <summary>
/// <c>streamer emulate --assign SYMBOL@TIME</c> and the 15:30 ET pin-risk liquidation as Alpaca's official Node SDK
/// sees them (tests/clients/assignment.js): positions change, an <c>OPASN</c> activity, the broker's own simple
/// <c>buy_to_close</c> order for the short leg alone; every body in Alpaca's wire shapes.
/// </summary>
public sealed class SdkAssignmentTests
{
    private const string ShortPut = "SPY260121P00580000"; // assigned early
    private const string LongPut = "SPY260121P00575000";
    private const string PinShort = "SPY260121P00590000"; // liquidated at 15:30
    private const string PinLong = "SPY260121P00585000";

    /// <summary>Expiration day 2026-01-21 from 15:29:30 ET (20:29:30Z): a minute of quotes every 100 ms.</summary>
    private static readonly DateTime T0 = new(2026, 1, 21, 20, 29, 30, DateTimeKind.Utc);

    private static IEnumerable<string> Tape()
    {
        for (int i = 0; i < 600; i++)
        {
            string at = T0.AddMilliseconds(i * 100).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
            yield return $"{at},SPY,581.00,581.02,581.01";
            yield return $"{at},{ShortPut},2.30,2.40,";
            yield return $"{at},{LongPut},0.80,0.90,";
            yield return $"{at},{PinShort},9.20,9.40,";
            yield return $"{at},{PinLong},4.50,4.70,";
        }
    }

    [Fact]
    public async Task Sdk_sees_an_assignment_in_positions_and_activities_and_the_pin_risk_liquidation_as_the_brokers_order()
    {
        var tape = WriteTape(Tape());
        var (emulator, port) = await StartEmulatorAsync(tape, "--speed", "1", "--assign", $"{ShortPut}@2026-01-21T20:29:45Z");
        try
        {
            var r = await RunAsync("assignment.js", port, new Dictionary<string, string>
            {
                ["STOCK"] = "SPY", ["SHORT_PUT"] = ShortPut, ["LONG_PUT"] = LongPut, ["PIN_SHORT"] = PinShort, ["PIN_LONG"] = PinLong,
            }, TimeSpan.FromSeconds(90));

            // opened: both spreads, filled at the tape's quotes
            Assert.Equal(
                [(LongPut, "2"), (ShortPut, "-2"), (PinLong, "1"), (PinShort, "-1")],
                r.GetProperty("opened").EnumerateArray().Select(p => (Str(p, "symbol"), Str(p, "qty"))).OrderBy(p => p.Item1, StringComparer.Ordinal));

            // after: 200 SPY bought at the strike in place of the assigned put; the liquidated short put gone; the long legs orphaned
            var positions = r.GetProperty("positions").EnumerateArray().ToDictionary(p => Str(p, "symbol"));
            Assert.Equal(["SPY", LongPut, PinLong], positions.Keys.Order(StringComparer.Ordinal));
            Assert.Equal(("200", "long", "580", "us_equity"), (Str(positions["SPY"], "qty"), Str(positions["SPY"], "side"), Str(positions["SPY"], "avg_entry_price"), Str(positions["SPY"], "asset_class")));
            Assert.Equal("2", Str(positions[LongPut], "qty"));
            Assert.Equal("1", Str(positions[PinLong], "qty"));

            // the assignment is an activity, OPASN, for the option: qty −2 at the strike, 200 × 580 paid
            var assignment = Assert.Single(r.GetProperty("assignments").EnumerateArray());
            Assert.Equal(("OPASN", ShortPut, "-2", "580", "-116000"), (Str(assignment, "activity_type"), Str(assignment, "symbol"), Str(assignment, "qty"), Str(assignment, "price"), Str(assignment, "net_amount")));
            Assert.Equal(1, r.GetProperty("assignmentsParsed").GetInt32());
            var activities = r.GetProperty("activities").EnumerateArray().ToList();
            Assert.Single(activities, a => Str(a, "activity_type") == "OPASN");
            Assert.DoesNotContain(activities, a => Str(a, "activity_type") is "OPEXC" or "OPEXP");

            // the risk desk's order: simple, market, buy_to_close of the short leg alone, filled at the ask; a FILL activity of it
            var orders = r.GetProperty("orders").EnumerateArray().ToList();
            Assert.Equal(3, orders.Count);
            var liquidation = Assert.Single(orders, o => Str(o, "client_order_id").StartsWith("liquidation-", StringComparison.Ordinal));
            Assert.Equal(("simple", PinShort, "buy", "buy_to_close", "market", "filled", "1", "1", "9.4"),
                (Str(liquidation, "order_class"), Str(liquidation, "symbol"), Str(liquidation, "side"), Str(liquidation, "position_intent"), Str(liquidation, "type"),
                 Str(liquidation, "status"), Str(liquidation, "qty"), Str(liquidation, "filled_qty"), Str(liquidation, "filled_avg_price")));
            Assert.Single(activities, a => Str(a, "activity_type") == "FILL" && a.GetProperty("order_id").GetString() == Str(liquidation, "id"));

            // trade_updates: the liquidation is there (new, fill); the assignment is not (no update after the two spreads' but the liquidation's)
            var updates = r.GetProperty("updates").EnumerateArray().Select(u => (Event: Str(u, "event"), Client: Str(u, "client_order_id"))).ToList();
            Assert.Equal(["new", "fill"], updates.Where(u => u.Client == Str(liquidation, "client_order_id")).Select(u => u.Event));
            Assert.All(updates, u => Assert.True(u.Client is "sdk-assigned" or "sdk-pinned" || u.Client == Str(liquidation, "client_order_id"), u.Client));
        }
        finally
        {
            await StopAsync(emulator);
            File.Delete(tape);
        }
    }
}
