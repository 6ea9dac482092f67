using Streamer.Rules.Calendar;
using Streamer.Rules.Time;

namespace Streamer.Rules.Tests.Calendar;

/// <summary>The computed DST rules against the system tz database, which is independent of our code.</summary>
public class NewYorkTimeTests
{
    private static readonly TimeZoneInfo NewYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
    private static readonly MarketCalendar Calendar = MarketCalendar.Nyse;

    [Fact]
    public void New_york_date_and_offset_match_the_tz_database_every_hour_1990_to_2100()
    {
        var t = new DateTime(1990, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var end = new DateTime(2101, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        int checkedHours = 0;
        for (; t < end; t = t.AddHours(1))
        {
            long ns = NanoTime.FromDateTime(t);
            var local = TimeZoneInfo.ConvertTimeFromUtc(t, NewYork);
            var expectedOffset = NewYork.GetUtcOffset(t);
            if (MarketCalendar.UtcOffsetNs(ns) != expectedOffset.Ticks * 100)
                Assert.Fail($"{t:O}: offset {MarketCalendar.UtcOffsetNs(ns) / NanoTime.PerHour} h, tz database says {expectedOffset}");
            if (Calendar.NewYorkDate(ns) != DateOnly.FromDateTime(local))
                Assert.Fail($"{t:O}: New York date {Calendar.NewYorkDate(ns)}, tz database says {local:yyyy-MM-dd}");
            checkedHours++;
        }
        Assert.True(checkedHours > 900_000);
    }

    [Fact]
    public void Every_minute_around_each_transition_2007_to_2060_matches_the_tz_database()
    {
        for (int year = 2007; year <= 2060; year++)
        {
            foreach (var (start, end) in new[] { (new DateTime(year, 3, 1), new DateTime(year, 3, 16)), (new DateTime(year, 10, 31), new DateTime(year, 11, 9)) })
            {
                // only the transition Sunday matters: scan its UTC day ±
                for (var d = start; d < end; d = d.AddDays(1))
                {
                    if (d.DayOfWeek != DayOfWeek.Sunday) continue;
                    var from = DateTime.SpecifyKind(d, DateTimeKind.Utc).AddHours(4);
                    for (var t = from; t < from.AddHours(6); t = t.AddMinutes(1))
                    {
                        long ns = NanoTime.FromDateTime(t);
                        Assert.Equal(NewYork.GetUtcOffset(t).Ticks * 100, MarketCalendar.UtcOffsetNs(ns));
                        Assert.Equal(DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(t, NewYork)), Calendar.NewYorkDate(ns));
                    }
                }
            }
        }
    }

    [Fact]
    public void New_york_to_utc_matches_the_tz_database_for_every_valid_wall_hour_2000_to_2080()
    {
        var local = new DateTime(2000, 1, 1, 0, 30, 0, DateTimeKind.Unspecified);
        var end = new DateTime(2081, 1, 1);
        for (; local < end; local = local.AddHours(1))
        {
            if (NewYork.IsInvalidTime(local)) continue; // the spring-forward gap: checked separately
            var expected = TimeZoneInfo.ConvertTimeToUtc(local, NewYork); // ambiguous → standard time
            long ns = MarketCalendar.NewYorkToUtc(DateOnly.FromDateTime(local), TimeOnly.FromDateTime(local));
            if (ns != NanoTime.FromDateTime(expected))
                Assert.Fail($"{local:yyyy-MM-dd HH:mm} New York: got {NanoTime.FormatRfc3339(ns)}, tz database says {expected:O}");
        }
    }

    [Theory]
    [InlineData("2026-03-08", "01:59", "2026-03-08T06:59:00Z")] // last EST minute
    [InlineData("2026-03-08", "02:30", "2026-03-08T07:30:00Z")] // in the gap: read as EST (= 03:30 EDT)
    [InlineData("2026-03-08", "03:00", "2026-03-08T07:00:00Z")] // first EDT minute
    [InlineData("2026-11-01", "00:59", "2026-11-01T04:59:00Z")] // EDT
    [InlineData("2026-11-01", "01:30", "2026-11-01T06:30:00Z")] // repeated hour: the EST occurrence
    [InlineData("2026-11-01", "02:00", "2026-11-01T07:00:00Z")]
    [InlineData("2026-01-29", "11:36", "2026-01-29T16:36:00Z")]
    [InlineData("2026-07-15", "09:30", "2026-07-15T13:30:00Z")]
    [InlineData("2006-04-02", "03:00", "2006-04-02T07:00:00Z")] // old rule: first Sunday of April
    [InlineData("2006-10-29", "00:30", "2006-10-29T04:30:00Z")] // old rule: last Sunday of October, still EDT
    public void New_york_to_utc_across_transitions(string date, string time, string expectedUtc)
    {
        long ns = MarketCalendar.NewYorkToUtc(DateOnly.Parse(date, System.Globalization.CultureInfo.InvariantCulture),
            TimeOnly.Parse(time, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(expectedUtc, NanoTime.FormatRfc3339(ns));
    }

    [Theory]
    [InlineData("2026-01-06T04:59:59.999999999Z", "2026-01-05")]
    [InlineData("2026-01-06T05:00:00Z", "2026-01-06")]
    [InlineData("2026-07-06T03:59:59.999999999Z", "2026-07-05")]
    [InlineData("2026-07-06T04:00:00Z", "2026-07-06")]
    [InlineData("2026-01-01T04:00:00Z", "2025-12-31")] // new year in UTC, not yet in New York
    [InlineData("2026-03-08T06:59:59Z", "2026-03-08")]
    [InlineData("2026-11-01T05:30:00Z", "2026-11-01")] // 01:30 EDT, first occurrence
    [InlineData("2026-11-01T06:30:00Z", "2026-11-01")] // 01:30 EST, second occurrence
    public void New_york_date_at_midnight_and_transitions(string utc, string expected)
    {
        Assert.Equal(expected, Calendar.NewYorkDate(NanoTime.ParseRfc3339(utc)).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
    }
}
