using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using MemoryPack;
using Streamer.Feed.Synth;
using Streamer.Feed.Tapes;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;
using Streamer.Rules.Time;

namespace Streamer.Benchmarks;

/// <summary>
/// Why the binary tape is our fixed-width format and not MemoryPack (issue 14 named MemoryPack
/// 1.22.0 the default, "or a fixed-width block format, if measured faster"): the same 200,000
/// ticks, read back with the same checks (symbol index, fields, time range and order).
/// <c>ParseMemoryPack</c> is MemoryPack's best case by hand: blocks of 4,096 unmanaged rows (a
/// memcpy each) decoded into one reused array from a byte array, no reader. It is faster (1.8–2.0
/// against 4.1 ns per row), so the .stape body was also tried as MemoryPack blocks inside
/// <see cref="TapeReader"/>: 4.8 ns and 1 B per row, slower than the fixed-width records' 4.1 ns
/// and 0 B (docs/tapes.md). The difference is the reader, not the format.
/// </summary>
[Config(typeof(BenchmarkConfig))]
public class BinaryTapeChoiceBenchmarks
{
    private const int Rows = 200_000;
    private const int Block = 4096;
    private byte[] _stape = [];
    private byte[] _memoryPack = [];
    private TickRow[]? _rows = new TickRow[Block];
    private SymbolTable _symbols = new();
    private int _symbolCount;

    [StructLayout(LayoutKind.Sequential, Pack = 1)]
    public struct TickRow
    {
        public long TimeNs;
        public int Symbol;
        public byte Fields;
        public double Bid, Ask, Last;
    }

    [GlobalSetup]
    public void Setup()
    {
        var symbols = new List<string>();
        var spots = new Dictionary<string, double>();
        for (int u = 0; u < 100; u++)
        {
            string root = "U" + (char)('A' + u / 26) + (char)('A' + u % 26);
            spots[root] = 50 + u * 5;
            for (int k = 0; k < 10; k++)
                symbols.Add(new OccSymbol(root, new DateOnly(2026, 2, 20), k % 2 == 0 ? OptionRight.Call : OptionRight.Put, (long)Math.Round(spots[root] * (0.9 + 0.02 * k)) * 1000).ToString());
        }
        var csv = new MemoryStream();
        SynthTape.Write(new SynthOptions { Symbols = symbols, Spots = spots, Ticks = Rows, TicksPerSecond = 50, Seed = 1 }, csv);
        csv.Position = 0;
        var table = new SymbolTable();
        var ticks = new List<Tick>();
        using (var reader = TapeReader.Create(csv, "setup", table, TapeFormat.Csv))
            while (reader.TryRead(out var t)) ticks.Add(t);

        var stape = new MemoryStream();
        using (var writer = new BinaryTapeWriter(stape, leaveOpen: true))
            foreach (var t in ticks) writer.Write(in t, table[t.SymbolId]);
        _stape = stape.ToArray();

        // MemoryPack: the symbol names once, then length-prefixed blocks of rows
        var mp = new MemoryStream();
        var names = Enumerable.Range(1, table.Count).Select(i => table[i]).ToArray(); // ids 1..Count
        var head = MemoryPackSerializer.Serialize(names);
        mp.Write(BitConverter.GetBytes(head.Length));
        mp.Write(head);
        for (int i = 0; i < ticks.Count; i += Block)
        {
            var block = ticks.Skip(i).Take(Block).Select(t => new TickRow { TimeNs = t.TimeNs, Symbol = t.SymbolId, Fields = (byte)t.Fields, Bid = t.Bid, Ask = t.Ask, Last = t.Last }).ToArray();
            var bytes = MemoryPackSerializer.Serialize(block);
            mp.Write(BitConverter.GetBytes(bytes.Length));
            mp.Write(bytes);
        }
        _memoryPack = mp.ToArray();
        _symbols = new SymbolTable();
        ParseStape();
        ParseMemoryPack();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Rows)]
    public long ParseStape()
    {
        using var reader = TapeReader.Create(new MemoryStream(_stape, writable: false), "bench", _symbols, TapeFormat.Binary);
        long checksum = 0;
        while (reader.TryRead(out var tick)) checksum += tick.SymbolId;
        return checksum;
    }

    [Benchmark(OperationsPerInvoke = Rows)]
    public long ParseMemoryPack()
    {
        var span = _memoryPack.AsSpan();
        int headLength = BitConverter.ToInt32(span);
        if (_symbolCount == 0)
        {
            var names = MemoryPackSerializer.Deserialize<string[]>(span.Slice(4, headLength))!;
            foreach (var n in names) _symbols.Intern(n);
            _symbolCount = names.Length + 1;
        }
        span = span[(4 + headLength)..];
        long checksum = 0, previous = long.MinValue;
        while (!span.IsEmpty)
        {
            int length = BitConverter.ToInt32(span);
            MemoryPackSerializer.Deserialize(span.Slice(4, length), ref _rows);
            span = span[(4 + length)..];
            foreach (ref readonly var r in _rows.AsSpan())
            {
                // the checks the .stape reader makes per record
                if ((uint)r.Symbol >= (uint)_symbolCount || r.Fields is 0 or > 3 || !NanoTime.InRange(r.TimeNs) || r.TimeNs < previous) throw new InvalidDataException("bad row");
                previous = r.TimeNs;
                var tick = new Tick { TimeNs = r.TimeNs, SymbolId = r.Symbol, Fields = (TickFields)r.Fields, Bid = r.Bid, Ask = r.Ask, Last = r.Last };
                checksum += tick.SymbolId;
            }
        }
        return checksum;
    }
}
