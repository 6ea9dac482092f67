using Streamer.Rules.Time;
using Streamer.Stream.Emulator;

namespace Streamer.Stream.Tests.Emulator;

// Alpaca's 15:30 ET pin-risk liquidation of expiring short legs, and forced assignments/exercises (--assign)
public sealed class PaperBrokerPinRiskTests
{
    private const string Short = "SPY260121P00580000";
    private const string Long = "SPY260121P00575000";
    private const string Later = "SPY260123P00580000";
    private long _now = Utc(20, 0);
    private readonly List<PaperTradeUpdate> _updates = [];

    private static long Utc(int h, int mi, int s = 0) => NanoTime.FromDateTime(new DateTime(2026, 1, 21, h, mi, s, DateTimeKind.Utc));

    private PaperBroker Broker(PaperBrokerOptions options)
    {
        var broker = new PaperBroker(() => _now, options);
        broker.Update += _updates.Add;
        broker.OnQuote("SPY", 581.00, 581.02);
        broker.OnQuote(Short, 2.30, 2.40);
        broker.OnQuote(Long, 0.80, 0.90);
        broker.OnQuote(Later, 2.50, 2.60);
        broker.SetPosition(Short, -2, 2.10m);
        broker.SetPosition(Long, 2, 0.90m);
        broker.SetPosition(Later, -1, 2.00m);
        return broker;
    }

    [Fact]
    public void At_1530_on_expiration_day_the_short_leg_alone_is_bought_back_by_the_brokers_own_order()
    {
        var broker = Broker(new PaperBrokerOptions());
        broker.AdvanceTo(Utc(20, 29, 59)); // 15:29:59 New York
        Assert.Empty(broker.Orders());
        broker.AdvanceTo(Utc(20, 30));
        var order = Assert.Single(broker.Orders());
        Assert.StartsWith("liquidation-", order.ClientOrderId, StringComparison.Ordinal);
        Assert.Equal(("simple", "market", "filled", 2L, 2.40m), (order.OrderClass, order.Type, order.Status, order.FilledQty, order.FilledAvgPrice));
        Assert.Equal((Short, "buy", "buy_to_close"), (order.Legs[0].Symbol, order.Legs[0].Side, order.Legs[0].PositionIntent));
        Assert.Equal(["new", "fill"], _updates.Select(u => u.Event));
        // the long leg and a short expiring another day stay; the liquidation comes once
        Assert.Equal([(Long, 2L), (Later, -1L)], broker.Positions().Select(p => (p.Symbol, p.Qty)).OrderBy(p => p.Symbol, StringComparer.Ordinal));
        broker.AdvanceTo(Utc(20, 45));
        Assert.Single(broker.Orders());
        Assert.Single(broker.Activities(), a => a.ActivityType == "FILL" && a.Symbol == Short);
    }

    [Fact]
    public void Without_pin_risk_liquidation_the_short_leg_runs_into_the_1600_settlement()
    {
        var broker = Broker(new PaperBrokerOptions { PinRiskLiquidation = false });
        broker.AdvanceTo(Utc(20, 45));
        Assert.Empty(broker.Orders());
        broker.AdvanceTo(Utc(21, 0));
        // 581 against the 580 put: out of the money, expired worthless like the long 575
        Assert.Equal(2, broker.Activities().Count(a => a.ActivityType == "OPEXP"));
    }

    [Fact]
    public void A_forced_assignment_turns_the_short_put_into_shares_at_the_strike_and_an_exercise_the_long_one()
    {
        var broker = Broker(new PaperBrokerOptions
        {
            Assignments = [ForcedAssignment.Parse($"{Short}@2026-01-21T20:10:00Z"), ForcedAssignment.Parse($"{Long}@2026-01-21T20:20:00Z")],
        });
        broker.AdvanceTo(Utc(20, 9, 59));
        Assert.Null(broker.Position("SPY"));
        broker.AdvanceTo(Utc(20, 10));
        Assert.Null(broker.Position(Short));
        Assert.Equal((200L, 580m), (broker.Position("SPY")!.Qty, broker.Position("SPY")!.AvgEntryPrice));
        var assigned = Assert.Single(broker.Activities(), a => a.ActivityType == "OPASN");
        Assert.Equal((Short, -2L, 580m, -116000m), (assigned.Symbol, assigned.Qty, assigned.Price, assigned.NetAmount));
        broker.AdvanceTo(Utc(20, 20));
        // the long put exercised: 200 shares sold at 575
        Assert.Null(broker.Position("SPY"));
        Assert.Single(broker.Activities(), a => a.ActivityType == "OPEXC" && a.Symbol == Long && a.Qty == 2);
        Assert.Empty(_updates); // never on trade_updates
        Assert.Empty(broker.Orders()); // and nothing short of today's is left for the risk desk
        broker.AdvanceTo(Utc(20, 30));
        Assert.Empty(broker.Orders());
    }

    [Theory]
    [InlineData("SPY", "not an OCC option symbol")]
    [InlineData("SPY260121P00580000", "expected SYMBOL@TIME")]
    [InlineData("SPY260121P00580000@yesterday", "not an RFC 3339 time")]
    public void A_bad_assign_argument_says_what_is_wrong(string text, string expected)
    {
        var e = Assert.Throws<FormatException>(() => ForcedAssignment.Parse(text.Contains('@', StringComparison.Ordinal) || text.Length > 3 ? text : text + "@2026-01-21T20:10:00Z"));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }
}
