using Streamer.Rules.Books;
using Streamer.Rules.Engine;
using static Streamer.Rules.Tests.Engine.EngineHarness;

namespace Streamer.Rules.Tests.Engine;

public class StateAndDeterminismTests
{
    private const string ShortPut = "SPY260220P00580000";
    private const string LongPut = "SPY260220P00575000";
    private static readonly long T0 = Ny(2026, 1, 21, 10, 0);

    private const string Positions = $$"""
        positions:
          - id: SPY-PCS-1
            book: primary
            opened_at: 2026-01-05T15:00:00Z
            legs:
              - { symbol: {{ShortPut}}, qty: -10, entry_price: 2.10 }
              - { symbol: {{LongPut}}, qty: 10, entry_price: 0.90 }
          - id: META-1
            book: day_trade
            opened_at: 2026-01-21T15:00:00Z
            underlying_entry: 720.93
            stop_underlying: 700
            target_underlying: 740
            legs: [ { symbol: META260220C00720000, qty: 6, entry_price: 17.15 } ]
        """;

    /// <summary>A pseudo-random but seeded session: both positions, stock and option quotes, a few insane quotes.</summary>
    private static List<(long T, string Symbol, double Bid, double Ask)> Session(int seed)
    {
        var rng = new Random(seed);
        var ticks = new List<(long, string, double, double)>();
        double spy = 596, meta = 721, sp = 2.10, lp = 0.90, call = 17.15;
        long t = T0;
        for (int i = 0; i < 3000; i++)
        {
            t += rng.Next(1, 20) * 100_000_000L;
            switch (rng.Next(5))
            {
                case 0: spy += rng.NextDouble() - 0.45; ticks.Add((t, "SPY", spy - 0.01, spy + 0.01)); break;
                case 1: sp = Math.Max(0.05, sp - 0.02 + 0.035 * rng.NextDouble()); ticks.Add((t, ShortPut, sp - 0.02, sp + 0.02)); break;
                case 2: lp = Math.Max(0.02, lp - 0.01 + 0.018 * rng.NextDouble()); ticks.Add((t, LongPut, lp - 0.01, lp + 0.01)); break;
                case 3: meta += rng.NextDouble() - 0.5; ticks.Add((t, "META", meta - 0.05, meta + 0.05)); break;
                default:
                    call = Math.Max(0.5, call + rng.NextDouble() - 0.45);
                    ticks.Add(rng.Next(20) == 0 ? (t, "META260220C00720000", call + 1, call - 1) : (t, "META260220C00720000", call - 0.05, call + 0.05));
                    break;
            }
        }
        return ticks;
    }

    private static List<string> Run(List<(long T, string Symbol, double Bid, double Ask)> ticks)
    {
        var h = new EngineHarness();
        h.Add(Positions);
        foreach (var (t, s, b, a) in ticks) h.Quote(t, s, b, a);
        h.RunClockTo(Ny(2026, 1, 23, 0, 0));
        return h.Exits.Select(e => $"{e.Summary} {e.Reason} {e.Value:R} {e.Greeks.Delta:R} {string.Join(",", e.Legs.Select(l => $"{l.Symbol}:{l.Qty}@{l.Mark:R}"))}").ToList();
    }

    [Fact]
    public void The_same_ticks_give_the_same_decisions()
    {
        var ticks = Session(7);
        var a = Run(ticks);
        var b = Run(ticks);
        Assert.NotEmpty(a);
        Assert.Equal(a, b);
        // ids are unique
        Assert.Equal(a.Count, a.Select(x => x.Split(' ')[0]).Distinct().Count());
    }

    [Fact]
    public void Restored_state_continues_the_sequence_and_never_refires_a_tranche()
    {
        var books = "books:\n  t:\n    rules:\n      scale_out: {}\n";
        const string pos = $$"""
            positions:
              - id: P
                book: t
                legs:
                  - { symbol: {{ShortPut}}, qty: -10, entry_price: 2.10 }
                  - { symbol: {{LongPut}}, qty: 10, entry_price: 0.90 }
            """;
        var first = new EngineHarness(books);
        first.Add(pos);
        first.Quote(T0, LongPut, 0.29, 0.31);
        first.Quote(T0 + 1, ShortPut, 0.89, 0.91);   // 50 %: the first tranche
        Assert.Single(first.Exits);
        Assert.True(first.Engine.TryGetState("P", out var saved));
        Assert.Equal(saved, first.LastState);
        Assert.Equal(new PositionState(10, 6, 0b001, false, 0, 2, 240, FillWatermark: 0, OpenedNs: T0), saved with { RealizedPnl = Math.Round(saved.RealizedPnl, 6) });

        // restart: same position, state restored, the same quotes again
        var second = new EngineHarness(books);
        second.Add(pos);
        second.Engine.RestoreState("P", saved);
        second.Quote(T0 + 10, LongPut, 0.29, 0.31);
        Assert.Equal(0, second.Quote(T0 + 11, ShortPut, 0.89, 0.91));   // the 50 % tranche fired before the restart
        Assert.Equal(1, second.Quote(T0 + 12, ShortPut, 0.59, 0.61));   // debit 0.30: 75 %
        Assert.Equal("P:2", second.Last.Id);
        Assert.Equal((4, 2, 10), (second.Last.Closed, second.Last.Remaining, second.Last.Original));
    }

    [Fact]
    public void A_closed_state_is_never_evaluated_again()
    {
        var h = new EngineHarness("books:\n  t:\n    rules:\n      premium_stop: {}\n");
        h.Add("""
            positions:
              - id: C
                book: t
                legs: [ { symbol: SPY260220C00600000, qty: 1, entry_price: 4.00 } ]
            """);
        h.Engine.RestoreState("C", new PositionState(1, 0, 0, false, 0, 2, -150));
        Assert.Equal(0, h.Quote(T0, "SPY260220C00600000", 0.5, 0.6));
        Assert.Equal(0, h.Engine.OpenPositionCount);
    }

    [Fact]
    public void A_full_close_is_emitted_once_whatever_follows()
    {
        var h = new EngineHarness("books:\n  t:\n    rules:\n      premium_stop: {}\n      max_hold: { minutes: 5 }\n");
        h.Add("""
            positions:
              - id: C
                book: t
                opened_at: 2026-01-21T15:00:00Z
                legs: [ { symbol: SPY260220C00600000, qty: 1, entry_price: 4.00 } ]
            """);
        h.Quote(T0, "SPY260220C00600000", 1.9, 2.0);
        for (int i = 1; i < 20; i++) h.Quote(T0 + i * 60_000_000_000L, "SPY260220C00600000", 1.0, 1.1);
        h.RunClockTo(Ny(2026, 1, 22, 16, 0));
        Assert.Single(h.Exits);
        Assert.Equal(long.MaxValue, h.Engine.NextWakeNs);
    }

    [Fact]
    public void Removing_a_position_stops_its_evaluation_and_its_wake_ups()
    {
        var h = new EngineHarness();
        h.Add(Positions);
        h.Quote(T0, "META", 720, 720.1);
        Assert.NotEqual(long.MaxValue, h.Engine.NextWakeNs);
        Assert.True(h.Engine.RemovePosition("META-1"));
        Assert.False(h.Engine.RemovePosition("META-1"));
        Assert.Equal(0, h.Quote(T0 + 1, "META", 600, 600.1));       // would be the stop
        Assert.True(h.Engine.NextWakeNs > Ny(2026, 1, 21, 16, 0));   // the day trade's 15:55 is gone; the spread's DTE remains
    }

    [Fact]
    public void Adding_a_duplicate_or_an_unknown_book_names_the_position()
    {
        var h = new EngineHarness();
        h.Add(Positions);
        var dup = Assert.Throws<ConfigException>(() => h.Add(Positions));
        Assert.Contains("SPY-PCS-1", dup.Message, StringComparison.Ordinal);
        var unknown = Assert.Throws<ConfigException>(() => h.Add("""
            positions:
              - id: Z
                book: nope
                legs: [ { symbol: SPY, qty: 1, entry_price: 1 } ]
            """));
        Assert.Contains("position 'Z'", unknown.Message, StringComparison.Ordinal);
        Assert.Contains("unknown book 'nope'", unknown.Message, StringComparison.Ordinal);
        Assert.Contains("day_trade, income_pop, primary", unknown.Message, StringComparison.Ordinal);
    }
}
