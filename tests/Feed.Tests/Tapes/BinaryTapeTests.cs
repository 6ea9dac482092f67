using System.Text;
using Streamer.Feed.Tapes;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;

namespace Streamer.Feed.Tests.Tapes;

public sealed class BinaryTapeTests
{
    private const string Csv = """
        time,symbol,bid,ask,last
        2026-01-05T15:00:00Z,SPY,602.79,602.81,
        2026-01-05T15:00:00.001Z,SPY260220P00580000,5.88,5.90,
        2026-01-05T15:00:01.123456789Z,SPY,,,602.80
        2026-01-05T15:00:02Z,SPY,0,0.05,602.75
        """;

    private static List<(Tick Tick, string Symbol)> ReadAll(byte[] tape, TapeFormat? format = null)
    {
        var symbols = new SymbolTable();
        using var reader = TapeReader.Create(new MemoryStream(tape), "t", symbols, format);
        var list = new List<(Tick, string)>();
        while (reader.TryRead(out Tick t)) list.Add((t, symbols[t.SymbolId]));
        return list;
    }

    private static byte[] ToBinary(byte[] tape)
    {
        var symbols = new SymbolTable();
        using var reader = TapeReader.Create(new MemoryStream(tape), "t", symbols);
        var output = new MemoryStream();
        using (var writer = new BinaryTapeWriter(output, leaveOpen: true))
            while (reader.TryRead(out Tick t)) writer.Write(in t, symbols[t.SymbolId]);
        return output.ToArray();
    }

    [Fact]
    public void A_tape_converted_to_binary_reads_back_tick_for_tick_and_is_sniffed_by_its_header()
    {
        var csv = Encoding.UTF8.GetBytes(Csv);
        var binary = ToBinary(csv);
        Assert.True(binary.AsSpan().StartsWith("STRTAPE1"u8));
        // 8 header bytes, two symbol records, four 38-byte ticks
        Assert.Equal(8 + (3 + 3) + (3 + 18) + 4 * BinaryTape.TickRecordBytes, binary.Length);
        var expected = ReadAll(csv);
        var actual = ReadAll(binary); // no format given: the header says binary
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Symbol, actual[i].Symbol);
            Assert.Equal(expected[i].Tick.TimeNs, actual[i].Tick.TimeNs);
            Assert.Equal(expected[i].Tick.Fields, actual[i].Tick.Fields);
            if (expected[i].Tick.HasQuote) Assert.Equal((expected[i].Tick.Bid, expected[i].Tick.Ask), (actual[i].Tick.Bid, actual[i].Tick.Ask));
            if (expected[i].Tick.HasTrade) Assert.Equal(expected[i].Tick.Last, actual[i].Tick.Last);
        }
        Assert.Equal(TapeFormat.Binary, TapeReader.FormatFromExtension("x.stape"));
    }

    [Fact]
    public void Reading_a_binary_tape_allocates_nothing_per_tick()
    {
        var lines = new StringBuilder("time,symbol,bid,ask,last\n");
        for (int i = 0; i < 5_000; i++) lines.Append(System.Globalization.CultureInfo.InvariantCulture, $"2026-01-05T15:00:{i / 1000:D2}.{i % 1000:D3}Z,SPY,{600 + i % 7}.01,{600 + i % 7}.03,\n");
        var binary = ToBinary(Encoding.UTF8.GetBytes(lines.ToString()));
        var symbols = new SymbolTable();
        // the runtime may allocate one-offs on this thread (tiering, OSR) in any pass: one clean pass proves 0 B per tick
        long best = long.MaxValue;
        for (int pass = 0; pass < 8 && best != 0; pass++)
        {
            using var reader = TapeReader.Create(new MemoryStream(binary), "t", symbols);
            reader.TryRead(out _); // the header, the buffer rented, the symbol defined
            long before = GC.GetAllocatedBytesForCurrentThread();
            int n = 1;
            while (reader.TryRead(out _)) n++;
            best = Math.Min(best, GC.GetAllocatedBytesForCurrentThread() - before);
            Assert.Equal(5_000, n);
        }
        Assert.Equal(0, best);
    }

    [Theory]
    [InlineData("truncated", "a tick record cut short")]
    [InlineData("tag", "unknown record tag 0x58")]
    [InlineData("symbol", "index 7 was never defined")]
    [InlineData("fields", "0x04 is neither a quote")]
    [InlineData("backwards", "is earlier than the previous row's")]
    [InlineData("year", "outside the years 1900-2200")]
    [InlineData("header", "not a Streamer binary tape")]
    public void A_damaged_binary_tape_is_refused_naming_the_record(string damage, string expected)
    {
        var binary = ToBinary(Encoding.UTF8.GetBytes(Csv));
        int lastTick = binary.Length - BinaryTape.TickRecordBytes;
        switch (damage)
        {
            case "truncated": binary = binary[..^5]; break;
            case "tag": binary[lastTick] = (byte)'X'; break;
            case "symbol": binary[lastTick + 9] = 7; break;
            case "fields": binary[lastTick + 13] = 4; break;
            case "backwards": System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(binary.AsSpan(lastTick + 1), 0); break;
            case "year": System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(binary.AsSpan(lastTick + 1), long.MaxValue); break;
            case "header": binary[0] = (byte)'X'; break;
        }
        var e = Assert.Throws<TapeFormatException>(() => ReadAll(binary, TapeFormat.Binary));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.StartsWith("t:", e.Message, StringComparison.Ordinal);
    }
}
