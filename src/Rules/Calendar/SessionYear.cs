using Streamer.Rules.Time;

namespace Streamer.Rules.Calendar;

/// <summary>
/// One year of the NYSE calendar, computed once: DST instants and, per day, whether and when
/// the regular session runs. Immutable after construction, so any thread may read it.
/// </summary>
internal sealed class SessionYear
{
    private const long OpenOfDay = 9 * NanoTime.PerHour + 30 * NanoTime.PerMinute;
    private const long RegularCloseOfDay = 16 * NanoTime.PerHour;
    private const long EarlyCloseOfDay = 13 * NanoTime.PerHour;

    public int Year { get; }
    public int FirstDayNumber { get; }

    /// <summary>[UtcStart, UtcEnd): the instants whose UTC date falls in this year.</summary>
    public long UtcStart { get; }
    public long UtcEnd { get; }

    public long DstStartUtc { get; }
    public long DstEndUtc { get; }

    // the same bounds in New York wall-clock ns (as if the wall clock were UTC): wall times in
    // [DstStartLocal, DstEndLocal) read as EDT. The spring gap (02:00-03:00) reads as EST, i.e.
    // moves forward an hour; the repeated autumn hour (01:00-02:00) reads as EST, as TimeZoneInfo does.
    private readonly long _dstStartLocal;
    private readonly long _dstEndLocal;

    private readonly SessionKind[] _kinds;
    private readonly long[] _open;
    private readonly long[] _close;
    private readonly string?[] _closureNames;

    public SessionYear(int year)
    {
        Year = year;
        var jan1 = new DateOnly(year, 1, 1);
        FirstDayNumber = jan1.DayNumber;
        UtcStart = NanoTime.FromUtcDate(jan1);
        UtcEnd = NanoTime.FromUtcDate(jan1.AddYears(1));
        (DstStartUtc, DstEndUtc) = NewYorkTime.DaylightSavingUtc(year);
        _dstStartLocal = DstStartUtc + NewYorkTime.DaylightOffsetNs;   // 03:00 EDT wall
        _dstEndLocal = DstEndUtc + NewYorkTime.StandardOffsetNs;       // 01:00 EST wall

        int days = DateTime.IsLeapYear(year) ? 366 : 365;
        _kinds = new SessionKind[days];
        _open = new long[days];
        _close = new long[days];
        _closureNames = new string?[days];
        for (int i = 0; i < days; i++)
            _kinds[i] = CalendarMath.IsWeekend(jan1.AddDays(i)) ? SessionKind.Weekend : SessionKind.Regular;

        var closures = new List<(DateOnly Date, string Name)>(16);
        NyseHolidays.AddClosures(year, closures);
        foreach (var (date, name) in closures)
        {
            int i = date.DayNumber - FirstDayNumber;
            if (_kinds[i] == SessionKind.Weekend) continue;
            _kinds[i] = SessionKind.Closed;
            _closureNames[i] = _closureNames[i] is null ? name : _closureNames[i] + "; " + name;
        }

        var early = new List<DateOnly>(4);
        NyseHolidays.AddEarlyCloseCandidates(year, early);
        foreach (var date in early)
        {
            int i = date.DayNumber - FirstDayNumber;
            if (_kinds[i] == SessionKind.Regular) _kinds[i] = SessionKind.EarlyClose;
        }

        for (int i = 0; i < days; i++)
        {
            if (_kinds[i] is not (SessionKind.Regular or SessionKind.EarlyClose)) continue;
            long midnightLocal = UtcStart + i * NanoTime.PerDay;
            _open[i] = LocalToUtc(midnightLocal + OpenOfDay);
            _close[i] = LocalToUtc(midnightLocal + (_kinds[i] == SessionKind.EarlyClose ? EarlyCloseOfDay : RegularCloseOfDay));
        }
    }

    public SessionKind KindOf(int dayNumber) => _kinds[dayNumber - FirstDayNumber];

    public string? ClosureName(int dayNumber) => _closureNames[dayNumber - FirstDayNumber];

    public bool TryGetSession(int dayNumber, out long openNs, out long closeNs)
    {
        int i = dayNumber - FirstDayNumber;
        openNs = _open[i];
        closeNs = _close[i];
        return _kinds[i] >= SessionKind.Regular;
    }

    /// <summary>New York wall-clock ns (as if UTC) of a wall time in this year → UTC ns.</summary>
    public long LocalToUtc(long localNs) =>
        localNs - (localNs >= _dstStartLocal && localNs < _dstEndLocal ? NewYorkTime.DaylightOffsetNs : NewYorkTime.StandardOffsetNs);

    /// <summary>UTC offset in force at an instant of this (UTC) year.</summary>
    public long OffsetAt(long utcNs) =>
        utcNs >= DstStartUtc && utcNs < DstEndUtc ? NewYorkTime.DaylightOffsetNs : NewYorkTime.StandardOffsetNs;
}
