using Streamer.Stream.Service.Gateway;

namespace Streamer.Stream.Tests.Gateway;

/// <summary>The gateway's reference count: leases per (engine, underlying), the grace, expiry, full and partial messages.</summary>
public sealed class DemandTableTests
{
    private static DemandMessage D(string engine, int leaseMs, bool full, params (string U, string[] S)[] u) =>
        new(engine, leaseMs, full, u.ToDictionary(p => p.U, p => p.S));

    [Fact]
    public void A_symbol_is_subscribed_once_for_all_its_engines_and_leaves_after_the_last_one_and_the_grace()
    {
        var t = new DemandTable(TimeSpan.FromMilliseconds(500));
        Assert.Equal(["SPY"], t.Apply(D("a", 10_000, true, ("SPY", ["SPY"])), 0));
        Assert.Empty(t.Apply(D("b", 10_000, true, ("SPY", ["SPY"])), 0)); // already upstream
        Assert.Equal(2, t.HoldersOf("SPY"));
        t.Apply(D("a", 10_000, true), 100); // a withdraws everything
        Assert.Empty(t.Expire(10_000 - 1));
        t.Apply(D("b", 10_000, true), 200);
        Assert.Empty(t.Expire(699)); // in its grace
        Assert.Equal(["SPY"], t.Upstream);
        Assert.Equal(["SPY"], t.Expire(700));
        Assert.Empty(t.Upstream);
    }

    [Fact]
    public void A_lease_not_renewed_expires_and_a_renewal_keeps_it()
    {
        var t = new DemandTable(TimeSpan.Zero);
        t.Apply(D("a", 1_000, true, ("SPY", ["SPY"])), 0);
        t.Apply(D("b", 1_000, true, ("QQQ", ["QQQ"])), 0);
        t.Apply(D("a", 1_000, true, ("SPY", ["SPY"])), 900); // a renews, b does not
        var expired = new List<(string, string)>();
        Assert.Equal(["QQQ"], t.Expire(1_000, expired));
        Assert.Equal([("b", "QQQ")], expired);
        Assert.Equal(1, t.Engines);
        Assert.Equal(["SPY"], t.Expire(1_900));
        Assert.Equal(0, t.Engines);
    }

    [Fact]
    public void A_partial_message_changes_only_its_underlyings_and_a_full_one_withdraws_the_rest()
    {
        var t = new DemandTable(TimeSpan.Zero);
        t.Apply(D("a", 10_000, true, ("SPY", ["SPY", "SPY260220P00580000"]), ("QQQ", ["QQQ"])), 0);
        // a partition with AAPL joins this engine; SPY loses its put (the position closed)
        Assert.Equal(["AAPL"], t.Apply(D("a", 10_000, false, ("AAPL", ["AAPL"]), ("SPY", ["SPY"])), 1));
        Assert.Equal(["SPY260220P00580000"], t.Expire(1));
        Assert.Equal(["AAPL", "QQQ", "SPY"], t.Upstream.Order(StringComparer.Ordinal));
        // the whole demand again, without QQQ: QQQ goes
        t.Apply(D("a", 10_000, true, ("AAPL", ["AAPL"]), ("SPY", ["SPY"])), 2);
        Assert.Equal(["QQQ"], t.Expire(2));
        Assert.Equal(0, t.HoldersOf("QQQ"));
    }
}
