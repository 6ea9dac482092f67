using System.Globalization;
using System.Text.Json;
using Streamer.Rules.Calendar;
using Streamer.Rules.Instruments;
using Streamer.Rules.Time;

namespace Streamer.Stream.Emulator;

/// <summary>
/// The trading API's reference data from the emulator's own sources: <c>/v2/clock</c> and
/// <c>/v2/calendar</c> from the NYSE calendar on the market clock, <c>/v2/assets</c> and
/// <c>/v2/options/contracts</c> from the tape's symbols. Shapes: alpaca-py's <c>Clock</c>,
/// <c>Calendar</c>, <c>Asset</c>, <c>OptionContract</c> and the Node SDK's required fields.
/// </summary>
internal static class ReferenceJson
{
    /// <summary>
    /// <c>{"timestamp","is_open","next_open","next_close"}</c>. Alpaca writes these in New York
    /// time with its offset (<c>2024-04-30T10:21:48.1234-04:00</c>), not in UTC.
    /// </summary>
    public static void Clock(Utf8JsonWriter w, MarketCalendar calendar, long nowNs)
    {
        w.WriteStartObject();
        w.WriteString("timestamp", NewYorkTime(nowNs));
        w.WriteBoolean("is_open", calendar.IsInSession(nowNs));
        w.WriteString("next_open", NewYorkTime(calendar.NextSessionOpenAfter(nowNs)));
        w.WriteString("next_close", NewYorkTime(calendar.NextSessionCloseAfter(nowNs)));
        w.WriteEndObject();
    }

    /// <summary>
    /// One trading day of <c>/v2/calendar</c>: <c>date</c>, <c>open</c>/<c>close</c> as New York
    /// <c>HH:MM</c>, the extended session as <c>HHMM</c> (04:00 to 20:00, 17:00 on early closes) and
    /// the T+1 <c>settlement_date</c> (the next trading day).
    /// </summary>
    public static void CalendarDay(Utf8JsonWriter w, MarketCalendar calendar, DateOnly date)
    {
        bool early = calendar.IsEarlyClose(date);
        w.WriteStartObject();
        w.WriteString("date", Date(date));
        w.WriteString("open", "09:30");
        w.WriteString("close", early ? "13:00" : "16:00");
        w.WriteString("session_open", "0400");
        w.WriteString("session_close", early ? "1700" : "2000");
        w.WriteString("settlement_date", Date(calendar.NextTradingDay(date)));
        w.WriteEndObject();
    }

    /// <summary>
    /// An asset (alpaca-py <c>Asset</c>): a stock as <c>us_equity</c> (exchange NASDAQ for every
    /// ticker: the tape does not say where it lists), an OCC symbol as <c>us_option</c>.
    /// </summary>
    public static void Asset(Utf8JsonWriter w, string symbol, bool hasOptions)
    {
        bool option = OccSymbol.LooksLikeOption(symbol);
        w.WriteStartObject();
        w.WriteString("id", TradingJson.AssetId(symbol));
        w.WriteString("class", option ? "us_option" : "us_equity");
        w.WriteString("exchange", option ? "" : "NASDAQ");
        w.WriteString("symbol", symbol);
        w.WriteString("name", option ? ContractName(OccSymbol.Parse(symbol)) : symbol);
        w.WriteString("status", "active");
        w.WriteBoolean("tradable", true);
        w.WriteBoolean("marginable", !option);
        w.WriteBoolean("shortable", !option);
        w.WriteBoolean("easy_to_borrow", !option);
        w.WriteBoolean("fractionable", false); // the paper broker holds whole shares only
        w.WriteNumber("maintenance_margin_requirement", option ? 100 : 30);
        w.WriteString("margin_requirement_long", option ? "100" : "30");
        w.WriteString("margin_requirement_short", option ? "100" : "30");
        w.WriteStartArray("attributes");
        if (hasOptions) w.WriteStringValue("has_options");
        if (option) w.WriteStringValue("options_enabled");
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>An option contract (alpaca-py <c>OptionContract</c>): every number a string, no open interest or close price known.</summary>
    public static void Contract(Utf8JsonWriter w, string symbol, OccSymbol occ, bool active)
    {
        w.WriteStartObject();
        w.WriteString("id", TradingJson.AssetId(symbol));
        w.WriteString("symbol", symbol);
        w.WriteString("name", ContractName(occ));
        w.WriteString("status", active ? "active" : "inactive");
        w.WriteBoolean("tradable", active);
        w.WriteString("expiration_date", Date(occ.Expiration));
        w.WriteString("root_symbol", occ.Root);
        w.WriteString("underlying_symbol", occ.Root);
        w.WriteString("underlying_asset_id", TradingJson.AssetId(occ.Root));
        w.WriteString("type", occ.Right == OptionRight.Call ? "call" : "put");
        w.WriteString("style", "american");
        w.WriteString("strike_price", TradingJson.Money(occ.StrikeThousandths / 1000m));
        w.WriteString("multiplier", "100");
        w.WriteString("size", "100");
        w.WriteNull("open_interest");
        w.WriteNull("open_interest_date");
        w.WriteNull("close_price");
        w.WriteNull("close_price_date");
        w.WriteBoolean("ppind", true);
        w.WriteEndObject();
    }

    /// <summary>Alpaca's contract name: <c>AAPL Feb 20 2026 200 Call</c>.</summary>
    public static string ContractName(OccSymbol occ) => string.Create(CultureInfo.InvariantCulture,
        $"{occ.Root} {occ.Expiration.ToString("MMM d yyyy", CultureInfo.InvariantCulture)} {TradingJson.Money(occ.StrikeThousandths / 1000m)} {(occ.Right == OptionRight.Call ? "Call" : "Put")}");

    public static string Date(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>RFC 3339 in New York time with its offset, the fraction trimmed as in UTC stamps.</summary>
    public static string NewYorkTime(long utcNs)
    {
        long offset = MarketCalendar.UtcOffsetNs(utcNs);
        string local = NanoTime.FormatRfc3339(utcNs + offset); // "...Z" for the shifted instant
        long minutes = Math.Abs(offset) / 60_000_000_000L;
        return string.Create(CultureInfo.InvariantCulture, $"{local[..^1]}{(offset < 0 ? '-' : '+')}{minutes / 60:00}:{minutes % 60:00}");
    }
}
