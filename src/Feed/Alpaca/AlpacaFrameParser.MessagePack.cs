using System.Text;
using Streamer.Feed.MessagePack;
using Streamer.Rules.Time;

namespace Streamer.Feed.Alpaca;

public sealed partial class AlpacaFrameParser
{
    private const string MsgPackWhere = "options frame";

    /// <summary>
    /// Parses one MessagePack frame (an array of maps, as the options stream sends; stocks
    /// too when MessagePack was asked for). <c>t</c> is the timestamp extension (an RFC 3339
    /// string is accepted too); <c>c</c> may be a string or an array. Returns false when the
    /// frame was malformed; messages read whole before the fault have been delivered.
    /// </summary>
    public bool ParseMessagePack(ReadOnlySpan<byte> frame, IAlpacaFrameHandler handler)
    {
        var reader = new MessagePackReader(frame);
        if (!reader.TryReadArrayHeader(out int count))
            return MsgPackFrameBroken(reader, "the frame is not an array");
        for (int index = 0; index < count; index++)
        {
            if (reader.PeekType() != MessagePackType.Map)
            {
                if (!reader.TrySkip()) return MsgPackFrameBroken(reader, $"message {index}");
                MessageMalformed(MsgPackWhere, index, "not a map");
                continue;
            }
            if (!ParseMsgPackMessage(ref reader, handler, index))
                return MsgPackFrameBroken(reader, $"message {index}");
        }
        if (!reader.End) return FrameMalformed(MsgPackWhere, $"{reader.Remaining} bytes after the array");
        return true;
    }

    private bool MsgPackFrameBroken(in MessagePackReader reader, string what) =>
        FrameMalformed(MsgPackWhere, $"{what}: {reader.Error} at byte {reader.ErrorPosition}");

    /// <summary>Returns false only when the frame's structure is broken (the reader cannot go on).</summary>
    private bool ParseMsgPackMessage(ref MessagePackReader reader, IAlpacaFrameHandler handler, int index)
    {
        var start = reader;
        if (!reader.TryReadMapHeader(out int pairs)) return false;
        var kind = MessageKind.Missing;
        var seen = Seen.None;
        ReadOnlySpan<byte> symbol = default;
        double bid = 0, ask = 0, price = 0;
        long timeNs = 0;

        for (int i = 0; i < pairs; i++)
        {
            if (!reader.TryReadString(out var key))
            {
                // a non-string key: skip key and value, the message cannot be trusted
                if (!reader.TrySkip() || !reader.TrySkip()) return false;
                kind = MessageKind.Missing;
                continue;
            }
            bool ok = true; // false: the value had another type than expected and must be skipped
            if (key.Length == 1)
            {
                switch (key[0])
                {
                    case (byte)'T':
                        if (reader.TryReadString(out var type))
                        {
                            kind = Classify(type);
                            if (kind == MessageKind.Control)
                            {
                                reader = start;
                                var control = ReadMsgPackControl(ref reader);
                                if (control is null) return false;
                                handler.OnControl(control);
                                return true;
                            }
                        }
                        else { ok = false; kind = MessageKind.Unknown; }
                        break;
                    case (byte)'S':
                        if (reader.TryReadString(out symbol)) seen |= Seen.Symbol; else ok = false;
                        break;
                    case (byte)'p':
                        if (reader.TryReadDouble(out price)) seen |= Seen.Price; else ok = false;
                        break;
                    case (byte)'t':
                        if (reader.PeekType() == MessagePackType.Extension)
                        {
                            if (reader.TryReadTimestamp(out timeNs)) seen |= Seen.Time; else ok = false;
                        }
                        else if (reader.PeekType() == MessagePackType.String)
                        {
                            reader.TryReadString(out var text);
                            if (NanoTime.TryParseRfc3339(text, out timeNs)) seen |= Seen.Time;
                        }
                        else ok = false;
                        break;
                    default:
                        if (!reader.TrySkip()) return false;
                        break;
                }
            }
            else if (key.Length == 2 && key[1] == (byte)'p' && key[0] is (byte)'b' or (byte)'a')
            {
                if (key[0] == (byte)'b')
                {
                    if (reader.TryReadDouble(out bid)) seen |= Seen.Bid; else ok = false;
                }
                else if (reader.TryReadDouble(out ask)) seen |= Seen.Ask; else ok = false;
            }
            else if (!reader.TrySkip()) return false;

            if (!ok)
            {
                // a value of the wrong type: a truncation ends the frame, anything else is skipped
                if (reader.Error == MessagePackError.Truncated) return false;
                if (!reader.TrySkip()) return false;
            }
        }
        Complete(kind, seen, symbol, bid, ask, price, timeNs, handler, MsgPackWhere, index);
        return true;
    }

    // cold: control messages allocate their strings and lists; null when the structure is broken
    private static AlpacaControlMessage? ReadMsgPackControl(ref MessagePackReader reader)
    {
        if (!reader.TryReadMapHeader(out int pairs)) return null;
        string type = "", msg = "";
        int code = 0;
        List<string> trades = [], quotes = [], bars = [];
        var other = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        for (int i = 0; i < pairs; i++)
        {
            if (!reader.TryReadString(out var keyBytes))
            {
                if (!reader.TrySkip() || !reader.TrySkip()) return null;
                continue;
            }
            string key = Encoding.UTF8.GetString(keyBytes);
            var valueType = reader.PeekType();
            if (key is "T" or "msg" && valueType == MessagePackType.String)
            {
                reader.TryReadString(out var v);
                if (key == "T") type = Encoding.UTF8.GetString(v); else msg = Encoding.UTF8.GetString(v);
            }
            else if (key == "code" && valueType == MessagePackType.Integer)
            {
                if (!reader.TryReadInt32(out code) && !reader.TrySkip()) return null;
            }
            else if (valueType == MessagePackType.Array)
            {
                if (!reader.TryReadArrayHeader(out int n)) return null;
                var list = key switch { "trades" => trades, "quotes" => quotes, "bars" => bars, _ => new List<string>(n) };
                for (int j = 0; j < n; j++)
                {
                    if (reader.TryReadString(out var s)) list.Add(Encoding.UTF8.GetString(s));
                    else if (!reader.TrySkip()) return null;
                }
                if (key is not ("trades" or "quotes" or "bars")) other[key] = list;
            }
            else if (!reader.TrySkip()) return null;
        }
        return new AlpacaControlMessage
        {
            Kind = type switch { "success" => AlpacaControlKind.Success, "error" => AlpacaControlKind.Error, _ => AlpacaControlKind.Subscription },
            Message = msg,
            Code = code,
            Trades = trades,
            Quotes = quotes,
            Bars = bars,
            OtherChannels = other,
        };
    }
}
