using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Streamer.Rules.Time;

namespace Streamer.Feed.Alpaca;

public sealed partial class AlpacaFrameParser
{
    private const string JsonWhere = "stocks frame";

    /// <summary>
    /// Parses one JSON frame (a JSON array of message objects, as the stock stream sends).
    /// Returns false when the frame was malformed (counted in <see cref="MalformedFrames"/>);
    /// messages read whole before the fault have been delivered.
    /// </summary>
    public bool ParseJson(ReadOnlySpan<byte> frame, IAlpacaFrameHandler handler)
    {
        var reader = new Utf8JsonReader(frame, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 32 });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
                return FrameMalformed(JsonWhere, "not a JSON array");
            int index = 0;
            while (true)
            {
                if (!reader.Read()) return FrameMalformed(JsonWhere, "the array is not closed");
                if (reader.TokenType == JsonTokenType.EndArray) break;
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    ParseJsonMessage(ref reader, frame, handler, index);
                }
                else
                {
                    reader.Skip();
                    MessageMalformed(JsonWhere, index, $"a {reader.TokenType} where a message object belongs");
                }
                index++;
            }
            if (reader.Read()) return FrameMalformed(JsonWhere, "content after the array");
            return true;
        }
        catch (JsonException e)
        {
            return JsonFrameBroken(e);
        }
        catch (InvalidOperationException e)
        {
            // a string that is not UTF-8: the reader checks only when one is read (found by fuzzing); the frame is malformed, not the feed
            return FrameMalformed(JsonWhere, $"invalid text ({e.Message})");
        }
    }

    private bool JsonFrameBroken(JsonException e) => FrameMalformed(JsonWhere, $"invalid JSON ({e.Message})");

    private void ParseJsonMessage(ref Utf8JsonReader reader, ReadOnlySpan<byte> frame, IAlpacaFrameHandler handler, int index)
    {
        int objectStart = (int)reader.TokenStartIndex; // control messages are re-read from here
        var kind = MessageKind.Missing;
        var seen = Seen.None;
        ReadOnlySpan<byte> symbol = default;
        double bid = 0, ask = 0, price = 0;
        long timeNs = 0;

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var key = reader.ValueSpan; // Alpaca's keys are never escaped; an escaped key just goes unmatched
            reader.Read();
            var token = reader.TokenType;
            if (token is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                reader.Skip();
                continue;
            }
            if (key.Length == 1)
            {
                switch (key[0])
                {
                    case (byte)'T':
                        if (token == JsonTokenType.String && !reader.ValueIsEscaped)
                        {
                            kind = Classify(reader.ValueSpan);
                            if (kind == MessageKind.Control)
                            {
                                var control = new Utf8JsonReader(frame[objectStart..]);
                                control.Read();
                                handler.OnControl(ReadJsonControl(ref control));
                                SkipRestOfObject(ref reader);
                                return;
                            }
                        }
                        else kind = MessageKind.Unknown;
                        break;
                    case (byte)'S':
                        if (token != JsonTokenType.String) break;
                        symbol = reader.ValueIsEscaped ? Unescape(ref reader) : reader.ValueSpan;
                        seen |= Seen.Symbol;
                        break;
                    case (byte)'p':
                        if (token == JsonTokenType.Number && reader.TryGetDouble(out price)) seen |= Seen.Price;
                        break;
                    case (byte)'t':
                        if (token == JsonTokenType.String && !reader.ValueIsEscaped && NanoTime.TryParseRfc3339(reader.ValueSpan, out timeNs))
                            seen |= Seen.Time;
                        break;
                }
            }
            else if (key.Length == 2 && key[1] == (byte)'p')
            {
                if (key[0] == (byte)'b')
                {
                    if (token == JsonTokenType.Number && reader.TryGetDouble(out bid)) seen |= Seen.Bid;
                }
                else if (key[0] == (byte)'a')
                {
                    if (token == JsonTokenType.Number && reader.TryGetDouble(out ask)) seen |= Seen.Ask;
                }
            }
        }
        if (reader.TokenType != JsonTokenType.EndObject) return; // the frame ended inside the object: never a tick
        Complete(kind, seen, symbol, bid, ask, price, timeNs, handler, JsonWhere, index);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static byte[] Unescape(ref Utf8JsonReader reader) => Encoding.UTF8.GetBytes(reader.GetString()!);

    private static void SkipRestOfObject(ref Utf8JsonReader reader)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            reader.Read();
            reader.Skip();
        }
    }

    // cold: control messages allocate their strings and lists
    private static AlpacaControlMessage ReadJsonControl(ref Utf8JsonReader reader)
    {
        string type = "", msg = "";
        int code = 0;
        List<string> trades = [], quotes = [], bars = [];
        var other = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string key = reader.GetString()!;
            reader.Read();
            switch (key)
            {
                case "T" when reader.TokenType == JsonTokenType.String: type = reader.GetString()!; break;
                case "msg" when reader.TokenType == JsonTokenType.String: msg = reader.GetString()!; break;
                case "code" when reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out int c): code = c; break;
                default:
                    if (reader.TokenType == JsonTokenType.StartArray)
                    {
                        var list = key switch { "trades" => trades, "quotes" => quotes, "bars" => bars, _ => [] };
                        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                        {
                            if (reader.TokenType == JsonTokenType.String) list.Add(reader.GetString()!);
                            else reader.Skip();
                        }
                        if (key is not ("trades" or "quotes" or "bars")) other[key] = list;
                    }
                    else
                    {
                        reader.Skip();
                    }
                    break;
            }
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
