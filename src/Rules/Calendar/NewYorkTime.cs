using Streamer.Rules.Time;

namespace Streamer.Rules.Calendar;

/// <summary>
/// America/New_York daylight-saving rules, computed (no tz database) so every machine agrees.
/// Since 2007: second Sunday of March 02:00 EST → first Sunday of November 02:00 EDT.
/// 1987–2006: first Sunday of April → last Sunday of October. Before 1987: last Sunday of April
/// → last Sunday of October (the 1974–75 energy-crisis years are not modelled).
/// </summary>
internal static class NewYorkTime
{
    public const long StandardOffsetNs = -5 * NanoTime.PerHour;
    public const long DaylightOffsetNs = -4 * NanoTime.PerHour;

    /// <summary>DST start and end as UTC instants: 02:00 EST (07:00Z) and 02:00 EDT (06:00Z).</summary>
    public static (long StartUtc, long EndUtc) DaylightSavingUtc(int year)
    {
        DateOnly start, end;
        if (year >= 2007)
        {
            start = CalendarMath.NthWeekday(year, 3, DayOfWeek.Sunday, 2);
            end = CalendarMath.NthWeekday(year, 11, DayOfWeek.Sunday, 1);
        }
        else if (year >= 1987)
        {
            start = CalendarMath.NthWeekday(year, 4, DayOfWeek.Sunday, 1);
            end = CalendarMath.LastWeekday(year, 10, DayOfWeek.Sunday);
        }
        else
        {
            start = CalendarMath.LastWeekday(year, 4, DayOfWeek.Sunday);
            end = CalendarMath.LastWeekday(year, 10, DayOfWeek.Sunday);
        }
        return (NanoTime.FromUtcDate(start) + 7 * NanoTime.PerHour, NanoTime.FromUtcDate(end) + 6 * NanoTime.PerHour);
    }
}
