using System.Buffers;
using Streamer.Feed.MessagePack;

namespace Streamer.Benchmarks;

/// <summary>The options stream's shape: a MessagePack array of quote maps, the ten keys Alpaca sends, a timestamp extension.</summary>
internal static class OptionQuoteFrames
{
    public static readonly string[] Symbols = ["AAPL240315C00172500", "META260220C00720000", "SPY260220P00580000", "SPY260220P00575000", "QQQ260320C00500000"];

    public static byte[] Build(int messages)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var w = new MessagePackWriter(buffer);
        w.WriteArrayHeader(messages);
        for (int i = 0; i < messages; i++)
        {
            w.WriteMapHeader(10);
            w.WriteString("T"); w.WriteString("q");
            w.WriteString("S"); w.WriteString(Symbols[i % Symbols.Length]);
            w.WriteString("t"); w.WriteTimestamp(1_721_829_413_639_713_735L + i);
            w.WriteString("bx"); w.WriteString("C");
            w.WriteString("bp"); w.WriteDouble(1.25 + i * 0.01);
            w.WriteString("bs"); w.WriteInt64(12);
            w.WriteString("ax"); w.WriteString("X");
            w.WriteString("ap"); w.WriteDouble(1.3 + i * 0.01);
            w.WriteString("as"); w.WriteInt64(3);
            w.WriteString("c"); w.WriteString("A");
        }
        return buffer.WrittenSpan.ToArray();
    }
}
