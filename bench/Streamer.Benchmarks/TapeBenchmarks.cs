using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using Streamer.Feed.Synth;
using Streamer.Feed.Tapes;
using Streamer.Rules.Instruments;
using Streamer.Rules.Time;

namespace Streamer.Benchmarks;

/// <summary>
/// Tape parsing from memory (no disk), per row: a synthetic tape of 1,000 options over 100
/// underlyings, the throughput test's shape. Symbols are interned in setup, so the rows
/// themselves must show 0 B. Also the generator itself, per row written.
/// </summary>
[Config(typeof(BenchmarkConfig))]
public class TapeBenchmarks
{
    private const int Rows = 200_000;
    private byte[] _csv = [];
    private byte[] _jsonl = [];
    private byte[] _binary = [];
    private SymbolTable _symbols = new();
    private SynthOptions _synth = new();

    [GlobalSetup]
    public void Setup()
    {
        var symbols = new List<string>();
        var spots = new Dictionary<string, double>();
        for (int u = 0; u < 100; u++)
        {
            string root = "U" + (char)('A' + u / 26) + (char)('A' + u % 26);
            double spot = 50 + u * 5;
            spots[root] = spot;
            for (int k = 0; k < 10; k++)
            {
                long strike = (long)Math.Round(spot * (0.9 + 0.02 * k));
                var expiry = k < 5 ? new DateOnly(2026, 1, 16) : new DateOnly(2026, 2, 20);
                symbols.Add(new OccSymbol(root, expiry, k % 2 == 0 ? OptionRight.Call : OptionRight.Put, strike * 1000).ToString());
            }
        }
        _synth = new SynthOptions { Symbols = symbols, Spots = spots, Ticks = Rows, TicksPerSecond = 50, Seed = 1 };
        var csv = new MemoryStream();
        SynthTape.Write(_synth, csv);
        _csv = csv.ToArray();
        _jsonl = ToJsonl(_csv);
        _binary = ToBinary(_csv);

        _symbols = new SymbolTable();
        ParseCsv();   // interns every symbol once
        ParseJsonl();
        ParseBinary();
    }

    [Benchmark(OperationsPerInvoke = Rows)]
    public long ParseCsv() => Parse(_csv, TapeFormat.Csv);

    [Benchmark(OperationsPerInvoke = Rows)]
    public long ParseJsonl() => Parse(_jsonl, TapeFormat.Jsonl);

    [Benchmark(OperationsPerInvoke = Rows)]
    public long ParseBinary() => Parse(_binary, TapeFormat.Binary);

    [Benchmark(OperationsPerInvoke = Rows)]
    public long SynthWrite() => SynthTape.Write(_synth, System.IO.Stream.Null).Rows;

    private long Parse(byte[] tape, TapeFormat format)
    {
        using var reader = TapeReader.Create(new MemoryStream(tape, writable: false), "bench", _symbols, format);
        long checksum = 0;
        while (reader.TryRead(out var tick)) checksum += tick.SymbolId;
        return checksum;
    }

    private static byte[] ToBinary(byte[] csv)
    {
        var symbols = new SymbolTable();
        using var reader = TapeReader.Create(new MemoryStream(csv), "setup", symbols, TapeFormat.Csv);
        var output = new MemoryStream();
        using (var writer = new BinaryTapeWriter(output, leaveOpen: true))
            while (reader.TryRead(out var t)) writer.Write(in t, symbols[t.SymbolId]);
        return output.ToArray();
    }

    private static byte[] ToJsonl(byte[] csv)
    {
        var symbols = new SymbolTable();
        using var reader = TapeReader.Create(new MemoryStream(csv), "setup", symbols, TapeFormat.Csv);
        var sb = new StringBuilder();
        while (reader.TryRead(out var t))
        {
            string time = NanoTime.FormatRfc3339(t.TimeNs), s = symbols[t.SymbolId];
            if (t.HasQuote)
                sb.Append(CultureInfo.InvariantCulture, $"{{\"T\":\"q\",\"S\":\"{s}\",\"bx\":\"V\",\"bp\":{t.Bid},\"bs\":1,\"ax\":\"V\",\"ap\":{t.Ask},\"as\":2,\"c\":[\"R\"],\"z\":\"B\",\"t\":\"{time}\"}}\n");
            if (t.HasTrade)
                sb.Append(CultureInfo.InvariantCulture, $"{{\"T\":\"t\",\"S\":\"{s}\",\"i\":52983525029461,\"x\":\"V\",\"p\":{t.Last},\"s\":100,\"c\":[\"@\"],\"z\":\"B\",\"t\":\"{time}\"}}\n");
        }
        return Encoding.UTF8.GetBytes(sb.ToString());
    }
}
