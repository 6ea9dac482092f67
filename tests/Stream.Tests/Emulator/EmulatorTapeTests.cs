using Streamer.Rules.Market;
using Streamer.Stream.Emulator;

namespace Streamer.Stream.Tests.Emulator;

public sealed class EmulatorTapeTests
{
    [Fact]
    public void Loads_a_csv_tape_through_the_tape_reader()
    {
        var path = Path.Combine(Path.GetTempPath(), $"emulator-tape-{Guid.NewGuid():N}.csv");
        File.WriteAllText(path, "time,symbol,bid,ask,last\n" +
            "2026-01-21T15:00:00Z,AAPL,200,200.02,\n" +
            "2026-01-21T15:00:00.5Z,AAPL,,,200.01\n" +
            "2026-01-21T15:00:01Z,AAPL260220C00200000,5,5.1,\n");
        try
        {
            var tape = EmulatorTape.Load(path);
            Assert.Equal(3, tape.Ticks.Length);
            Assert.Equal("AAPL", tape.Symbols[tape.Ticks[0].SymbolId]);
            Assert.Equal((200.0, 200.02), (tape.Ticks[0].Bid, tape.Ticks[0].Ask));
            Assert.Equal(TickFields.Trade, tape.Ticks[1].Fields);
            Assert.Equal(200.01, tape.Ticks[1].Last);
            Assert.True(tape.Symbols.IsOption(tape.Ticks[2].SymbolId));
            Assert.Equal(Tapes.T0 + 1_000_000_000, tape.LastTimeNs);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void In_memory_ticks_are_ordered_by_time_keeping_ties_in_order()
    {
        var symbols = new Rules.Instruments.SymbolTable();
        int a = symbols.Intern("AAPL"), b = symbols.Intern("SPY");
        var tape = EmulatorTape.FromTicks(symbols, [Tick.Quote(20, a, 1, 2), Tick.Quote(10, b, 1, 2), Tick.Quote(10, a, 3, 4)]);
        Assert.Equal([(10L, b), (10L, a), (20L, a)], tape.Ticks.Select(t => (t.TimeNs, t.SymbolId)));
    }
}
