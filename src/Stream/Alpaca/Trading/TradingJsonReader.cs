using System.Globalization;
using System.Text.Json;
using Streamer.Rules.Time;

namespace Streamer.Stream.Alpaca.Trading;

/// <summary>Reads the trading API's JSON (cold path: orders and positions are rare).</summary>
internal static class TradingJsonReader
{
    public static BrokerPosition Position(JsonElement e) => new(
        Str(e, "symbol") ?? throw Bad("position without a symbol"),
        Str(e, "asset_class") ?? "",
        Num(e, "qty") ?? throw Bad($"position {Str(e, "symbol")} without qty"),
        Str(e, "side") ?? "",
        Num(e, "avg_entry_price") ?? 0,
        Num(e, "market_value"), Num(e, "cost_basis"), Num(e, "unrealized_pl"), Num(e, "current_price"));

    public static BrokerOrder Order(JsonElement e)
    {
        var legs = new List<BrokerOrderLeg>();
        if (e.TryGetProperty("legs", out var l) && l.ValueKind == JsonValueKind.Array)
        {
            foreach (var leg in l.EnumerateArray())
            {
                legs.Add(new BrokerOrderLeg(Str(leg, "symbol") ?? "", Str(leg, "side") ?? "", Str(leg, "position_intent") ?? "",
                    (int)(Num(leg, "ratio_qty") ?? 1), Num(leg, "filled_avg_price")));
            }
        }
        return new BrokerOrder(
            Str(e, "id") ?? throw Bad("order without an id"),
            Str(e, "client_order_id") ?? "",
            Str(e, "order_class") is { Length: > 0 } c ? c : "simple",
            Str(e, "symbol") ?? "",
            Str(e, "side") ?? "",
            Str(e, "position_intent") ?? "",
            Str(e, "type") ?? Str(e, "order_type") ?? "",
            Str(e, "status") ?? "",
            Num(e, "qty") ?? 0,
            Num(e, "filled_qty") ?? 0,
            Num(e, "filled_avg_price"),
            Num(e, "limit_price"),
            legs);
    }

    public static TradeUpdate Update(JsonElement data)
    {
        var qtys = new Dictionary<string, decimal>(StringComparer.Ordinal);
        if (data.TryGetProperty("position_qtys", out var pq) && pq.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in pq.EnumerateObject())
                if (Parse(p.Value) is { } q) qtys[p.Name] = q;
        }
        var legPrices = new Dictionary<string, decimal>(StringComparer.Ordinal);
        if (data.TryGetProperty("legs", out var legs) && legs.ValueKind == JsonValueKind.Array)
        {
            foreach (var leg in legs.EnumerateArray())
                if (Str(leg, "symbol") is { } symbol && Num(leg, "price") is { } price) legPrices[symbol] = price;
        }
        long? ts = Str(data, "timestamp") is { } t && NanoTime.TryParseRfc3339(t.AsSpan(), out long ns) ? ns : null;
        return new TradeUpdate(
            Str(data, "event") ?? throw Bad("trade update without an event"),
            data.TryGetProperty("order", out var o) ? Order(o) : throw Bad("trade update without an order"),
            ts, Num(data, "price"), Num(data, "qty"), Num(data, "position_qty"), qtys) { LegPrices = legPrices };
    }

    public static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>A number sent as a string (Alpaca) or as a JSON number; null when absent or null.</summary>
    public static decimal? Num(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) ? Parse(v) : null;

    private static decimal? Parse(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => decimal.TryParse(v.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : throw Bad($"'{v.GetString()}' is not a number"),
        JsonValueKind.Number => v.GetDecimal(),
        _ => null,
    };

    private static FormatException Bad(string what) => new($"Alpaca trading API: {what}");
}
