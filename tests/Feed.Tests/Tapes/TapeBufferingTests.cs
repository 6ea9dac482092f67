using System.Globalization;
using System.Text;
using Streamer.Feed.Tapes;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;
using Streamer.Rules.Time;

namespace Streamer.Feed.Tests.Tapes;

public class TapeBufferingTests
{
    private static readonly string[] Symbols = ["SPY", "QQQ", "META", "AAPL", "SPY260220P00580000", "META260220C00720000", "BRK.B", "QQQ260116C00500000"];

    /// <summary>A tape built with plain string formatting (not CsvTapeWriter) and the ticks it must give.</summary>
    private static (byte[] Csv, byte[] Jsonl, List<(long Time, string Symbol, double Bid, double Ask, double Last)> Expected) BuildTape(int rows)
    {
        var csv = new StringBuilder("time,symbol,bid,ask,last\n");
        var jsonl = new StringBuilder();
        var expected = new List<(long, string, double, double, double)>(rows);
        long t = NanoTime.ParseRfc3339("2026-01-05T14:30:00Z");
        ulong state = 12345;
        for (int i = 0; i < rows; i++)
        {
            state = state * 6364136223846793005UL + 1442695040888963407UL;
            t += (long)(state >> 54); // 0..1023 ns apart, often equal
            string symbol = Symbols[(int)((state >> 20) % (ulong)Symbols.Length)];
            double bid = ((state >> 30) % 100000) / 100.0;
            double ask = bid + 0.01 * (1 + (int)((state >> 8) % 5));
            string time = NanoTime.FormatRfc3339(t);
            bool trade = i % 3 == 0;
            if (trade)
            {
                csv.Append(CultureInfo.InvariantCulture, $"{time},{symbol},,,{bid}\n");
                jsonl.Append(CultureInfo.InvariantCulture, $"{{\"T\":\"t\",\"S\":\"{symbol}\",\"p\":{bid},\"s\":100,\"c\":[\"@\"],\"t\":\"{time}\"}}\n");
                expected.Add((t, symbol, double.NaN, double.NaN, bid));
            }
            else
            {
                csv.Append(CultureInfo.InvariantCulture, $"{time},{symbol},{bid},{ask},\n");
                jsonl.Append(CultureInfo.InvariantCulture, $"{{\"T\":\"q\",\"S\":\"{symbol}\",\"bx\":\"V\",\"bp\":{bid},\"bs\":1,\"ax\":\"V\",\"ap\":{ask},\"as\":2,\"t\":\"{time}\"}}\n");
                expected.Add((t, symbol, bid, ask, double.NaN));
            }
        }
        return (Encoding.UTF8.GetBytes(csv.ToString()), Encoding.UTF8.GetBytes(jsonl.ToString()), expected);
    }

    [Theory]
    [InlineData(16)]
    [InlineData(37)]
    [InlineData(4096)]
    [InlineData(TapeReader.DefaultBufferSize)]
    public void Large_tapes_read_exactly_whatever_the_buffer_size(int bufferSize)
    {
        var (csv, jsonl, expected) = BuildTape(50_000);
        foreach (var (bytes, format) in new[] { (csv, TapeFormat.Csv), (jsonl, TapeFormat.Jsonl) })
        {
            var symbols = new SymbolTable();
            using var reader = new TapeReader(new MemoryStream(bytes), "big", symbols, format, ownsStream: true, bufferSize);
            int i = 0;
            while (reader.TryRead(out var tick))
            {
                var e = expected[i++];
                Assert.Equal(e.Time, tick.TimeNs);
                Assert.Equal(e.Symbol, symbols[tick.SymbolId]);
                Assert.Equal(e.Bid, tick.Bid);
                Assert.Equal(e.Ask, tick.Ask);
                Assert.Equal(e.Last, tick.Last);
            }
            Assert.Equal(expected.Count, i);
            Assert.Equal(expected.Count + (format == TapeFormat.Csv ? 1 : 0), reader.LineNumber);
        }
    }

    [Fact]
    public void A_line_longer_than_the_buffer_grows_it_and_one_over_a_mebibyte_is_an_error()
    {
        string padded = "2026-01-05T14:30:00Z," + new string(' ', 5000) + "SPY" + new string(' ', 5000) + ",1,2,\n";
        var symbols = new SymbolTable();
        using (var reader = new TapeReader(new MemoryStream(Encoding.ASCII.GetBytes("time,symbol,bid,ask,last\n" + padded + padded)), "long.csv", symbols, TapeFormat.Csv, true, 64))
        {
            Assert.True(reader.TryRead(out var tick));
            Assert.Equal("SPY", symbols[tick.SymbolId]);
            Assert.True(reader.TryRead(out _));
            Assert.False(reader.TryRead(out _));
        }

        string huge = "time,symbol,bid,ask,last\n2026-01-05T14:30:00Z," + new string(' ', TapeReader.MaxLineLength) + "SPY,1,2,\n";
        using var tooLong = new TapeReader(new MemoryStream(Encoding.ASCII.GetBytes(huge)), "huge.csv", symbols, TapeFormat.Csv, true, 64);
        var e = Assert.Throws<TapeFormatException>(() => tooLong.TryRead(out _));
        Assert.Contains("huge.csv:2: line is longer than", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(TapeFormat.Csv)]
    [InlineData(TapeFormat.Jsonl)]
    public void Reading_allocates_nothing_per_row_once_symbols_are_interned(TapeFormat format)
    {
        var (csv, jsonl, expected) = BuildTape(20_000);
        var bytes = format == TapeFormat.Csv ? csv : jsonl;
        var symbols = new SymbolTable();
        // pass 1 interns every symbol and gets the code jitted; one-time runtime work (tiering, type
        // loads) may allocate once, so the claim is checked on later passes: a per-row allocation
        // would show in every one of them (20,000 rows each)
        var perPass = new List<long>();
        for (int pass = 0; pass < 4; pass++)
        {
            using var reader = TapeReader.Create(new MemoryStream(bytes), "mem", symbols, format);
            Assert.True(reader.TryRead(out _));
            long before = GC.GetAllocatedBytesForCurrentThread();
            long rows = 1;
            double sum = 0;
            while (reader.TryRead(out var tick)) { rows++; sum += tick.HasTrade ? tick.Last : tick.Bid; }
            perPass.Add(GC.GetAllocatedBytesForCurrentThread() - before);
            Assert.Equal(expected.Count, rows);
            Assert.True(sum > 0);
        }
        Assert.Equal(Symbols.Length, symbols.Count); // option roots are among the tickers
        Assert.Equal(0, perPass.Skip(1).Min());
        Assert.All(perPass.Skip(1), bytesAllocated => Assert.True(bytesAllocated < 20_000, $"{bytesAllocated} bytes over 20,000 rows"));
    }

    [Fact]
    public void Csv_tape_writer_output_reads_back_exactly()
    {
        var symbols = new SymbolTable();
        var stream = new MemoryStream();
        long t = NanoTime.ParseRfc3339("2026-01-05T14:30:00.000000001Z");
        using (var writer = new CsvTapeWriter(stream, leaveOpen: true))
        {
            writer.WriteQuoteCents(t, "SPY"u8, 59620, 59621);
            writer.WriteTradeCents(t + 5, "SPY"u8, 5);
            writer.WriteQuoteCents(t + 6, "SPY260220P00580000"u8, 0, 0);
            writer.WriteRow(t + 7, "QQQ"u8, 0.1 + 0.2, 1.0 / 3, double.NaN);
            writer.WriteRow(t + 8, "QQQ"u8, double.NaN, double.NaN, 512.25);
            Assert.Equal(5, writer.RowCount);
        }
        string text = Encoding.UTF8.GetString(stream.ToArray());
        Assert.StartsWith("time,symbol,bid,ask,last\n2026-01-05T14:30:00.000000001Z,SPY,596.20,596.21,\n2026-01-05T14:30:00.000000006Z,SPY,,,0.05\n", text, StringComparison.Ordinal);

        stream.Position = 0;
        using var reader = TapeReader.Create(stream, "mem.csv", symbols, TapeFormat.Csv);
        var ticks = new List<Tick>();
        while (reader.TryRead(out var tick)) ticks.Add(tick);
        Assert.Equal(5, ticks.Count);
        Assert.Equal((596.20, 596.21), (ticks[0].Bid, ticks[0].Ask));
        Assert.Equal(0.05, ticks[1].Last);
        Assert.Equal((0.0, 0.0), (ticks[2].Bid, ticks[2].Ask));
        Assert.Equal((0.1 + 0.2, 1.0 / 3), (ticks[3].Bid, ticks[3].Ask)); // round-trips bit for bit
        Assert.Equal(512.25, ticks[4].Last);
        Assert.Equal(t + 8, ticks[4].TimeNs);
    }
}
