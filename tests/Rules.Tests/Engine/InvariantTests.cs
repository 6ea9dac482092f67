using Streamer.Rules.Calendar;
using static Streamer.Rules.Tests.Engine.EngineHarness;

namespace Streamer.Rules.Tests.Engine;

/// <summary>Seeded random sessions over several days and books: properties every run must keep.</summary>
public class InvariantTests
{
    private const string Positions = """
        positions:
          - { id: PCS, book: primary, opened_at: 2026-01-20T15:00:00Z,
              legs: [ { symbol: SPY260220P00580000, qty: -7, entry_price: 2.10 }, { symbol: SPY260220P00575000, qty: 7, entry_price: 0.90 } ] }
          - { id: POP, book: income_pop, opened_at: 2026-01-20T15:00:00Z,
              legs: [ { symbol: SPY260220P00580000, qty: -12, entry_price: 2.10 }, { symbol: SPY260220P00575000, qty: 12, entry_price: 0.90 } ] }
          - { id: IC, book: primary, opened_at: 2026-01-20T15:00:00Z,
              legs: [ { symbol: SPY260220P00575000, qty: -4, entry_price: 0.90 }, { symbol: SPY260220P00570000, qty: 4, entry_price: 0.45 },
                      { symbol: SPY260220C00620000, qty: -4, entry_price: 1.50 }, { symbol: SPY260220C00625000, qty: 4, entry_price: 0.70 } ] }
          - { id: DAY, book: day_trade, opened_at: 2026-01-20T15:00:00Z, underlying_entry: 596, stop_underlying: 585, target_underlying: 610,
              legs: [ { symbol: SPY260220C00600000, qty: 3, entry_price: 5.00 } ] }
          - { id: STK, book: day_trade, opened_at: 2026-01-21T15:00:00Z, stop_underlying: 580,
              legs: [ { symbol: SPY, qty: 100, entry_price: 596 } ] }
        """;

    private static readonly string[] Options =
        ["SPY260220P00580000", "SPY260220P00575000", "SPY260220P00570000", "SPY260220C00620000", "SPY260220C00625000", "SPY260220C00600000"];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Exits_keep_their_invariants(int seed)
    {
        var rng = new Random(seed);
        var h = new EngineHarness();
        h.Add(Positions);
        var price = new Dictionary<string, double>
        {
            ["SPY"] = 596, ["SPY260220P00580000"] = 2.10, ["SPY260220P00575000"] = 0.90, ["SPY260220P00570000"] = 0.45,
            ["SPY260220C00620000"] = 1.50, ["SPY260220C00625000"] = 0.70, ["SPY260220C00600000"] = 5.00,
        };
        long t = Utc("2026-01-20T14:00:00Z");
        long end = Utc("2026-02-06T21:00:00Z");
        while (t < end)
        {
            t += rng.Next(1, 120) * 1_000_000_000L * (rng.Next(50) == 0 ? 600 : 1);
            string s = rng.Next(3) == 0 ? "SPY" : Options[rng.Next(Options.Length)];
            double p = price[s] = Math.Max(0.02, price[s] * (1 + (rng.NextDouble() - 0.5) * (s == "SPY" ? 0.004 : 0.08)));
            double half = s == "SPY" ? 0.01 : Math.Max(0.01, p * 0.02);
            if (rng.Next(40) == 0) h.Quote(t, s, p + half, p - half);      // crossed: ignored
            else h.Quote(t, s, p - half, p + half);
        }
        h.RunClockTo(end);

        Assert.NotEmpty(h.Exits);
        for (int i = 1; i < h.Exits.Count; i++) Assert.True(h.Exits[i].TimeNs >= h.Exits[i - 1].TimeNs, "exits come in time order");
        foreach (var e in h.Exits)
            Assert.True(MarketCalendar.Nyse.IsInSession(e.TimeNs), $"{e.Id} at {e.TimeNs} is outside the session");
        foreach (var group in h.Exits.GroupBy(e => e.PositionId))
        {
            var list = group.ToList();
            Assert.True(h.Engine.TryGetState(group.Key, out _));
            Assert.Equal(Enumerable.Range(1, list.Count), list.Select(e => e.Sequence));          // :1, :2, ... no gaps, no repeats
            int open = list[0].Original;
            foreach (var e in list)
            {
                Assert.True(e.Closed >= 1 && e.Closed <= open, $"{e.Id} closes {e.Closed} of {open}");
                open -= e.Closed;
                Assert.Equal(open, e.Remaining);
                Assert.Equal(e.Legs.Length, e.Legs.Count(l => l.Qty != 0));
            }
            Assert.True(list.Take(list.Count - 1).All(e => e.Remaining > 0), "nothing after a full close");
            Assert.True(h.Engine.TryGetState(group.Key, out var state));
            Assert.Equal(open, state.ContractsRemaining);
            double pnl = list.Where(e => double.IsFinite(e.Pnl)).Sum(e => e.Pnl);
            Assert.Equal(pnl, state.RealizedPnl, 6);
        }
    }
}
