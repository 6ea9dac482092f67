using System.Runtime.CompilerServices;
using System.Text.Json;
using Streamer.Rules.Market;

namespace Streamer.Feed.Tapes;

/// <summary>
/// JSONL rows: one Alpaca market-data message per line. Quotes <c>{"T":"q","S","bp","ap","t"}</c>
/// and trades <c>{"T":"t","S","p","t"}</c> become ticks; other keys (bx, bs, ax, as, c, z, i, x, s …)
/// are skipped, and so are messages of other types (bars, statuses, control messages).
/// </summary>
public sealed partial class TapeReader
{
    private const int MaxStringBytes = 64;
    private byte[]? _unescapedSymbol;
    private byte[]? _unescapedTime;

    private enum MessageKind : byte { Missing, Quote, Trade, Other }

    private bool TryParseJsonLine(ReadOnlySpan<byte> line, out Tick tick)
    {
        tick = default;
        var kind = MessageKind.Missing;
        ReadOnlySpan<byte> symbol = default, time = default, bidText = default, askText = default, lastText = default;
        try
        {
            var reader = new Utf8JsonReader(line, isFinalBlock: true, state: default);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                ThrowLine("expected a JSON object (one Alpaca market-data message per line)");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("T"u8))
                {
                    ReadString(ref reader, "T");
                    kind = reader.ValueTextEquals("q"u8) ? MessageKind.Quote
                        : reader.ValueTextEquals("t"u8) ? MessageKind.Trade
                        : MessageKind.Other;
                }
                else if (reader.ValueTextEquals("S"u8)) symbol = ReadString(ref reader, "S", ref _unescapedSymbol);
                else if (reader.ValueTextEquals("t"u8)) time = ReadString(ref reader, "t", ref _unescapedTime);
                else if (reader.ValueTextEquals("bp"u8)) bidText = ReadNumber(ref reader, "bp");
                else if (reader.ValueTextEquals("ap"u8)) askText = ReadNumber(ref reader, "ap");
                else if (reader.ValueTextEquals("p"u8)) lastText = ReadNumber(ref reader, "p");
                else reader.Skip();
            }
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
                ThrowLine("expected exactly one JSON object on the line");
        }
        catch (JsonException e)
        {
            ThrowLine($"not valid JSON: {e.Message}");
        }

        switch (kind)
        {
            case MessageKind.Other: return false;
            case MessageKind.Missing: ThrowField("T", "missing: every message needs its type (\"q\" quote, \"t\" trade)"); break;
        }
        string what = kind == MessageKind.Quote ? "a quote" : "a trade";
        if (time.IsEmpty) ThrowField("t", $"missing in {what} message");
        if (!_timeParser.TryParse(time, out long timeNs))
            ThrowField("t", $"'{Shorten(time)}' is not an RFC 3339 time of the years 1900-2200 (e.g. 2026-01-29T16:36:38.123456789Z)");
        if (symbol.IsEmpty) ThrowField("S", $"missing in {what} message");
        int symbolId = _symbols.Lookup(symbol);
        if (symbolId == 0) symbolId = InternNewSymbol(symbol, "S");

        if (kind == MessageKind.Quote)
        {
            double bid = JsonPrice(bidText, "bp", what), ask = JsonPrice(askText, "ap", what);
            CheckTimeOrder(timeNs, "t");
            tick = Tick.Quote(timeNs, symbolId, bid, ask);
        }
        else
        {
            double last = JsonPrice(lastText, "p", what);
            CheckTimeOrder(timeNs, "t");
            tick = Tick.Trade(timeNs, symbolId, last);
        }
        return true;
    }

    private double JsonPrice(ReadOnlySpan<byte> text, string field, string what)
    {
        if (text.IsEmpty) ThrowField(field, $"missing in {what} message");
        if (!PriceParser.TryParse(text, out double value))
            ThrowField(field, $"'{Shorten(text)}' is not a finite number");
        return value;
    }

    private void ReadString(scoped ref Utf8JsonReader reader, string field)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.String) ThrowWrongToken(field, "a string", reader.TokenType);
    }

    private ReadOnlySpan<byte> ReadString(scoped ref Utf8JsonReader reader, string field, ref byte[]? scratch)
    {
        ReadString(ref reader, field);
        if (!reader.ValueIsEscaped) return reader.ValueSpan;
        return Unescape(ref reader, field, ref scratch);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private ReadOnlySpan<byte> Unescape(scoped ref Utf8JsonReader reader, string field, ref byte[]? scratch)
    {
        scratch ??= new byte[MaxStringBytes];
        if (reader.ValueSpan.Length > MaxStringBytes * 6) ThrowField(field, "string is too long");
        int n;
        try
        {
            n = reader.CopyString(scratch);
        }
        catch (ArgumentException)
        {
            ThrowField(field, $"string is longer than {MaxStringBytes} bytes");
            return default;
        }
        return scratch.AsSpan(0, n);
    }

    private ReadOnlySpan<byte> ReadNumber(scoped ref Utf8JsonReader reader, string field)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.Number) ThrowWrongToken(field, "a number", reader.TokenType);
        return reader.ValueSpan;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowWrongToken(string field, string expected, JsonTokenType got) =>
        ThrowField(field, $"expected {expected}, got {got}");
}
