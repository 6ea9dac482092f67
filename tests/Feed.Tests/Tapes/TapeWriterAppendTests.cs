using System.Text;
using Streamer.Feed.Tapes;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;

namespace Streamer.Feed.Tests.Tapes;

// the writers streamer record and fetch use: every format reads back tick for tick, and a CSV or
// JSONL tape cut mid-row by a kill can be continued
public sealed class TapeWriterAppendTests : IDisposable
{
    private const string Csv = """
        time,symbol,bid,ask,last
        2026-01-05T15:00:00Z,SPY,602.79,602.81,
        2026-01-05T15:00:00.001Z,SPY260220P00580000,5.88,5.9,
        2026-01-05T15:00:01.123456789Z,SPY,,,602.8
        2026-01-05T15:00:02Z,SPY,0,0.05,602.75
        """;

    private readonly string _dir = Directory.CreateTempSubdirectory("tape-append-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static List<(string Symbol, long Time, TickFields Fields, double Bid, double Ask, double Last)> Read(string path)
    {
        var symbols = new SymbolTable();
        using var reader = TapeReader.Open(path, symbols);
        var list = new List<(string, long, TickFields, double, double, double)>();
        while (reader.TryRead(out Tick t)) list.Add((symbols[t.SymbolId], t.TimeNs, t.Fields, t.Bid, t.Ask, t.Last));
        return list;
    }

    private string Write(string name, TapeFormat format, IEnumerable<int> rows)
    {
        var symbols = new SymbolTable();
        var source = Path.Combine(_dir, "source.csv");
        File.WriteAllText(source, Csv);
        using var reader = TapeReader.Open(source, symbols);
        var ticks = new List<Tick>();
        while (reader.TryRead(out Tick t)) ticks.Add(t);
        var path = Path.Combine(_dir, name);
        using var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite);
        bool append = file.Length > 0;
        if (append) TapeTail.PrepareAppend(file, format, path);
        using var writer = TickTapeWriter.Create(file, format, symbols, append);
        foreach (int i in rows) writer.Write(ticks[i]);
        return path;
    }

    [Theory]
    [InlineData(TapeFormat.Csv, "t.csv")]
    [InlineData(TapeFormat.Jsonl, "t.jsonl")]
    [InlineData(TapeFormat.Binary, "t.stape")]
    public void Every_format_reads_back_tick_for_tick(TapeFormat format, string name)
    {
        var source = Path.Combine(_dir, "source.csv");
        File.WriteAllText(source, Csv);
        var written = Write(name, format, [0, 1, 2, 3]);
        var expected = Read(source);
        var actual = Read(written);
        if (format == TapeFormat.Jsonl)
        {
            // JSONL has one message per line: the row with a quote and a trade is two ticks at one time, quote first
            Assert.Equal(5, actual.Count);
            Assert.Equal((expected[3].Symbol, expected[3].Time, TickFields.Quote), (actual[3].Symbol, actual[3].Time, actual[3].Fields));
            Assert.Equal(expected[3].Last, actual[4].Last);
            Assert.Equal(expected.Take(3), actual.Take(3));
        }
        else
        {
            Assert.Equal(expected, actual);
        }
    }

    [Theory]
    [InlineData(TapeFormat.Csv, "c.csv", "2026-01-05T15:00:0")]
    [InlineData(TapeFormat.Jsonl, "c.jsonl", "{\"T\":\"q\",\"S\":\"SP")]
    public void A_tape_cut_mid_row_is_continued_after_its_last_whole_row(TapeFormat format, string name, string half)
    {
        var path = Write(name, format, [0, 1]);
        File.AppendAllText(path, half); // the writer was killed inside a row
        using (var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
            long? last = TapeTail.PrepareAppend(file, format, path);
            Assert.Equal(Read(Path.Combine(_dir, "source.csv"))[1].Time, last);
            Assert.Equal(file.Length, file.Position);
            var tail = TapeTail.TailRows(file, format, out bool whole);
            Assert.True(whole);
            Assert.Equal(["SPY", "SPY260220P00580000"], tail.Select(r => r.Symbol));
        }
        Write(name, format, [2, 3]);
        var rows = Read(path);
        Assert.Equal(format == TapeFormat.Csv ? 4 : 5, rows.Count);
        Assert.Equal(format == TapeFormat.Csv ? 1 : 0, File.ReadAllLines(path).Count(l => l.StartsWith("time,", StringComparison.Ordinal))); // no second header
    }

    [Fact]
    public void A_file_that_is_not_a_tape_is_not_continued()
    {
        var path = Path.Combine(_dir, "notes.csv");
        File.WriteAllText(path, "time,symbol,bid,ask,last\nhello,SPY,1,2,\n");
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        var e = Assert.Throws<InvalidDataException>(() => TapeTail.PrepareAppend(file, TapeFormat.Csv, path));
        Assert.Contains("not RFC 3339", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_binary_tape_cannot_be_continued()
    {
        using var file = new MemoryStream();
        Assert.Throws<ArgumentException>(() => TickTapeWriter.Create(file, TapeFormat.Binary, new SymbolTable(), append: true));
    }
}
