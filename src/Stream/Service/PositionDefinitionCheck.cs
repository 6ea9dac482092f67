using System.Text.Json;
using Streamer.Rules.Instruments;
using Streamer.Rules.Time;

namespace Streamer.Stream.Service;

/// <summary>
/// Checks a position as it arrives on <c>streamer.control.add</c> (the element shape of the
/// positions file, formats.md) before it is accepted, so a bad one is rejected with the field at
/// fault instead of silently monitoring nothing. The engine (branch <c>engine</c>) parses it into
/// its own types; this is the gate, not the model.
/// </summary>
internal static class PositionDefinitionCheck
{
    /// <summary>null when valid (and <paramref name="id"/> set); otherwise the error naming the field.</summary>
    public static string? Validate(ReadOnlySpan<byte> json, out string id)
    {
        id = "";
        if (Streamer.Rules.Diagnostics.Utf8Text.Check(json) is { } utf8) return "position: " + utf8;
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json.ToArray());
        }
        catch (JsonException e)
        {
            return $"position: not valid JSON ({e.Message})";
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return "position: must be a JSON object";
            if (!root.TryGetProperty("id", out var idEl) || idEl.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(idEl.GetString()))
                return "position.id: missing or not a non-empty string";
            var given = idEl.GetString()!;
            if (Streamer.Rules.Positions.PositionIds.Check(given) is { } idError)
                return $"position.id '{Streamer.Rules.Positions.PositionIds.Printable(given, 40)}': {idError}";
            id = given;
            if (root.TryGetProperty("book", out var book) && book.ValueKind != JsonValueKind.String)
                return $"position '{id}': book must be a string";
            if (root.TryGetProperty("opened_at", out var opened) && (opened.ValueKind != JsonValueKind.String || !NanoTime.TryParseRfc3339(opened.GetString().AsSpan(), out _)))
                return $"position '{id}': opened_at must be an RFC 3339 time";
            foreach (var level in (ReadOnlySpan<string>)["underlying_entry", "stop_underlying", "target_underlying"])
                if (root.TryGetProperty(level, out var v) && (v.ValueKind != JsonValueKind.Number || v.GetDouble() <= 0))
                    return $"position '{id}': {level} must be a positive number";
            if (!root.TryGetProperty("legs", out var legs) || legs.ValueKind != JsonValueKind.Array || legs.GetArrayLength() == 0)
                return $"position '{id}': legs must be a non-empty array";
            int i = 0;
            foreach (var leg in legs.EnumerateArray())
            {
                var at = $"position '{id}': legs[{i}]";
                if (leg.ValueKind != JsonValueKind.Object) return $"{at}: must be an object";
                if (!leg.TryGetProperty("symbol", out var sym) || sym.ValueKind != JsonValueKind.String) return $"{at}.symbol: missing";
                var symbol = sym.GetString()!;
                if (OccSymbol.LooksLikeOption(symbol))
                {
                    if (!OccSymbol.TryParse(symbol, out _, out var error)) return $"{at}.symbol: '{symbol}': {error}";
                }
                else if (!IsTicker(symbol)) return $"{at}.symbol: '{symbol}' is neither a stock ticker nor an OCC option symbol";
                if (!leg.TryGetProperty("qty", out var qty) || qty.ValueKind != JsonValueKind.Number || qty.GetDouble() == 0)
                    return $"{at}.qty: must be a non-zero number (+ long, - short)";
                if (!leg.TryGetProperty("entry_price", out var price) || price.ValueKind != JsonValueKind.Number || price.GetDouble() < 0)
                    return $"{at}.entry_price: must be a number, 0 or more";
                i++;
            }
            return null;
        }
    }

    private static bool IsTicker(string s) => Streamer.Rules.Positions.LegSymbols.IsTicker(s);
}
