using System.Globalization;
using Streamer.Rules.Calendar;
using Streamer.Rules.Time;

namespace Streamer.Rules.Tests.Calendar;

public class MarketCalendarTests
{
    private static readonly MarketCalendar Calendar = MarketCalendar.Nyse;

    private static DateOnly D(string s) => DateOnly.ParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture);
    private static long T(string s) => NanoTime.ParseRfc3339(s);
    private static string F(long ns) => NanoTime.FormatRfc3339(ns);

    // NYSE Group press releases "NYSE Group Announces <years> Holiday and Early Closings Calendar"
    // (2019-12-09 for 2020-2022, 2020-12-28 for 2021-2023, 2021-12-27 for 2022-2024, 2024-11-08 for
    // 2025-2027, 2025-12-23 for 2026-2028), plus the 2025-01-09 Carter closure (NYSE notice, Dec 2024).
    public static TheoryData<int, string[]> PublishedHolidays => new()
    {
        { 2022, ["2022-01-17", "2022-02-21", "2022-04-15", "2022-05-30", "2022-06-20", "2022-07-04", "2022-09-05", "2022-11-24", "2022-12-26"] },
        { 2023, ["2023-01-02", "2023-01-16", "2023-02-20", "2023-04-07", "2023-05-29", "2023-06-19", "2023-07-04", "2023-09-04", "2023-11-23", "2023-12-25"] },
        { 2024, ["2024-01-01", "2024-01-15", "2024-02-19", "2024-03-29", "2024-05-27", "2024-06-19", "2024-07-04", "2024-09-02", "2024-11-28", "2024-12-25"] },
        { 2025, ["2025-01-01", "2025-01-09", "2025-01-20", "2025-02-17", "2025-04-18", "2025-05-26", "2025-06-19", "2025-07-04", "2025-09-01", "2025-11-27", "2025-12-25"] },
        { 2026, ["2026-01-01", "2026-01-19", "2026-02-16", "2026-04-03", "2026-05-25", "2026-06-19", "2026-07-03", "2026-09-07", "2026-11-26", "2026-12-25"] },
        { 2027, ["2027-01-01", "2027-01-18", "2027-02-15", "2027-03-26", "2027-05-31", "2027-06-18", "2027-07-05", "2027-09-06", "2027-11-25", "2027-12-24"] },
        { 2028, ["2028-01-17", "2028-02-21", "2028-04-14", "2028-05-29", "2028-06-19", "2028-07-04", "2028-09-04", "2028-11-23", "2028-12-25"] },
    };

    [Theory]
    [MemberData(nameof(PublishedHolidays))]
    public void Holidays_match_the_published_nyse_calendar(int year, string[] expected)
    {
        var actual = Calendar.HolidaysOf(year).Select(d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(expected, actual);
        foreach (var d in expected) Assert.False(Calendar.IsTradingDay(D(d)), d);
    }

    // early closes (13:00) as published: the 2019 ones from the Nasdaq/Kiplinger 2019 market-holiday
    // tables, 2020-2028 from the NYSE press releases above. Years checked: 2019 through 2028.
    public static TheoryData<int, string[]> PublishedEarlyCloses => new()
    {
        { 2019, ["2019-07-03", "2019-11-29", "2019-12-24"] },
        { 2020, ["2020-11-27", "2020-12-24"] },             // July 3 was the observed Independence Day
        { 2021, ["2021-11-26"] },                           // Dec 24 was the observed Christmas
        { 2022, ["2022-11-25"] },                           // Dec 24 a Saturday
        { 2023, ["2023-07-03", "2023-11-24"] },             // Dec 24 a Sunday
        { 2024, ["2024-07-03", "2024-11-29", "2024-12-24"] },
        { 2025, ["2025-07-03", "2025-11-28", "2025-12-24"] },
        { 2026, ["2026-11-27", "2026-12-24"] },             // July 3 is the observed Independence Day
        { 2027, ["2027-11-26"] },                           // July 2 (Fri) is not early; Dec 24 is observed Christmas
        { 2028, ["2028-07-03", "2028-11-24"] },
    };

    [Theory]
    [MemberData(nameof(PublishedEarlyCloses))]
    public void Early_closes_match_the_published_nyse_calendar(int year, string[] expected)
    {
        var actual = Calendar.EarlyClosesOf(year).Select(d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(expected, actual);
        foreach (var d in expected)
        {
            Assert.True(Calendar.IsTradingDay(D(d)));
            Assert.True(Calendar.IsEarlyClose(D(d)));
            Assert.True(Calendar.TryGetSession(D(d), out long open, out long close));
            Assert.Equal(MarketCalendar.NewYorkToUtc(D(d), new TimeOnly(13, 0)), close);
            Assert.Equal(MarketCalendar.NewYorkToUtc(D(d), new TimeOnly(9, 30)), open);
        }
    }

    [Fact]
    public void Sessions_in_utc_on_both_sides_of_the_2026_transitions()
    {
        // the transitions themselves fall on Sundays: no session
        Assert.False(Calendar.TryGetSession(D("2026-03-08"), out _, out _));
        Assert.False(Calendar.TryGetSession(D("2026-11-01"), out _, out _));

        Assert.True(Calendar.TryGetSession(D("2026-03-06"), out long open, out long close));
        Assert.Equal("2026-03-06T14:30:00Z", F(open));
        Assert.Equal("2026-03-06T21:00:00Z", F(close));
        Assert.True(Calendar.TryGetSession(D("2026-03-09"), out open, out close));
        Assert.Equal("2026-03-09T13:30:00Z", F(open));
        Assert.Equal("2026-03-09T20:00:00Z", F(close));
        Assert.True(Calendar.TryGetSession(D("2026-10-30"), out open, out close));
        Assert.Equal("2026-10-30T13:30:00Z", F(open));
        Assert.Equal("2026-10-30T20:00:00Z", F(close));
        Assert.True(Calendar.TryGetSession(D("2026-11-02"), out open, out close));
        Assert.Equal("2026-11-02T14:30:00Z", F(open));
        Assert.Equal("2026-11-02T21:00:00Z", F(close));
    }

    [Fact]
    public void Early_close_sessions_end_at_13_00_new_york_in_utc()
    {
        Assert.True(Calendar.TryGetSession(D("2025-11-28"), out _, out long close));
        Assert.Equal("2025-11-28T18:00:00Z", F(close)); // EST
        Assert.True(Calendar.TryGetSession(D("2024-07-03"), out _, out close));
        Assert.Equal("2024-07-03T17:00:00Z", F(close)); // EDT
        Assert.True(Calendar.IsInSession(T("2024-07-03T16:59:59.999999999Z")));
        Assert.False(Calendar.IsInSession(T("2024-07-03T17:00:00Z")));
    }

    [Theory]
    [InlineData("2026-01-03")]
    [InlineData("2026-01-04")]
    [InlineData("2026-06-20")]
    [InlineData("2026-06-21")]
    public void Weekends_have_no_session(string date)
    {
        Assert.False(Calendar.IsTradingDay(D(date)));
        Assert.False(Calendar.IsHoliday(D(date)));
        Assert.False(Calendar.TryGetSession(D(date), out _, out _));
    }

    [Theory]
    [InlineData(2000, "2000-04-23")]
    [InlineData(2008, "2008-03-23")]
    [InlineData(2011, "2011-04-24")]
    [InlineData(2019, "2019-04-21")]
    [InlineData(2024, "2024-03-31")]
    [InlineData(2025, "2025-04-20")]
    [InlineData(2026, "2026-04-05")]
    [InlineData(2038, "2038-04-25")]
    [InlineData(2285, "2285-03-22")]
    public void Easter_computus_gives_known_easter_sundays(int year, string easter)
    {
        Assert.Equal(D(easter), CalendarMath.EasterSunday(year));
    }

    [Theory]
    [InlineData("2019-04-19")]
    [InlineData("2024-03-29")]
    [InlineData("2038-04-23")]
    public void Good_friday_is_closed(string date)
    {
        Assert.Equal("Good Friday", Calendar.ClosureName(D(date)));
        Assert.False(Calendar.IsTradingDay(D(date)));
    }

    [Theory]
    [InlineData("2025-01-09", "Carter")]
    [InlineData("2018-12-05", "Bush")]
    [InlineData("2012-10-29", "Sandy")]
    [InlineData("2012-10-30", "Sandy")]
    [InlineData("2001-09-11", "September 11")]
    [InlineData("2001-09-14", "September 11")]
    [InlineData("2007-01-02", "Ford")]
    [InlineData("2004-06-11", "Reagan")]
    public void Special_closures_are_closed(string date, string nameContains)
    {
        Assert.False(Calendar.IsTradingDay(D(date)));
        Assert.Contains(nameContains, Calendar.ClosureName(D(date)), StringComparison.Ordinal);
    }

    [Fact]
    public void New_years_day_on_a_saturday_is_not_observed_on_friday_but_on_a_sunday_moves_to_monday()
    {
        Assert.True(Calendar.IsTradingDay(D("2021-12-31")));
        Assert.True(Calendar.IsTradingDay(D("2027-12-31")));
        Assert.False(Calendar.IsTradingDay(D("2023-01-02")));
        Assert.False(Calendar.IsTradingDay(D("2017-01-02")));
    }

    [Fact]
    public void Juneteenth_and_mlk_only_from_their_first_year()
    {
        Assert.True(Calendar.IsTradingDay(D("2021-06-18")));  // law signed the day before; NYSE stayed open
        Assert.False(Calendar.IsTradingDay(D("2022-06-20")));
        Assert.True(Calendar.IsTradingDay(D("1997-01-20")));  // MLK Day, before NYSE closed for it
        Assert.False(Calendar.IsTradingDay(D("1998-01-19")));
    }

    [Fact]
    public void In_session_is_open_inclusive_close_exclusive()
    {
        Assert.False(Calendar.IsInSession(T("2026-01-29T14:29:59.999999999Z")));
        Assert.True(Calendar.IsInSession(T("2026-01-29T14:30:00Z")));
        Assert.True(Calendar.IsInSession(T("2026-01-29T20:59:59.999999999Z")));
        Assert.False(Calendar.IsInSession(T("2026-01-29T21:00:00Z")));
        Assert.False(Calendar.IsInSession(T("2026-01-19T16:00:00Z"))); // MLK Day midday
    }

    [Fact]
    public void Next_open_across_the_independence_day_long_weekend_2026()
    {
        // Thu 2026-07-02 regular close; Fri Jul 3 observed holiday; weekend; Mon Jul 6 09:30 EDT
        long thursdayClose = T("2026-07-02T20:00:00Z");
        Assert.Equal("2026-07-06T13:30:00Z", F(Calendar.NextSessionOpenAtOrAfter(thursdayClose)));
        Assert.Equal("2026-07-06T13:30:00Z", F(Calendar.NextSessionOpenAtOrAfter(T("2026-07-03T15:00:00Z"))));
        Assert.Equal("2026-07-06T13:30:00Z", F(Calendar.NextSessionOpenAtOrAfter(T("2026-07-06T03:00:00Z"))));
        Assert.Equal(D("2026-07-06"), Calendar.NextTradingDay(D("2026-07-02")));
        Assert.Equal(D("2026-07-02"), Calendar.PreviousTradingDay(D("2026-07-06")));
    }

    [Fact]
    public void Next_open_across_mlk_weekend_and_the_dst_change()
    {
        Assert.Equal("2026-01-20T14:30:00Z", F(Calendar.NextSessionOpenAtOrAfter(T("2026-01-16T22:00:00Z"))));
        // Friday before spring-forward (EST) → Monday after (EDT)
        Assert.Equal("2026-03-09T13:30:00Z", F(Calendar.NextSessionOpenAtOrAfter(T("2026-03-06T21:00:00Z"))));
        // 9/11: Monday 2001-09-10 close → Monday 2001-09-17 open
        Assert.Equal("2001-09-17T13:30:00Z", F(Calendar.NextSessionOpenAtOrAfter(T("2001-09-10T20:00:00Z"))));
    }

    [Fact]
    public void Next_open_at_or_after_is_the_instant_itself_in_session_and_today_before_the_open()
    {
        long inSession = T("2026-01-29T16:36:38.123456789Z");
        Assert.Equal(inSession, Calendar.NextSessionOpenAtOrAfter(inSession));
        Assert.Equal("2026-01-29T14:30:00Z", F(Calendar.NextSessionOpenAtOrAfter(T("2026-01-29T09:00:00Z"))));
        Assert.Equal("2026-01-30T14:30:00Z", F(Calendar.NextSessionOpenAfter(inSession)));
        Assert.Equal("2026-01-29T14:30:00Z", F(Calendar.NextSessionOpenAfter(T("2026-01-29T14:29:00Z"))));
    }

    [Fact]
    public void Next_close_is_the_current_session_close_or_the_next_one()
    {
        Assert.Equal("2026-01-29T21:00:00Z", F(Calendar.NextSessionCloseAfter(T("2026-01-29T16:00:00Z"))));
        Assert.Equal("2026-01-29T21:00:00Z", F(Calendar.NextSessionCloseAfter(T("2026-01-29T10:00:00Z"))));
        Assert.Equal("2026-01-30T21:00:00Z", F(Calendar.NextSessionCloseAfter(T("2026-01-29T21:00:00Z"))));
        Assert.Equal("2026-11-27T18:00:00Z", F(Calendar.NextSessionCloseAfter(T("2026-11-25T21:00:00Z")))); // early close after Thanksgiving
        Assert.True(Calendar.TryGetSessionContaining(T("2026-11-27T17:00:00Z"), out long open, out long close));
        Assert.Equal("2026-11-27T14:30:00Z", F(open));
        Assert.Equal("2026-11-27T18:00:00Z", F(close));
        Assert.False(Calendar.TryGetSessionContaining(T("2026-11-27T18:00:00Z"), out _, out _));
    }

    [Fact]
    public void Expiration_instant_is_16_00_new_york()
    {
        Assert.Equal("2026-02-20T21:00:00Z", F(MarketCalendar.ExpirationUtc(D("2026-02-20"))));
        Assert.Equal("2026-06-19T20:00:00Z", F(MarketCalendar.ExpirationUtc(D("2026-06-19"))));
    }

    [Fact]
    public void Every_year_has_a_plausible_number_of_sessions_1990_to_2200()
    {
        for (int year = 1990; year <= 2200; year++)
        {
            int sessions = 0;
            for (var d = new DateOnly(year, 1, 1); d.Year == year; d = d.AddDays(1))
                if (Calendar.IsTradingDay(d)) sessions++;
            Assert.InRange(sessions, 245, 254);
            Assert.InRange(Calendar.EarlyClosesOf(year).Count, 1, 3);
        }
    }

    [Fact]
    public void Lookups_allocate_nothing_once_the_year_is_built()
    {
        long t0 = T("2026-01-29T16:36:38Z");
        // pass 1 builds the 2026/2027 tables and gets the code jitted (one-time work may allocate);
        // a per-lookup allocation would show in every later pass (~75,000 instants × 5 lookups each, so
        // megabytes); the runtime's own one-off work on this thread (tier-up, first use of a type while
        // other tests run in parallel) can put a few hundred bytes into a pass, so one clean pass is the proof
        var perPass = new List<long>();
        long sink = 0;
        for (int pass = 0; pass < 6; pass++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (long t = t0; t < t0 + 365 * NanoTime.PerDay; t += 7 * NanoTime.PerMinute)
            {
                if (Calendar.IsInSession(t)) sink++;
                sink += Calendar.NextSessionOpenAtOrAfter(t) & 1;
                sink += Calendar.NextSessionCloseAfter(t) & 1;
                sink += Calendar.NewYorkDate(t).Day;
                sink += MarketCalendar.NewYorkToUtc(Calendar.NewYorkDate(t), MarketCalendar.RegularClose) & 1;
            }
            perPass.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.True(sink > 0);
        Assert.Equal(0, perPass.Skip(1).Min());
        Assert.All(perPass.Skip(1), b => Assert.True(b < 10_000, $"{b} bytes in a pass"));
    }

    [Fact]
    public void Concurrent_first_use_builds_consistent_tables()
    {
        var results = new long[64];
        Parallel.For(0, results.Length, i =>
        {
            // far-future years nobody else touches: each built under contention
            long sum = 0;
            for (int year = 2150; year < 2160; year++)
                foreach (var d in Calendar.HolidaysOf(year)) sum += d.DayNumber;
            results[i] = sum;
        });
        Assert.All(results, r => Assert.Equal(results[0], r));
    }

    [Fact]
    public void Years_outside_the_table_are_rejected_clearly()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Calendar.IsTradingDay(new DateOnly(2300, 1, 2)));
        Assert.Contains("1900", e.Message, StringComparison.Ordinal);
    }
}
