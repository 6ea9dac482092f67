using Streamer.Stream.Alpaca.MarketData;
using Streamer.Stream.Alpaca.Trading;
namespace Streamer.Stream.Tests.Trading;

public sealed class ReconcilePlannerTests
{
    private static readonly HashSet<string> None = [];

    private static BrokerPosition Held(string symbol, decimal qty, decimal avg = 10m) =>
        new(symbol, symbol.Length > 10 ? "us_option" : "us_equity", qty, qty > 0 ? "long" : "short", avg, null, null, null, null);

    private static MonitoredLeg Leg(string position, string symbol, long qty) => new(position, symbol, qty, 1.0);

    [Fact]
    public void Equal_books_do_nothing()
    {
        var plan = new ReconcilePlanner().Plan([Held("AAPL", 100), Held("SPYP", -2)], [Leg("A-1", "AAPL", 60), Leg("A-2", "AAPL", 40), Leg("S-1", "SPYP", -2)], None, firstPass: true);
        Assert.Empty(plan.Adopt);
        Assert.Empty(plan.CloseOut);
        Assert.Empty(plan.Waiting);
    }

    [Fact]
    public void At_start_an_unmonitored_quantity_is_adopted_at_once_later_only_when_seen_twice()
    {
        var planner = new ReconcilePlanner();
        var first = planner.Plan([Held("MSFT", 50, 400m)], [], None, firstPass: true);
        var adopt = Assert.Single(first.Adopt);
        Assert.Equal(("MSFT", 50L, 400m, 50m, 0m), (adopt.Symbol, adopt.Qty, adopt.AvgEntryPrice, adopt.BrokerQty, adopt.MonitoredQty));

        // later: the broker holds 30 more than monitored; the first sighting waits, the same again is adopted
        var second = planner.Plan([Held("AAPL", 130)], [Leg("A-1", "AAPL", 100)], None, firstPass: false);
        Assert.Empty(second.Adopt);
        Assert.Equal(["AAPL"], second.Waiting);
        var third = planner.Plan([Held("AAPL", 130)], [Leg("A-1", "AAPL", 100)], None, firstPass: false);
        Assert.Equal(("AAPL", 30L), (Assert.Single(third.Adopt).Symbol, third.Adopt[0].Qty));
    }

    [Fact]
    public void A_difference_that_changes_between_passes_starts_over()
    {
        var planner = new ReconcilePlanner();
        planner.Plan([Held("AAPL", 130)], [Leg("A-1", "AAPL", 100)], None, firstPass: false);
        // an order filled in between: the engine caught up, the difference is another one
        var next = planner.Plan([Held("AAPL", 150)], [Leg("A-1", "AAPL", 130)], None, firstPass: false);
        Assert.Empty(next.Adopt);
        Assert.Equal(["AAPL"], next.Waiting);
        // and a difference that went away is forgotten
        planner.Plan([Held("AAPL", 150)], [Leg("A-1", "AAPL", 150)], None, firstPass: false);
        Assert.Empty(planner.Plan([Held("AAPL", 170)], [Leg("A-1", "AAPL", 150)], None, firstPass: false).Adopt);
    }

    [Fact]
    public void A_monitored_position_the_broker_does_not_hold_is_closed_out_after_two_passes_never_at_once()
    {
        var planner = new ReconcilePlanner();
        var first = planner.Plan([], [Leg("TSLA-1", "TSLA", 10)], None, firstPass: true);
        Assert.Empty(first.CloseOut); // even at start: a close-out needs a second look
        Assert.Equal(["TSLA"], first.Waiting);
        var second = planner.Plan([], [Leg("TSLA-1", "TSLA", 10)], None, firstPass: false);
        var close = Assert.Single(second.CloseOut);
        Assert.Equal(("TSLA", 0m, 10m), (close.Symbol, close.BrokerQty, close.MonitoredQty));
        Assert.Equal(["TSLA-1"], close.PositionIds);
    }

    [Fact]
    public void When_the_broker_holds_less_positions_are_closed_out_until_the_rest_fits()
    {
        var planner = new ReconcilePlanner();
        BrokerPosition[] broker = [Held("AAPL", 60)];
        MonitoredLeg[] legs = [Leg("A-1", "AAPL", 50), Leg("A-2", "AAPL", 30), Leg("A-3", "AAPL", 20)];
        planner.Plan(broker, legs, None, firstPass: false);
        var close = Assert.Single(planner.Plan(broker, legs, None, firstPass: false).CloseOut);
        // highest id first: A-3 (20) leaves 80 > 60, A-2 (30) leaves 50 ≤ 60; the 10 the broker holds beyond A-1 is adopted on a later pass
        Assert.Equal(["A-3", "A-2"], close.PositionIds);
    }

    [Fact]
    public void The_broker_on_the_other_side_closes_out_every_holder()
    {
        var planner = new ReconcilePlanner();
        BrokerPosition[] broker = [Held("SPYP", 2)];
        MonitoredLeg[] legs = [Leg("S-1", "SPYP", -2), Leg("S-2", "SPYP", -1)];
        planner.Plan(broker, legs, None, firstPass: false);
        Assert.Equal(["S-2", "S-1"], Assert.Single(planner.Plan(broker, legs, None, firstPass: false).CloseOut).PositionIds);
    }

    [Fact]
    public void Symbols_with_orders_or_exits_in_flight_are_left_alone()
    {
        var planner = new ReconcilePlanner();
        HashSet<string> busy = ["AAPL", "TSLA"];
        for (int pass = 0; pass < 3; pass++)
        {
            var plan = planner.Plan([Held("AAPL", 100), Held("MSFT", 5)], [Leg("T-1", "TSLA", 10)], busy, firstPass: pass == 0);
            Assert.Equal(["AAPL", "TSLA"], plan.Skipped);
            Assert.Empty(plan.CloseOut);
            Assert.All(plan.Adopt, a => Assert.Equal("MSFT", a.Symbol));
        }
        // once not busy, a first sighting (not at start) waits again
        var after = planner.Plan([Held("AAPL", 100)], [], None, firstPass: false);
        Assert.Empty(after.Adopt);
        Assert.Equal(["AAPL"], after.Waiting);
    }

    [Fact]
    public void A_fractional_difference_is_reported_not_adopted()
    {
        var plan = new ReconcilePlanner().Plan([Held("AAPL", 10.5m)], [Leg("A-1", "AAPL", 10)], None, firstPass: true);
        Assert.Empty(plan.Adopt);
        Assert.Contains("not whole", Assert.Single(plan.Unfixable), StringComparison.Ordinal);
    }
}
