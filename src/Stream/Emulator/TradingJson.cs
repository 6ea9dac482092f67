using System.Globalization;
using System.Text.Json;
using Streamer.Rules.Time;

namespace Streamer.Stream.Emulator;

/// <summary>The trading API's JSON shapes (alpaca.md): every number a string, times RFC 3339.</summary>
internal static class TradingJson
{
    /// <summary>The one paper account's id (<c>GET /v2/account</c>, activities).</summary>
    public const string AccountId = "00000000-0000-4000-8000-000000000001";

    public static string Money(decimal d) => d.ToString("0.##########", CultureInfo.InvariantCulture);

    private static string Time(long ns) => NanoTime.FormatRfc3339(ns);

    public static void Error(Utf8JsonWriter w, int code, string message)
    {
        w.WriteStartObject();
        w.WriteNumber("code", code);
        w.WriteString("message", message);
        w.WriteEndObject();
    }

    public static void Position(Utf8JsonWriter w, PaperPosition p, (decimal Bid, decimal Ask)? quote)
    {
        decimal price = quote is { } q ? (q.Bid + q.Ask) / 2 : p.AvgEntryPrice;
        decimal cost = p.Qty * p.AvgEntryPrice * p.Multiplier;
        decimal value = p.Qty * price * p.Multiplier;
        decimal pl = value - cost;
        w.WriteStartObject();
        w.WriteString("asset_id", AssetId(p.Symbol));
        w.WriteString("symbol", p.Symbol);
        w.WriteString("exchange", p.IsOption ? "" : "NASDAQ");
        w.WriteString("asset_class", p.IsOption ? "us_option" : "us_equity");
        w.WriteString("avg_entry_price", Money(p.AvgEntryPrice));
        w.WriteString("qty", p.Qty.ToString(CultureInfo.InvariantCulture));
        w.WriteString("qty_available", p.QtyAvailable.ToString(CultureInfo.InvariantCulture));
        w.WriteString("side", p.Qty > 0 ? "long" : "short");
        w.WriteString("market_value", Money(Math.Round(value, 4)));
        w.WriteString("cost_basis", Money(Math.Round(cost, 4)));
        w.WriteString("unrealized_pl", Money(Math.Round(pl, 4)));
        w.WriteString("unrealized_plpc", cost == 0 ? "0" : Money(Math.Round(pl / Math.Abs(cost), 10)));
        // no previous close on a tape: the day's P/L is the whole P/L, lastday_price the current one
        w.WriteString("unrealized_intraday_pl", Money(Math.Round(pl, 4)));
        w.WriteString("unrealized_intraday_plpc", cost == 0 ? "0" : Money(Math.Round(pl / Math.Abs(cost), 10)));
        w.WriteString("current_price", Money(price));
        w.WriteString("lastday_price", Money(price));
        w.WriteString("change_today", "0");
        w.WriteBoolean("asset_marginable", !p.IsOption);
        w.WriteEndObject();
    }

    /// <summary>
    /// An order as Alpaca's order object (alpaca-py <c>Order</c>): every documented field, nulls where
    /// Alpaca sends nulls. An mleg parent leaves its per-leg fields blank (<c>""</c>, as Alpaca does:
    /// alpaca-py maps them to None); each of its legs is a full order object of its own.
    /// </summary>
    public static void Order(Utf8JsonWriter w, PaperOrder o)
    {
        bool mleg = o.OrderClass == "mleg";
        w.WriteStartObject();
        w.WriteString("id", o.Id);
        w.WriteString("client_order_id", o.ClientOrderId);
        OrderTimes(w, o);
        if (mleg)
        {
            w.WriteString("asset_id", "");
            w.WriteString("symbol", "");
            w.WriteString("asset_class", "");
        }
        else
        {
            w.WriteString("asset_id", AssetId(o.Legs[0].Symbol));
            w.WriteString("symbol", o.Legs[0].Symbol);
            w.WriteString("asset_class", o.Legs[0].IsOption ? "us_option" : "us_equity");
        }
        w.WriteNull("notional");
        w.WriteString("qty", Qty(o.Qty));
        w.WriteString("filled_qty", Qty(o.FilledQty));
        if (o.FilledAvgPrice is { } fp) w.WriteString("filled_avg_price", Money(fp)); else w.WriteNull("filled_avg_price");
        w.WriteString("order_class", mleg ? "mleg" : "simple");
        w.WriteString("order_type", o.Type);
        w.WriteString("type", o.Type);
        w.WriteString("side", mleg ? "" : o.Legs[0].Side);
        w.WriteString("position_intent", mleg ? "" : o.Legs[0].ReportedIntent);
        w.WriteString("time_in_force", o.TimeInForce);
        if (o.LimitPrice is { } lp) w.WriteString("limit_price", Money(lp)); else w.WriteNull("limit_price");
        w.WriteNull("stop_price");
        w.WriteString("status", o.Status);
        w.WriteBoolean("extended_hours", false);
        if (mleg)
        {
            w.WriteStartArray("legs");
            foreach (var leg in o.Legs) Leg(w, o, leg);
            w.WriteEndArray();
        }
        else
        {
            w.WriteNull("legs");
        }
        OrderTail(w, o);
        w.WriteEndObject();
    }

    /// <summary>
    /// One leg of an mleg order as a full order object: its own id and client id, the parent's
    /// times, status, type and time in force, its symbol, side, intent, <c>ratio_qty</c> and its own
    /// quantities (strategy units × ratio) and average price.
    /// </summary>
    private static void Leg(Utf8JsonWriter w, PaperOrder o, PaperLeg leg)
    {
        w.WriteStartObject();
        w.WriteString("id", leg.Id);
        w.WriteString("client_order_id", leg.ClientOrderId);
        OrderTimes(w, o);
        w.WriteString("asset_id", AssetId(leg.Symbol));
        w.WriteString("symbol", leg.Symbol);
        w.WriteString("asset_class", leg.IsOption ? "us_option" : "us_equity");
        w.WriteNull("notional");
        w.WriteString("qty", Qty(o.Qty * leg.RatioQty));
        w.WriteString("filled_qty", Qty(o.FilledQty * leg.RatioQty));
        if (o.FilledQty > 0) w.WriteString("filled_avg_price", Money(leg.FilledAvgPrice)); else w.WriteNull("filled_avg_price");
        w.WriteString("order_class", "mleg");
        w.WriteString("order_type", o.Type);
        w.WriteString("type", o.Type);
        w.WriteString("side", leg.Side);
        w.WriteString("position_intent", leg.ReportedIntent);
        w.WriteString("time_in_force", o.TimeInForce);
        w.WriteNull("limit_price"); // the limit is the strategy's net price, on the parent
        w.WriteNull("stop_price");
        w.WriteString("status", o.Status);
        w.WriteBoolean("extended_hours", false);
        w.WriteNull("legs");
        w.WriteString("ratio_qty", Qty(leg.RatioQty));
        OrderTail(w, o);
        w.WriteEndObject();
    }

    private static void OrderTimes(Utf8JsonWriter w, PaperOrder o)
    {
        w.WriteString("created_at", Time(o.CreatedAtNs));
        w.WriteString("updated_at", Time(o.UpdatedAtNs));
        w.WriteString("submitted_at", Time(o.CreatedAtNs));
        NullableTime(w, "filled_at", o.FilledAtNs);
        NullableTime(w, "expired_at", o.ExpiredAtNs);
        NullableTime(w, "canceled_at", o.CanceledAtNs);
        NullableTime(w, "failed_at", o.FailedAtNs);
        w.WriteNull("replaced_at"); // no PATCH here: nothing is ever replaced
        w.WriteNull("replaced_by");
        w.WriteNull("replaces");
    }

    private static void OrderTail(Utf8JsonWriter w, PaperOrder o)
    {
        w.WriteNull("trail_percent");
        w.WriteNull("trail_price");
        w.WriteNull("hwm");
        w.WriteNull("subtag");
        w.WriteNull("source");
        NullableTime(w, "expires_at", o.ExpiresAtNs == long.MaxValue ? null : o.ExpiresAtNs);
    }

    private static string Qty(long q) => q.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// <c>{"stream":"trade_updates","data":{"event",…,"order":{…}}}</c>; an execution adds
    /// <c>price</c> and <c>qty</c> (this execution; mleg: net per strategy unit, credits negative)
    /// and <c>position_qty</c>, or for mleg <c>position_qtys</c> and <c>legs</c> (each leg's
    /// symbol, side, qty and price of this execution and its position after it).
    /// </summary>
    public static byte[] TradeUpdate(string eventName, PaperOrder order, long timestampNs, PaperExecution? execution, IReadOnlyDictionary<string, long> positionQtys)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("stream", "trade_updates");
            w.WriteStartObject("data");
            w.WriteString("event", eventName);
            w.WriteString("execution_id", Guid.NewGuid().ToString());
            w.WritePropertyName("order");
            Order(w, order);
            w.WriteString("timestamp", Time(timestampNs));
            if (execution is { } x)
            {
                w.WriteString("price", Money(x.Price));
                w.WriteString("qty", x.Qty.ToString(CultureInfo.InvariantCulture));
                if (order.OrderClass == "mleg")
                {
                    w.WriteStartObject("position_qtys");
                    foreach (var (symbol, q) in positionQtys) w.WriteString(symbol, q.ToString(CultureInfo.InvariantCulture));
                    w.WriteEndObject();
                    w.WriteStartArray("legs");
                    foreach (var leg in x.Legs)
                    {
                        w.WriteStartObject();
                        w.WriteString("symbol", leg.Leg.Symbol);
                        w.WriteString("side", leg.Leg.Side);
                        w.WriteString("position_intent", leg.Leg.PositionIntent);
                        w.WriteString("ratio_qty", leg.Leg.RatioQty.ToString(CultureInfo.InvariantCulture));
                        w.WriteString("qty", leg.Qty.ToString(CultureInfo.InvariantCulture));
                        w.WriteString("price", Money(leg.Price));
                        w.WriteString("position_qty", positionQtys[leg.Leg.Symbol].ToString(CultureInfo.InvariantCulture));
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                }
                else
                {
                    w.WriteString("position_qty", positionQtys[order.Legs[0].Symbol].ToString(CultureInfo.InvariantCulture));
                }
            }
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>An account activity: <c>FILL</c> (trade), <c>OPEXP</c>, <c>OPEXC</c>, <c>OPASN</c> (non-trade).</summary>
    public static void Activity(Utf8JsonWriter w, PaperActivity a)
    {
        if (a.Fill is { } fill)
        {
            // alpaca-py TradeActivity: numbers as strings, as Alpaca sends them
            w.WriteStartObject();
            w.WriteString("id", a.Id);
            w.WriteString("account_id", AccountId);
            w.WriteString("activity_type", "FILL");
            w.WriteString("transaction_time", Time(a.TimeNs));
            w.WriteString("type", fill.Type);
            w.WriteString("price", Money(a.Price));
            w.WriteString("qty", a.Qty.ToString(CultureInfo.InvariantCulture));
            w.WriteString("side", fill.Side);
            w.WriteString("symbol", a.Symbol);
            w.WriteString("leaves_qty", fill.LeavesQty.ToString(CultureInfo.InvariantCulture));
            w.WriteString("order_id", fill.OrderId);
            w.WriteString("cum_qty", fill.CumQty.ToString(CultureInfo.InvariantCulture));
            w.WriteString("order_status", fill.OrderStatus);
            w.WriteEndObject();
            return;
        }
        w.WriteStartObject();
        w.WriteString("id", a.Id);
        w.WriteString("account_id", AccountId);
        w.WriteString("activity_type", a.ActivityType);
        w.WriteString("date", Rules.Calendar.MarketCalendar.Nyse.NewYorkDate(a.TimeNs).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        w.WriteString("transaction_time", Time(a.TimeNs));
        w.WriteString("symbol", a.Symbol);
        w.WriteString("qty", a.Qty.ToString(CultureInfo.InvariantCulture));
        w.WriteString("price", Money(a.Price));
        w.WriteString("net_amount", Money(a.NetAmount));
        w.WriteString("description", a.Description);
        w.WriteString("status", "executed");
        w.WriteEndObject();
    }

    private static void NullableTime(Utf8JsonWriter w, string name, long? ns)
    {
        if (ns is { } v) w.WriteString(name, Time(v)); else w.WriteNull(name);
    }

    /// <summary>A stable made-up asset id per symbol (a UUID-shaped hash).</summary>
    public static string AssetId(string symbol)
    {
        Span<byte> hash = stackalloc byte[16];
        Span<byte> full = stackalloc byte[32];
        System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(symbol), full);
        full[..16].CopyTo(hash);
        return new Guid(hash).ToString();
    }
}
