using Streamer.Stream.Alpaca.Trading;
namespace Streamer.Stream.Tests.Trading;

public sealed class BrokenPositionDetectorTests
{
    private const string Short = "SPY260121P00580000";
    private const string Long = "SPY260121P00575000";
    private static readonly HashSet<string> None = [];

    private static BrokerPosition Held(string symbol, decimal qty, decimal avg = 1m) =>
        new(symbol, symbol.Length > 10 ? "us_option" : "us_equity", qty, qty > 0 ? "long" : "short", avg, null, null, null, null);

    private static MonitoredLeg[] Spread(long pendingShort = 0) =>
        [new("P", Short, -2, 2.10, pendingShort, 2), new("P", Long, 2, 0.90, 0, 2)];

    [Fact]
    public void A_short_leg_closed_alone_is_a_broken_spread_acted_on_at_the_second_sighting_and_claimed_meanwhile()
    {
        var detector = new BrokenPositionDetector();
        var (first, claimed) = detector.Plan([Held(Long, 2)], Spread(pendingShort: 2), None);
        Assert.Empty(first);
        Assert.Equal([Long, Short], claimed.Order(StringComparer.Ordinal));
        var (second, _) = detector.Plan([Held(Long, 2)], Spread(pendingShort: 2), None);
        var b = Assert.Single(second);
        Assert.False(b.IsAssignment);
        var gone = Assert.Single(b.Legs, l => l.Changed);
        Assert.Equal((Short, -2L, 2L, 0L, 0L), (gone.Symbol, gone.MonitoredQty, gone.Pending, gone.BrokerQty, gone.Unexplained));
    }

    [Fact]
    public void Shares_of_the_root_matching_the_gone_short_put_are_an_assignment()
    {
        var detector = new BrokenPositionDetector();
        BrokerPosition[] broker = [Held(Long, 2), Held("SPY", 200, 580m)];
        detector.Plan(broker, Spread(), None);
        var b = Assert.Single(detector.Plan(broker, Spread(), None).Broken);
        Assert.True(b.IsAssignment);
        Assert.Equal([("SPY", 200L, 580m)], b.Stock);
        Assert.True(Assert.Single(b.Legs, l => l.Changed).Assigned);
    }

    [Fact]
    public void Shares_that_do_not_match_leave_a_broken_spread_and_the_shares_to_the_planner()
    {
        var detector = new BrokenPositionDetector();
        BrokerPosition[] broker = [Held(Long, 2), Held("SPY", 150)];
        detector.Plan(broker, Spread(), None);
        var (broken, claimed) = detector.Plan(broker, Spread(), None);
        Assert.False(Assert.Single(broken).IsAssignment);
        Assert.DoesNotContain("SPY", claimed);
    }

    [Fact]
    public void Busy_grown_shared_or_single_leg_changes_are_left_to_the_planner()
    {
        var detector = new BrokenPositionDetector();
        for (int pass = 0; pass < 2; pass++)
        {
            Assert.Empty(detector.Plan([Held(Long, 2)], Spread(), new HashSet<string> { Short }).Broken); // an order is working
            Assert.Empty(detector.Plan([Held(Long, 3), Held(Short, -2)], Spread(), None).Broken);         // grown: an adoption
            Assert.Empty(detector.Plan([Held(Long, 2)], [.. Spread(), new("Q", Short, -1, 2.0, 0, 1)], None).Broken); // two holders
            Assert.Empty(detector.Plan([], [new("S", Short, -2, 2.10, 0, 1)], None).Broken);              // one leg gone: a close-out
        }
    }

    [Fact]
    public void A_single_short_put_assigned_is_an_assignment_too()
    {
        var detector = new BrokenPositionDetector();
        MonitoredLeg[] single = [new("S", Short, -1, 2.10, 0, 1)];
        detector.Plan([Held("SPY", 100, 580m)], single, None);
        var b = Assert.Single(detector.Plan([Held("SPY", 100, 580m)], single, None).Broken);
        Assert.Equal([("SPY", 100L, 580m)], b.Stock);
    }

    private const string CoveredCall = "AAPL260121C00200000";

    private static MonitoredLeg[] Covered(long shares = 200, long calls = -2) =>
        [new("CC", "AAPL", shares, 190.00, 0, 2), new("CC", CoveredCall, calls, 3.00, 0, 2)];

    [Fact]
    public void A_covered_call_assigned_delivers_the_positions_own_shares_at_the_strike()
    {
        var detector = new BrokenPositionDetector();
        detector.Plan([], Covered(), None); // both calls assigned: the 200 shares called away, nothing left
        var b = Assert.Single(detector.Plan([], Covered(), None).Broken);
        Assert.True(b.IsAssignment);
        Assert.Empty(b.Stock); // no shares appeared: the position's own went
        var stock = Assert.Single(b.Legs, l => l.Symbol == "AAPL");
        Assert.Equal((200L, 0L, 200.0), (stock.MonitoredQty, stock.BrokerQty, stock.DeliveredAt));
        Assert.True(Assert.Single(b.Legs, l => l.Symbol == CoveredCall).Assigned);
    }

    [Fact]
    public void One_of_two_covered_calls_assigned_leaves_the_rest_and_shares_that_do_not_match_are_a_broken_spread()
    {
        var detector = new BrokenPositionDetector();
        BrokerPosition[] half = [Held("AAPL", 100, 190m), Held(CoveredCall, -1, 3m)];
        detector.Plan(half, Covered(), None);
        var b = Assert.Single(detector.Plan(half, Covered(), None).Broken);
        Assert.True(b.IsAssignment);
        Assert.Equal((100L, 200.0), (b.Legs.Single(l => l.Symbol == "AAPL").BrokerQty, b.Legs.Single(l => l.Symbol == "AAPL").DeliveredAt));

        // 150 shares gone with one call: not what an assignment does; no delivery price is made up
        var other = new BrokenPositionDetector();
        BrokerPosition[] odd = [Held("AAPL", 50, 190m), Held(CoveredCall, -1, 3m)];
        other.Plan(odd, Covered(), None);
        var broken = Assert.Single(other.Plan(odd, Covered(), None).Broken);
        Assert.False(broken.IsAssignment);
        Assert.All(broken.Legs, l => Assert.Null(l.DeliveredAt));
    }
}
