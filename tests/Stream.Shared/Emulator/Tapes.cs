using Streamer.Rules.Instruments;
using Streamer.Rules.Market;
using Streamer.Stream.Emulator;

namespace Streamer.Stream.Tests.Emulator;

internal static class Tapes
{
    public const string Call = "AAPL260220C00200000";
    public const string Put = "SPY260220P00580000";

    /// <summary>2026-01-21T15:00:00Z</summary>
    public static readonly long T0 = (new DateTime(2026, 1, 21, 15, 0, 0, DateTimeKind.Utc).Ticks - DateTime.UnixEpoch.Ticks) * 100;

    /// <summary>Per step 10 ms: a quote on each stock, a trade on AAPL every 2nd step, option quotes.</summary>
    public static EmulatorTape Mixed(int steps)
    {
        var symbols = new SymbolTable();
        int aapl = symbols.Intern("AAPL"), spy = symbols.Intern("SPY"), call = symbols.Intern(Call), put = symbols.Intern(Put);
        var ticks = new List<Tick>();
        for (int k = 0; k < steps; k++)
        {
            long t = T0 + k * 10_000_000L;
            ticks.Add(Tick.Quote(t, aapl, 200 + k * 0.01, 200.02 + k * 0.01));
            ticks.Add(Tick.Quote(t, spy, 590 + k * 0.01, 590.01 + k * 0.01));
            if (k % 2 == 0) ticks.Add(Tick.Trade(t + 1, aapl, 200.01 + k * 0.01));
            ticks.Add(Tick.Quote(t + 2, call, 5 + k * 0.01, 5.1 + k * 0.01));
            ticks.Add(Tick.Quote(t + 3, put, 2 + k * 0.01, 2.05 + k * 0.01));
        }
        return EmulatorTape.FromTicks(symbols, ticks);
    }

    /// <summary>The tape's ticks for one symbol, as (time, fields, bid, ask, last).</summary>
    public static List<(long Time, TickFields Fields, double Bid, double Ask, double Last)> For(EmulatorTape tape, string symbol)
    {
        int id = tape.Symbols.Lookup(symbol);
        return tape.Ticks.Where(t => t.SymbolId == id).Select(t => (t.TimeNs, t.Fields, t.Bid, t.Ask, t.Last)).ToList();
    }
}
