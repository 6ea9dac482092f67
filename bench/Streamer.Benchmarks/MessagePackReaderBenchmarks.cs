using System.Buffers;
using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using Library = MessagePack;
using Ours = Streamer.Feed.MessagePack;

namespace Streamer.Benchmarks;

/// <summary>
/// Our span reader (<c>src/Feed/MessagePack/MessagePackReader.cs</c>) against MessagePack-CSharp
/// 2.5.307's <c>MessagePackReader</c>, on the options stream's quote frames (1 and 20 quotes per
/// frame). Both do what <c>AlpacaFrameParser.ParseMessagePack</c> does per quote: walk the map,
/// take T and S as UTF-8 slices, the timestamp extension to the nanosecond, bp and ap as doubles,
/// skip the other five values. The symbol lookup and the handler call, the same for both, are
/// left out. Reported per frame; per quote is the 20-quote row / 20.
/// </summary>
[MemoryDiagnoser]
public class MessagePackReaderBenchmarks
{
    private byte[] _frame = [];
    private ReadOnlyMemory<byte> _memory;

    [Params(1, 20)]
    public int Quotes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _frame = OptionQuoteFrames.Build(Quotes);
        _memory = _frame;
        double ours = OurReader(), library = MessagePackCSharpReader();
        if (ours != library) throw new InvalidOperationException($"the readers disagree: {ours} vs {library}");
    }

    [Benchmark(Baseline = true)]
    public double OurReader()
    {
        var r = new Ours.MessagePackReader(_frame);
        double sum = 0;
        if (!r.TryReadArrayHeader(out int count)) return double.NaN;
        for (int m = 0; m < count; m++)
        {
            if (!r.TryReadMapHeader(out int pairs)) return double.NaN;
            for (int i = 0; i < pairs; i++)
            {
                if (!r.TryReadString(out var key)) return double.NaN;
                bool ok;
                if (key.Length == 1)
                {
                    switch (key[0])
                    {
                        case (byte)'T': ok = r.TryReadString(out var type); sum += type[0]; break;
                        case (byte)'S': ok = r.TryReadString(out var symbol); sum += symbol[^1]; break;
                        case (byte)'t': ok = r.TryReadTimestamp(out long ns); sum += ns % 1_000_000; break;
                        default: ok = r.TrySkip(); break;
                    }
                }
                else if (key.Length == 2 && key[1] == (byte)'p' && key[0] is (byte)'b' or (byte)'a')
                {
                    ok = r.TryReadDouble(out double price);
                    sum += price;
                }
                else ok = r.TrySkip();
                if (!ok) return double.NaN;
            }
        }
        return sum;
    }

    [Benchmark]
    public double MessagePackCSharpReader()
    {
        // the library throws (MessagePackSerializationException, EndOfStreamException) where ours returns false
        var r = new Library.MessagePackReader(_memory);
        double sum = 0;
        int count = r.ReadArrayHeader();
        for (int m = 0; m < count; m++)
        {
            int pairs = r.ReadMapHeader();
            for (int i = 0; i < pairs; i++)
            {
                if (!r.TryReadStringSpan(out var key)) return double.NaN; // false only for a string split across segments: never on one array
                if (key.Length == 1)
                {
                    switch (key[0])
                    {
                        case (byte)'T': sum += Span(ref r)[0]; break;
                        case (byte)'S': sum += Span(ref r)[^1]; break;
                        case (byte)'t': sum += Timestamp(ref r) % 1_000_000; break;
                        default: r.Skip(); break;
                    }
                }
                else if (key.Length == 2 && key[1] == (byte)'p' && key[0] is (byte)'b' or (byte)'a')
                    sum += r.ReadDouble();
                else r.Skip();
            }
        }
        return sum;
    }

    private static ReadOnlySpan<byte> Span(ref Library.MessagePackReader r) =>
        r.TryReadStringSpan(out var span) ? span : throw new InvalidOperationException("split string");

    /// <summary>The timestamp extension to the nanosecond (the library's ReadDateTime stops at 100 ns ticks).</summary>
    private static long Timestamp(ref Library.MessagePackReader r)
    {
        var header = r.ReadExtensionFormatHeader();
        if (header.TypeCode != -1) throw new InvalidOperationException("not a timestamp");
        var raw = r.ReadRaw(header.Length);
        var data = raw.IsSingleSegment ? raw.FirstSpan : raw.ToArray();
        return data.Length switch
        {
            4 => BinaryPrimitives.ReadUInt32BigEndian(data) * 1_000_000_000L,
            8 => (long)(BinaryPrimitives.ReadUInt64BigEndian(data) & 0x3_ffff_ffffUL) * 1_000_000_000L + (long)(BinaryPrimitives.ReadUInt64BigEndian(data) >> 34),
            12 => BinaryPrimitives.ReadInt64BigEndian(data[4..]) * 1_000_000_000L + BinaryPrimitives.ReadUInt32BigEndian(data),
            _ => throw new InvalidOperationException("bad timestamp"),
        };
    }
}
