namespace Streamer.Rules.Calendar;

/// <summary>
/// NYSE full-day closures and 13:00 early closes by rule (NYSE Rule 7.2 and the published
/// calendars), plus a data list of unscheduled closures. Sources: docs/calendar.md.
/// </summary>
internal static class NyseHolidays
{
    /// <summary>Unscheduled weekday closures (mourning days, storms, 9/11) since 1985.</summary>
    internal static readonly (DateOnly Date, string Name)[] SpecialClosures =
    [
        (new(1985, 9, 27), "Hurricane Gloria"),
        (new(1994, 4, 27), "National day of mourning: President Nixon"),
        (new(2001, 9, 11), "September 11 attacks"),
        (new(2001, 9, 12), "September 11 attacks"),
        (new(2001, 9, 13), "September 11 attacks"),
        (new(2001, 9, 14), "September 11 attacks"),
        (new(2004, 6, 11), "National day of mourning: President Reagan"),
        (new(2007, 1, 2), "National day of mourning: President Ford"),
        (new(2012, 10, 29), "Hurricane Sandy"),
        (new(2012, 10, 30), "Hurricane Sandy"),
        (new(2018, 12, 5), "National day of mourning: President George H. W. Bush"),
        (new(2025, 1, 9), "National day of mourning: President Carter"),
    ];

    /// <summary>Every closure of <paramref name="year"/> that falls on a weekday, in no particular order.</summary>
    public static void AddClosures(int year, List<(DateOnly Date, string Name)> into)
    {
        // new year's day: Sunday → Monday; Saturday → not observed (NYSE does not close Friday Dec 31)
        var newYear = new DateOnly(year, 1, 1);
        if (newYear.DayOfWeek == DayOfWeek.Sunday) into.Add((newYear.AddDays(1), "New Year's Day (observed)"));
        else if (newYear.DayOfWeek != DayOfWeek.Saturday) into.Add((newYear, "New Year's Day"));

        if (year >= 1998) into.Add((CalendarMath.NthWeekday(year, 1, DayOfWeek.Monday, 3), "Martin Luther King, Jr. Day"));
        into.Add((CalendarMath.NthWeekday(year, 2, DayOfWeek.Monday, 3), "Washington's Birthday"));
        into.Add((CalendarMath.EasterSunday(year).AddDays(-2), "Good Friday"));
        into.Add((CalendarMath.LastWeekday(year, 5, DayOfWeek.Monday), "Memorial Day"));
        if (year >= 2022) Observed(into, new DateOnly(year, 6, 19), "Juneteenth National Independence Day");
        Observed(into, new DateOnly(year, 7, 4), "Independence Day");
        into.Add((CalendarMath.NthWeekday(year, 9, DayOfWeek.Monday, 1), "Labor Day"));
        into.Add((ThanksgivingDay(year), "Thanksgiving Day"));
        Observed(into, new DateOnly(year, 12, 25), "Christmas Day");

        foreach (var special in SpecialClosures)
            if (special.Date.Year == year) into.Add(special);
    }

    /// <summary>
    /// The candidates for a 13:00 close; each is early only if it is a trading day: the day after
    /// Thanksgiving, Christmas Eve, and July 3 when it is Monday to Thursday (July 4 Tue–Fri).
    /// </summary>
    public static void AddEarlyCloseCandidates(int year, List<DateOnly> into)
    {
        into.Add(ThanksgivingDay(year).AddDays(1));
        into.Add(new DateOnly(year, 12, 24));
        var july3 = new DateOnly(year, 7, 3);
        if (july3.DayOfWeek is >= DayOfWeek.Monday and <= DayOfWeek.Thursday) into.Add(july3);
    }

    public static DateOnly ThanksgivingDay(int year) => CalendarMath.NthWeekday(year, 11, DayOfWeek.Thursday, 4);

    private static void Observed(List<(DateOnly, string)> into, DateOnly actual, string name)
    {
        var observed = CalendarMath.NearestWeekday(actual);
        into.Add((observed, observed == actual ? name : name + " (observed)"));
    }
}
