using System.Text;
using Streamer.Rules.Books;
using Streamer.Rules.Engine;
using static Streamer.Rules.Tests.Engine.EngineHarness;

namespace Streamer.Rules.Tests.Engine;

/// <summary>
/// The clock's wake-ups come from a heap, not a scan: every time rule still fires at its instant, once,
/// in (instant, order added) order, and a position closed, removed or paused before its instant never
/// fires from a stale entry.
/// </summary>
public class WakeOrderTests
{
    private static readonly long T0 = Ny(2026, 1, 21, 10, 0);
    private const long Minute = 60_000_000_000;

    [Fact]
    public void Thousands_of_max_holds_fire_at_their_instants_in_time_then_add_order_and_no_stale_wake_fires()
    {
        const int n = 3000;
        var rng = new Random(7);
        var minutes = new int[n];
        for (int i = 0; i < n; i++) minutes[i] = rng.Next(1, 300); // many ties: order among them is add order

        var books = new StringBuilder("books:\n");
        foreach (int m in minutes.Distinct().Order())
            books.Append($"  m{m}:\n    rules:\n      underlying_stop: {{}}\n      max_hold: {{ minutes: {m} }}\n");
        var h = new EngineHarness(books.ToString());
        var positions = new StringBuilder("positions:\n");
        for (int i = 0; i < n; i++)
        {
            int stop = i % 3 == 0 ? 95 : 10; // a third stop out at minute 50, before their max_hold if it is later
            positions.Append($"  - {{ id: P{i}, book: m{minutes[i]}, stop_underlying: {stop}, legs: [ {{ symbol: AAA, qty: 100, entry_price: 100 }} ] }}\n");
        }
        h.Add(positions.ToString());

        Assert.Equal(0, h.Trade(T0, "AAA", 100));
        var removed = new HashSet<int>();
        var paused = new HashSet<int>();
        for (int i = 0; i < n; i++)
        {
            if (i % 7 == 0) { Assert.True(h.Engine.RemovePosition($"P{i}")); removed.Add(i); }
            else if (i % 11 == 0) { Assert.True(h.Engine.SetPaused($"P{i}", true)); paused.Add(i); }
        }
        // pause and resume moves a wake away and back: two entries for one position, one exit
        for (int i = 5; i < n; i += 13)
            if (!removed.Contains(i) && !paused.Contains(i)) { h.Engine.SetPaused($"P{i}", true); h.Engine.SetPaused($"P{i}", false); }

        var live = Enumerable.Range(0, n).Where(i => !removed.Contains(i) && !paused.Contains(i)).ToList();
        Assert.Equal(live.Count(i => minutes[i] < 50), h.RunClockTo(T0 + 50 * Minute - 1));
        h.RunClockTo(T0 + 50 * Minute);
        h.Trade(T0 + 50 * Minute, "AAA", 94); // after the max_holds due at 50: the stops of the rest
        h.RunClockTo(T0 + 400 * Minute);

        var expected = new List<(string Id, long At, RuleId Rule)>();
        expected.AddRange(live.Where(i => minutes[i] <= 50).OrderBy(i => minutes[i]).ThenBy(i => i)
            .Select(i => ($"P{i}", T0 + minutes[i] * Minute, RuleId.MaxHold)));
        expected.AddRange(live.Where(i => minutes[i] > 50 && i % 3 == 0)
            .Select(i => ($"P{i}", T0 + 50 * Minute, RuleId.UnderlyingStop)));
        expected.AddRange(live.Where(i => minutes[i] > 50 && i % 3 != 0).OrderBy(i => minutes[i]).ThenBy(i => i)
            .Select(i => ($"P{i}", T0 + minutes[i] * Minute, RuleId.MaxHold)));
        var actual = h.Exits.Select(e => (e.PositionId, e.TimeNs, e.Rule)).ToList();
        Assert.Equal(expected.Count, actual.Count);
        for (int k = 0; k < expected.Count; k++)
            Assert.True(expected[k] == actual[k], $"exit {k}: expected {expected[k]}, got {actual[k]}");
        Assert.Equal(long.MaxValue, h.Engine.NextWakeNs); // every open one is paused
    }

    [Fact]
    public void The_queue_pops_in_instant_then_slot_order_whatever_the_push_order()
    {
        var rng = new Random(3);
        var q = new WakeQueue();
        var all = new List<(long, int)>();
        for (int round = 0; round < 5; round++)
        {
            for (int i = 0; i < 2000; i++)
            {
                var e = ((long)rng.Next(0, 500), rng.Next(0, 300));
                all.Add(e);
                q.Push(e.Item1, e.Item2);
            }
            // pop a part, push more, as the engine does between instants
            all.Sort();
            for (int i = 0; i < 700; i++)
            {
                Assert.Equal(all[0], (q.TopWake, q.TopSlot));
                all.RemoveAt(0);
                q.Pop();
            }
        }
        all.Sort();
        foreach (var e in all) { Assert.Equal(e, (q.TopWake, q.TopSlot)); q.Pop(); }
        Assert.Equal(0, q.Count);
        Assert.Equal(long.MaxValue, q.TopWake);
    }
}
