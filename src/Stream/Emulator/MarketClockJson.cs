using System.Text.Json;
using Streamer.Rules.Calendar;
using Streamer.Rules.Time;

namespace Streamer.Stream.Emulator;

/// <summary>
/// The trading API's v3 clock and calendar (<c>GET /v3/clock?markets=&amp;time=</c>,
/// <c>GET /v3/calendar/{market}?start=&amp;end=&amp;timezone=</c>), for the US markets the NYSE calendar
/// describes: NYSE and NASDAQ (pre 04:00, core 09:30 to the close, post to 20:00, 17:00 on an early
/// close) and OPRA (core only). Shapes: the Node SDK 4.0.2's <c>ClockResp</c>/<c>Clock</c>/
/// <c>PublicMarket</c> and <c>PublicCalendarResp</c>/<c>CalendarDay</c>; times in New York with its
/// offset, or UTC with <c>timezone=UTC</c>.
/// </summary>
internal static class MarketClockJson
{
    public sealed record Market(string Acronym, string Mic, string Name, bool Extended);

    private static readonly Market[] Markets =
    [
        new("NYSE", "XNYS", "New York Stock Exchange", true),
        new("NASDAQ", "XNAS", "Nasdaq", true),
        new("OPRA", "OPRA", "Options Price Reporting Authority", false),
    ];

    /// <summary>The market of that acronym (case-insensitive), or a 422 naming the ones served.</summary>
    public static Market Find(string acronym) =>
        Markets.FirstOrDefault(m => string.Equals(m.Acronym, acronym, StringComparison.OrdinalIgnoreCase))
        ?? throw TradingApiException.Invalid($"market '{acronym}' is not served by the emulator (it serves {string.Join(", ", Markets.Select(m => m.Acronym))})");

    private static void MarketJson(Utf8JsonWriter w, Market m)
    {
        w.WriteStartObject("market");
        w.WriteString("acronym", m.Acronym);
        w.WriteString("mic", m.Mic);
        w.WriteString("name", m.Name);
        w.WriteString("timezone", "America/New_York");
        w.WriteEndObject();
    }

    /// <summary>The day's phases in UTC ns: pre start, core start, core end, post end (pre/post equal to core's ends without extended hours).</summary>
    private static (long PreStart, long CoreStart, long CoreEnd, long PostEnd) Day(MarketCalendar calendar, DateOnly date, Market m)
    {
        bool early = calendar.IsEarlyClose(date);
        long coreStart = MarketCalendar.NewYorkToUtc(date, MarketCalendar.RegularOpen);
        long coreEnd = MarketCalendar.NewYorkToUtc(date, early ? MarketCalendar.EarlyCloseTime : MarketCalendar.RegularClose);
        if (!m.Extended) return (coreStart, coreStart, coreEnd, coreEnd);
        return (MarketCalendar.NewYorkToUtc(date, new TimeOnly(4, 0)), coreStart, coreEnd, MarketCalendar.NewYorkToUtc(date, early ? new TimeOnly(17, 0) : new TimeOnly(20, 0)));
    }

    public static void Clocks(Utf8JsonWriter w, MarketCalendar calendar, IReadOnlyList<Market> markets, long nowNs)
    {
        w.WriteStartObject();
        w.WriteStartArray("clocks");
        foreach (var m in markets)
        {
            var today = calendar.NewYorkDate(nowNs);
            bool marketDay = calendar.IsTradingDay(today);
            string phase;
            long until;
            if (marketDay && Day(calendar, today, m) is var d && nowNs >= d.PreStart && nowNs < d.PostEnd)
            {
                (phase, until) = nowNs < d.CoreStart ? ("pre", d.CoreStart) : nowNs < d.CoreEnd ? ("core", d.CoreEnd) : ("post", d.PostEnd);
            }
            else
            {
                // closed until the next day's first phase (today's, if it has not begun yet)
                var next = marketDay && nowNs < Day(calendar, today, m).PreStart ? today : calendar.NextTradingDay(today);
                (phase, until) = ("closed", Day(calendar, next, m).PreStart);
            }
            w.WriteStartObject();
            MarketJson(w, m);
            w.WriteString("timestamp", ReferenceJson.NewYorkTime(nowNs));
            w.WriteBoolean("is_market_day", marketDay);
            w.WriteString("phase", phase);
            w.WriteString("phase_until", ReferenceJson.NewYorkTime(until));
            w.WriteString("next_market_open", ReferenceJson.NewYorkTime(calendar.NextSessionOpenAfter(nowNs)));
            w.WriteString("next_market_close", ReferenceJson.NewYorkTime(calendar.NextSessionCloseAfter(nowNs)));
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    public static void Calendar(Utf8JsonWriter w, MarketCalendar calendar, Market m, IReadOnlyList<DateOnly> days, bool utc)
    {
        Func<long, string> time = utc ? NanoTime.FormatRfc3339 : ReferenceJson.NewYorkTime;
        w.WriteStartObject();
        MarketJson(w, m);
        w.WriteStartArray("calendar");
        foreach (var date in days)
        {
            var d = Day(calendar, date, m);
            w.WriteStartObject();
            w.WriteString("date", ReferenceJson.Date(date));
            if (m.Extended)
            {
                w.WriteString("pre_start", time(d.PreStart));
                w.WriteString("pre_end", time(d.CoreStart));
            }
            w.WriteString("core_start", time(d.CoreStart));
            w.WriteString("core_end", time(d.CoreEnd));
            if (m.Extended)
            {
                w.WriteString("post_start", time(d.CoreEnd));
                w.WriteString("post_end", time(d.PostEnd));
            }
            w.WriteString("settlement_date", ReferenceJson.Date(calendar.NextTradingDay(date)));
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
