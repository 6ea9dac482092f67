using System.Buffers;
using System.Text.Json;
using Streamer.Feed.MessagePack;
using Streamer.Rules.Market;

namespace Streamer.Stream.Emulator;

/// <summary>
/// Writes what Alpaca's data streams send, in either encoding: control messages and
/// batches of quotes/trades. Every frame is an array of messages (alpaca.md).
/// </summary>
internal static class ServerMessages
{
    public static void Success(IBufferWriter<byte> output, EmulatorFormat format, string msg)
    {
        if (format == EmulatorFormat.MessagePack)
        {
            var w = new MessagePackWriter(output);
            w.WriteArrayHeader(1);
            w.WriteMapHeader(2);
            w.WriteString("T"u8); w.WriteString("success"u8);
            w.WriteString("msg"u8); w.WriteString(msg);
            return;
        }
        using var json = new Utf8JsonWriter(output);
        json.WriteStartArray();
        json.WriteStartObject();
        json.WriteString("T"u8, "success"u8);
        json.WriteString("msg"u8, msg);
        json.WriteEndObject();
        json.WriteEndArray();
    }

    public static void Error(IBufferWriter<byte> output, EmulatorFormat format, int code, string msg)
    {
        if (format == EmulatorFormat.MessagePack)
        {
            var w = new MessagePackWriter(output);
            w.WriteArrayHeader(1);
            w.WriteMapHeader(3);
            w.WriteString("T"u8); w.WriteString("error"u8);
            w.WriteString("code"u8); w.WriteInt64(code);
            w.WriteString("msg"u8); w.WriteString(msg);
            return;
        }
        using var json = new Utf8JsonWriter(output);
        json.WriteStartArray();
        json.WriteStartObject();
        json.WriteString("T"u8, "error"u8);
        json.WriteNumber("code"u8, code);
        json.WriteString("msg"u8, msg);
        json.WriteEndObject();
        json.WriteEndArray();
    }

    /// <summary>
    /// The full-state reply. Stocks list every channel in Alpaca's order, corrections and
    /// cancelErrors following trades; options have trades and quotes only.
    /// </summary>
    public static void Subscription(IBufferWriter<byte> output, EmulatorFormat format, bool options,
        IReadOnlyCollection<string> trades, IReadOnlyCollection<string> quotes)
    {
        (string Key, IReadOnlyCollection<string> Items)[] channels = options
            ? [("trades", trades), ("quotes", quotes)]
            : [("trades", trades), ("quotes", quotes), ("bars", []), ("updatedBars", []), ("dailyBars", []),
               ("statuses", []), ("lulds", []), ("corrections", trades), ("cancelErrors", trades)];
        if (format == EmulatorFormat.MessagePack)
        {
            var w = new MessagePackWriter(output);
            w.WriteArrayHeader(1);
            w.WriteMapHeader(1 + channels.Length);
            w.WriteString("T"u8); w.WriteString("subscription"u8);
            foreach (var (key, items) in channels)
            {
                w.WriteString(key);
                w.WriteArrayHeader(items.Count);
                foreach (var s in items) w.WriteString(s);
            }
            return;
        }
        using var json = new Utf8JsonWriter(output);
        json.WriteStartArray();
        json.WriteStartObject();
        json.WriteString("T"u8, "subscription"u8);
        foreach (var (key, items) in channels)
        {
            json.WriteStartArray(key);
            foreach (var s in items) json.WriteStringValue(s);
            json.WriteEndArray();
        }
        json.WriteEndObject();
        json.WriteEndArray();
    }

    /// <summary>One data message in a batch being written; <see cref="BeginBatch"/>/<see cref="EndBatch"/> frame them.</summary>
    internal sealed class Batch(IBufferWriter<byte> output, EmulatorFormat format, bool options) : IDisposable
    {
        public void Dispose() => _json?.Dispose();

        private readonly Utf8JsonWriter? _json = format == EmulatorFormat.Json ? new Utf8JsonWriter(output) : null;
        private readonly ArrayBufferWriter<byte> _msgpackBody = new();
        private int _count;
        private long _tradeId;

        public int Count => _count;

        public void BeginBatch()
        {
            _count = 0;
            if (_json is not null)
            {
                _json.Reset(output);
                _json.WriteStartArray();
            }
            else
            {
                _msgpackBody.Clear();
            }
        }

        public void EndBatch()
        {
            if (_json is not null)
            {
                _json.WriteEndArray();
                _json.Flush();
                return;
            }
            var w = new MessagePackWriter(output);
            w.WriteArrayHeader(_count);
            w.WriteRaw(_msgpackBody.WrittenSpan);
        }

        public void Quote(ReadOnlySpan<byte> symbol, in Tick tick, long timeNs, long bidSize, long askSize)
        {
            _count++;
            if (_json is { } j)
            {
                Span<byte> time = stackalloc byte[Rules.Time.NanoTime.MaxRfc3339Length];
                int n = Rules.Time.NanoTime.FormatRfc3339(timeNs, time);
                j.WriteStartObject();
                j.WriteString("T"u8, "q"u8);
                j.WriteString("S"u8, symbol);
                j.WriteString("bx"u8, "V"u8);
                j.WriteNumber("bp"u8, tick.Bid);
                j.WriteNumber("bs"u8, bidSize);
                j.WriteString("ax"u8, "V"u8);
                j.WriteNumber("ap"u8, tick.Ask);
                j.WriteNumber("as"u8, askSize);
                j.WriteStartArray("c"u8);
                j.WriteStringValue("R"u8);
                j.WriteEndArray();
                j.WriteString("z"u8, "C"u8);
                j.WriteString("t"u8, time[..n]);
                j.WriteEndObject();
                return;
            }
            var w = new MessagePackWriter(_msgpackBody);
            w.WriteMapHeader(options ? 10 : 11);
            w.WriteString("T"u8); w.WriteString("q"u8);
            w.WriteString("S"u8); w.WriteString(symbol);
            w.WriteString("t"u8); w.WriteTimestamp(timeNs);
            w.WriteString("bx"u8); w.WriteString("C"u8);
            w.WriteString("bp"u8); w.WriteDouble(tick.Bid);
            w.WriteString("bs"u8); w.WriteInt64(bidSize);
            w.WriteString("ax"u8); w.WriteString("C"u8);
            w.WriteString("ap"u8); w.WriteDouble(tick.Ask);
            w.WriteString("as"u8); w.WriteInt64(askSize);
            if (options)
            {
                w.WriteString("c"u8); w.WriteString("A"u8);
            }
            else
            {
                w.WriteString("c"u8); w.WriteArrayHeader(1); w.WriteString("R"u8);
                w.WriteString("z"u8); w.WriteString("C"u8);
            }
        }

        public void Trade(ReadOnlySpan<byte> symbol, in Tick tick, long timeNs)
        {
            _count++;
            long id = ++_tradeId;
            if (_json is { } j)
            {
                Span<byte> time = stackalloc byte[Rules.Time.NanoTime.MaxRfc3339Length];
                int n = Rules.Time.NanoTime.FormatRfc3339(timeNs, time);
                j.WriteStartObject();
                j.WriteString("T"u8, "t"u8);
                j.WriteString("S"u8, symbol);
                j.WriteNumber("i"u8, id);
                j.WriteString("x"u8, "V"u8);
                j.WriteNumber("p"u8, tick.Last);
                j.WriteNumber("s"u8, 100);
                j.WriteStartArray("c"u8);
                j.WriteStringValue("@"u8);
                j.WriteEndArray();
                j.WriteString("z"u8, "C"u8);
                j.WriteString("t"u8, time[..n]);
                j.WriteEndObject();
                return;
            }
            var w = new MessagePackWriter(_msgpackBody);
            w.WriteMapHeader(options ? 7 : 9);
            w.WriteString("T"u8); w.WriteString("t"u8);
            w.WriteString("S"u8); w.WriteString(symbol);
            w.WriteString("t"u8); w.WriteTimestamp(timeNs);
            w.WriteString("p"u8); w.WriteDouble(tick.Last);
            w.WriteString("s"u8); w.WriteInt64(1);
            w.WriteString("x"u8); w.WriteString("C"u8);
            if (options)
            {
                w.WriteString("c"u8); w.WriteString("I"u8);
            }
            else
            {
                w.WriteString("i"u8); w.WriteInt64(id);
                w.WriteString("c"u8); w.WriteArrayHeader(1); w.WriteString("@"u8);
                w.WriteString("z"u8); w.WriteString("C"u8);
            }
        }
    }
}
