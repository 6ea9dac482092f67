using System.Globalization;
using System.Text.Json;
using Streamer.Rules.Instruments;

namespace Streamer.Stream.Emulator;

/// <summary>
/// Parses and validates <c>POST /v2/orders</c> (alpaca.md): single-leg stock or option
/// orders and <c>order_class: "mleg"</c> with 2–4 legs whose ratios have gcd 1. Market or
/// limit, <c>day</c>. No stops, trailing stops, brackets, OCO or OTO for options.
/// </summary>
public static class PaperOrderRequest
{
    public sealed record Leg(string Symbol, string Side, string PositionIntent, int RatioQty);

    public sealed record Parsed(string OrderClass, string Type, string TimeInForce, long Qty, decimal? LimitPrice, string ClientOrderId, IReadOnlyList<Leg> Legs);

    public static Parsed Parse(ReadOnlySpan<byte> body)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body.ToArray());
        }
        catch (JsonException e)
        {
            throw TradingApiException.Invalid($"request body is not JSON: {e.Message}");
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw TradingApiException.Invalid("request body must be a JSON object");
            string orderClass = Str(root, "order_class") ?? "simple";
            if (orderClass is "") orderClass = "simple";
            if (orderClass is not ("simple" or "mleg"))
                throw TradingApiException.Invalid($"order_class '{orderClass}' is not supported (simple, mleg)");
            string type = Str(root, "type") ?? throw TradingApiException.Invalid("type is required");
            if (type is not ("market" or "limit"))
                throw TradingApiException.Invalid($"type '{type}' is not supported for options here (market, limit)");
            string tif = Str(root, "time_in_force") ?? throw TradingApiException.Invalid("time_in_force is required");
            if (tif != "day") throw TradingApiException.Invalid($"time_in_force '{tif}' is not supported (day)");
            if (root.TryGetProperty("notional", out var notional) && notional.ValueKind != JsonValueKind.Null)
                throw TradingApiException.Invalid("notional orders are not supported by the emulator (give qty)");
            long qty = WholeQty(root, "qty");
            decimal? limit = Decimal(root, "limit_price");
            if (type == "limit" && limit is null) throw TradingApiException.Invalid("limit_price is required for limit orders");
            if (type == "market" && limit is not null) throw TradingApiException.Invalid("limit_price is only for limit orders");
            string clientId = Str(root, "client_order_id") ?? Guid.NewGuid().ToString();
            if (clientId.Length > 128) throw TradingApiException.Invalid("client_order_id must be at most 128 characters");

            var legs = new List<Leg>();
            if (orderClass == "simple")
            {
                if (limit is <= 0) throw TradingApiException.Invalid("limit_price must be positive");
                string symbol = Str(root, "symbol") ?? throw TradingApiException.Invalid("symbol is required");
                legs.Add(new Leg(Symbol(symbol), Side(Str(root, "side")), Intent(Str(root, "position_intent")), 1));
            }
            else
            {
                if (!root.TryGetProperty("legs", out var legsJson) || legsJson.ValueKind != JsonValueKind.Array)
                    throw TradingApiException.Invalid("legs is required for mleg orders");
                foreach (var leg in legsJson.EnumerateArray())
                {
                    string symbol = Str(leg, "symbol") ?? throw TradingApiException.Invalid("every leg needs a symbol");
                    long ratio = WholeQty(leg, "ratio_qty");
                    if (ratio > 1000) throw TradingApiException.Invalid("ratio_qty is too large");
                    legs.Add(new Leg(Symbol(symbol), Side(Str(leg, "side")), Intent(Str(leg, "position_intent")), (int)ratio));
                }
                if (legs.Count is < 2 or > 4) throw TradingApiException.Invalid($"mleg orders take 2 to 4 legs, got {legs.Count}");
                if (legs.Select(l => l.Symbol).Distinct(StringComparer.Ordinal).Count() != legs.Count)
                    throw TradingApiException.Invalid("a symbol appears in two legs");
                int gcd = legs.Aggregate(0, (g, l) => Gcd(g, l.RatioQty));
                if (gcd != 1) throw TradingApiException.Invalid($"leg ratios must have gcd 1 (got gcd {gcd})");
            }
            return new Parsed(orderClass, type, tif, qty, limit, clientId, legs);
        }
    }

    private static string Symbol(string s)
    {
        if (s.Length == 0 || s.Length > 32) throw TradingApiException.Invalid($"symbol '{s}' is not valid");
        if (OccSymbol.LooksLikeOption(s))
        {
            try { OccSymbol.Parse(s); }
            catch (FormatException e) { throw TradingApiException.Invalid($"symbol '{s}': {e.Message}"); }
        }
        return s;
    }

    private static string Side(string? side) => side is "buy" or "sell"
        ? side
        : throw TradingApiException.Invalid($"side must be buy or sell, got '{side}'");

    private static string Intent(string? intent) => intent switch
    {
        null or "" => "",
        "buy_to_open" or "buy_to_close" or "sell_to_open" or "sell_to_close" => intent,
        _ => throw TradingApiException.Invalid($"position_intent '{intent}' is not valid"),
    };

    private static int Gcd(int a, int b) => b == 0 ? a : Gcd(b, a % b);

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>
    /// A quantity as Alpaca takes it: a JSON string or number in decimal notation (<c>"1"</c>,
    /// <c>1</c>, <c>1.0</c>, <c>"2.000"</c> — SDKs send decimals). Options trade whole contracts,
    /// so the rule is on the value: 1.0 is 1, 1.5 is refused. The paper broker keeps whole shares
    /// too, so a fractional stock quantity is refused as well (Alpaca would take it for a market
    /// day order; not modelled).
    /// </summary>
    private static long WholeQty(JsonElement e, string name)
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) throw TradingApiException.Invalid($"{name} is required");
        string text = v.ValueKind switch
        {
            JsonValueKind.String => v.GetString()!.Trim(),
            JsonValueKind.Number => v.GetRawText(),
            _ => throw TradingApiException.Invalid($"{name} must be a number, got {v.GetRawText()}"),
        };
        return ParseQty(text, name);
    }

    /// <summary>A query-string quantity (<c>DELETE /v2/positions/{symbol}?qty=</c>): the same rule.</summary>
    internal static long? QueryQty(string? text, string name) => string.IsNullOrEmpty(text) ? null : ParseQty(text.Trim(), name);

    private static long ParseQty(string text, string name)
    {
        if (!decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out decimal q))
            throw TradingApiException.Invalid($"{name} must be a number, got '{text}'");
        if (q <= 0) throw TradingApiException.Invalid($"{name} must be a positive whole number, got '{text}'");
        if (q != decimal.Truncate(q)) throw TradingApiException.Invalid($"{name} must be a whole number (options trade whole contracts; the emulator holds whole shares), got '{text}'");
        if (q > int.MaxValue) throw TradingApiException.Invalid($"{name} is too large, got '{text}'");
        return (long)q;
    }

    private static decimal? Decimal(JsonElement e, string name)
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        string text = v.ValueKind == JsonValueKind.String ? v.GetString()! : v.GetRawText();
        return decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
            ? d : throw TradingApiException.Invalid($"{name} must be a number, got '{text}'");
    }
}
