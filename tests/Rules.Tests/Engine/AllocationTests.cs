using Streamer.Rules.Engine;
using Streamer.Rules.Market;
using static Streamer.Rules.Tests.Engine.EngineHarness;

namespace Streamer.Rules.Tests.Engine;

public class AllocationTests
{
    private struct CountingSink : IExitSink
    {
        public int Exits;

        public void OnExit(in ExitDecision exit) => Exits++;
    }

    [Fact]
    public void The_tick_path_allocates_nothing_once_warm()
    {
        var h = new EngineHarness();
        h.Add("""
            positions:
              - id: SPY-PCS-1
                book: primary
                legs:
                  - { symbol: SPY260220P00580000, qty: -10, entry_price: 4.10 }
                  - { symbol: SPY260220P00575000, qty: 10, entry_price: 3.10 }
              - id: C
                book: day_trade
                stop_underlying: 500
                target_underlying: 700
                legs: [ { symbol: SPY260220C00600000, qty: 2, entry_price: 10.00 } ]
            """);
        long t = Ny(2026, 1, 21, 10, 0);
        int spy = h.Symbols.Lookup("SPY"), sp = h.Symbols.Lookup("SPY260220P00580000"), lp = h.Symbols.Lookup("SPY260220P00575000"), c = h.Symbols.Lookup("SPY260220C00600000");
        var ticks = new[]
        {
            Tick.Quote(0, spy, 599.98, 600.02), Tick.Quote(0, lp, 3.05, 3.15), Tick.Quote(0, sp, 4.05, 4.15), Tick.Quote(0, c, 10.0, 10.1),
            Tick.Quote(0, spy, 600.08, 600.12), Tick.Quote(0, sp, 4.10, 4.20), Tick.Quote(0, c, 10.05, 10.15), Tick.Quote(0, sp, 4.11, 4.09), // crossed
            Tick.Trade(0, spy, 600.05),
        };
        var sink = new CountingSink();
        void Run(int from, int n)
        {
            for (int i = from; i < from + n; i++)
            {
                var tick = ticks[i % ticks.Length];
                tick.TimeNs = t + i * 1_000_000L;    // 1 ms apart: stays fresh and inside the session
                h.Engine.OnTick(in tick, ref sink);
                if ((i & 1023) == 0) h.Engine.OnClock(tick.TimeNs, ref sink);
            }
        }
        // steady state: the JIT's tier-up (on its own schedule, ~100 ms after warm-up) may charge this
        // thread a few bytes once; a round without any allocation must come, and the engine must stay there
        long allocated = -1;
        for (int round = 0; round < 30 && allocated != 0; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            Run(round * 20_000, 20_000);
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (allocated != 0) Thread.Sleep(20);
        }
        long steady = GC.GetAllocatedBytesForCurrentThread();
        Run(30 * 20_000, 20_000);
        allocated += GC.GetAllocatedBytesForCurrentThread() - steady;
        Assert.Equal(0, sink.Exits);
        Assert.Equal(0, allocated);
        Assert.True(h.Engine.Counters.InsaneQuotes > 0);
        Assert.Equal(0, h.Engine.Counters.OutOfOrder);
        Assert.True(h.Engine.TryGetSnapshot("C", out var snap) && double.IsFinite(snap.Greeks.Delta));
    }
}
