using System.Globalization;
using System.Text;
using Streamer.Feed.Tapes;
using Streamer.Rules.Books;
using Streamer.Rules.Instruments;
using Streamer.Rules.Positions;
using Streamer.Stream.Replay;

namespace Streamer.Stream.Tests.Replay;

/// <summary>
/// The replay's per-tick path allocates nothing without a recorder (the HTML report's hook costs a
/// null test), and with one its memory stops growing once the series reach their cap.
/// </summary>
public sealed class HtmlReportRecorderAllocationTests
{
    private static byte[] Tape(int ticks)
    {
        var sb = new StringBuilder("time,symbol,bid,ask,last\n");
        var t0 = new DateTime(2026, 3, 2, 15, 0, 0, DateTimeKind.Utc);
        for (int i = 0; i < ticks; i++)
        {
            double mid = 100 + 0.5 * Math.Sin(i / 5000.0);
            sb.Append(t0.AddTicks(i * 10_000L).ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture))
              .Append(i % 2 == 0 ? ",U0," : ",U1,")
              .Append((mid - 0.01).ToString("0.00", CultureInfo.InvariantCulture)).Append(',')
              .Append((mid + 0.01).ToString("0.00", CultureInfo.InvariantCulture)).Append(",\n");
        }
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    private static long AllocatedByRun(byte[] rows, bool record)
    {
        const string positions = """
            { "positions": [
              { "id": "A", "book": "day_trade", "opened_at": "2026-03-02T15:00:00Z", "underlying_entry": 100, "stop_underlying": 90, "target_underlying": 110,
                "legs": [ { "symbol": "U0", "qty": 100, "entry_price": 100 } ] },
              { "id": "B", "book": "day_trade", "opened_at": "2026-03-02T15:00:00Z", "underlying_entry": 100, "stop_underlying": 90, "target_underlying": 110,
                "legs": [ { "symbol": "U1", "qty": 50, "entry_price": 100 } ] } ] }
            """;
        var books = BookSet.BuiltIn;
        var symbols = new SymbolTable();
        var session = new ReplaySession(PositionsFile.Parse(positions, "p.json"), books, symbols) { Recorder = record ? new ReplayRecording(books) : null, UntilNs = 0 }; // the clock stops at the last tick: no max_hold in a run-on
        using var tape = TapeReader.Create(new MemoryStream(rows), "t.csv", symbols);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var result = session.Run(tape);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Empty(result.Exits);
        return allocated;
    }

    [Fact]
    public void Four_times_the_ticks_allocate_no_more_with_no_recorder_and_a_bounded_amount_with_one()
    {
        byte[] small = Tape(50_000), large = Tape(200_000);
        AllocatedByRun(small, false); AllocatedByRun(small, true); // JIT, statics
        long plainSmall = AllocatedByRun(small, false), plainLarge = AllocatedByRun(large, false);
        long recSmall = AllocatedByRun(small, true), recLarge = AllocatedByRun(large, true);
        // 150,000 more ticks: nothing more without a recorder (a few KB of slack for the runtime's own)
        Assert.True(plainLarge - plainSmall < 16_384, $"no recorder: {plainSmall} B for 50k ticks, {plainLarge} B for 200k");
        // with one: the series are at their cap of buckets by then; 150,000 more ticks cost nothing more either
        Assert.True(recLarge - recSmall < 16_384, $"recorder: {recSmall} B for 50k ticks, {recLarge} B for 200k");
        Assert.True(recLarge < 4 * 1024 * 1024, $"recorder: {recLarge} B for 200k ticks");
    }
}
