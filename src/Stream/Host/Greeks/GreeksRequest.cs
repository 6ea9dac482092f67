using System.Text.Json;
using Streamer.Rules.Instruments;

namespace Streamer.Stream.Host.Greeks;

/// <summary>One input line of <c>streamer greeks --jsonl</c> (formats.md).</summary>
internal readonly record struct GreeksRequest(
    OptionRight Right, double Spot, double Strike, double ExpiryYears, double Rate, double Dividend,
    double Vol, double Price, bool HasVol, ExerciseStyle Style)
{
    [Flags]
    private enum Seen : ushort
    {
        None = 0, Right = 1, Spot = 2, Strike = 4, Expiry = 8, Rate = 16, Dividend = 32, Vol = 64, Price = 128,
    }

    /// <summary>Parses one JSON object; on failure <paramref name="error"/> names the field at fault.</summary>
    public static bool TryParse(ReadOnlySpan<byte> json, out GreeksRequest request, out string? error)
    {
        request = default;
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        OptionRight right = OptionRight.None;
        double spot = 0, strike = 0, expiry = 0, rate = 0, dividend = 0, vol = 0, price = 0;
        var style = ExerciseStyle.European;
        var seen = Seen.None;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                return Fail("expected a JSON object", out error);
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("right"u8))
                {
                    if (!reader.Read() || reader.TokenType != JsonTokenType.String) return Fail("\"right\" must be \"call\" or \"put\"", out error);
                    if (reader.ValueTextEquals("call"u8) || reader.ValueTextEquals("C"u8) || reader.ValueTextEquals("c"u8)) right = OptionRight.Call;
                    else if (reader.ValueTextEquals("put"u8) || reader.ValueTextEquals("P"u8) || reader.ValueTextEquals("p"u8)) right = OptionRight.Put;
                    else return Fail($"\"right\" must be \"call\" or \"put\", got \"{reader.GetString()}\"", out error);
                    seen |= Seen.Right;
                }
                else if (reader.ValueTextEquals("style"u8))
                {
                    if (!reader.Read() || reader.TokenType != JsonTokenType.String) return Fail("\"style\" must be \"european\" or \"american\"", out error);
                    if (reader.ValueTextEquals("european"u8)) style = ExerciseStyle.European;
                    else if (reader.ValueTextEquals("american"u8)) style = ExerciseStyle.American;
                    else return Fail($"\"style\" must be \"european\" or \"american\", got \"{reader.GetString()}\"", out error);
                }
                else if (reader.ValueTextEquals("spot"u8)) { if (!Number(ref reader, "spot", out spot, out error)) return false; seen |= Seen.Spot; }
                else if (reader.ValueTextEquals("strike"u8)) { if (!Number(ref reader, "strike", out strike, out error)) return false; seen |= Seen.Strike; }
                else if (reader.ValueTextEquals("expiry_years"u8)) { if (!Number(ref reader, "expiry_years", out expiry, out error)) return false; seen |= Seen.Expiry; }
                else if (reader.ValueTextEquals("rate"u8)) { if (!Number(ref reader, "rate", out rate, out error)) return false; seen |= Seen.Rate; }
                else if (reader.ValueTextEquals("dividend"u8)) { if (!Number(ref reader, "dividend", out dividend, out error)) return false; seen |= Seen.Dividend; }
                else if (reader.ValueTextEquals("vol"u8)) { if (!Number(ref reader, "vol", out vol, out error)) return false; seen |= Seen.Vol; }
                else if (reader.ValueTextEquals("price"u8)) { if (!Number(ref reader, "price", out price, out error)) return false; seen |= Seen.Price; }
                else
                {
                    // unknown fields are allowed (the format may be extended): skip the value
                    reader.Read();
                    reader.Skip();
                }
            }
            if (reader.TokenType != JsonTokenType.EndObject) return Fail("expected a JSON object", out error);
            if (reader.Read()) return Fail("unexpected content after the JSON object", out error);
        }
        catch (JsonException e)
        {
            return Fail($"bad JSON: {e.Message}", out error);
        }

        if ((seen & Seen.Right) == 0) return Fail("missing field \"right\"", out error);
        if ((seen & Seen.Spot) == 0) return Fail("missing field \"spot\"", out error);
        if ((seen & Seen.Strike) == 0) return Fail("missing field \"strike\"", out error);
        if ((seen & Seen.Expiry) == 0) return Fail("missing field \"expiry_years\"", out error);
        if ((seen & Seen.Rate) == 0) return Fail("missing field \"rate\"", out error);
        if ((seen & Seen.Dividend) == 0) return Fail("missing field \"dividend\"", out error);
        bool hasVol = (seen & Seen.Vol) != 0, hasPrice = (seen & Seen.Price) != 0;
        if (!hasVol && !hasPrice) return Fail("missing field \"vol\" (or \"price\" to solve implied volatility)", out error);
        if (hasVol && hasPrice) return Fail("give either \"vol\" or \"price\", not both", out error);
        if (!(spot > 0)) return Fail($"\"spot\" must be positive, got {spot}", out error);
        if (!(strike > 0)) return Fail($"\"strike\" must be positive, got {strike}", out error);
        if (expiry < 0) return Fail($"negative time: \"expiry_years\" is {expiry}", out error);
        if (!(expiry > 0)) return Fail("\"expiry_years\" is 0: the option has expired", out error);
        if (hasVol && !(vol > 0)) return Fail($"\"vol\" must be positive, got {vol}", out error);
        if (hasPrice && price < 0) return Fail($"\"price\" must not be negative, got {price}", out error);
        request = new GreeksRequest(right, spot, strike, expiry, rate, dividend, vol, price, hasVol, style);
        error = null;
        return true;
    }

    private static bool Number(ref Utf8JsonReader reader, string name, out double value, out string? error)
    {
        value = 0;
        if (!reader.Read() || reader.TokenType != JsonTokenType.Number || !reader.TryGetDouble(out value) || !double.IsFinite(value))
            return Fail($"\"{name}\" must be a finite number", out error);
        error = null;
        return true;
    }

    private static bool Fail(string message, out string? error)
    {
        error = message;
        return false;
    }
}
