using System.Runtime.CompilerServices;
using Streamer.Rules.Time;

namespace Streamer.Rules.Calendar;

/// <summary>
/// NYSE sessions in America/New_York: DST-correct, holidays and early closes computed for any year.
/// All instants are UTC nanoseconds (<see cref="Time.NanoTime"/>).
/// Each year's table is built once on first use (thread-safe); after that every lookup is
/// array arithmetic and allocates nothing, so the engine may call it per tick.
/// Rules, sources and supported range: docs/calendar.md.
/// </summary>
public sealed class MarketCalendar
{
    /// <summary>Years with a table. Holiday rules are exact from 1998 (MLK Day); DST from 1976.</summary>
    public const int MinYear = 1900;
    public const int MaxYear = 2261;

    public static readonly TimeOnly RegularOpen = new(9, 30);
    public static readonly TimeOnly RegularClose = new(16, 0);
    public static readonly TimeOnly EarlyCloseTime = new(13, 0);

    private static readonly SessionYear?[] Years = new SessionYear?[MaxYear - MinYear + 1];
    private static SessionYear? _last; // the year most recently looked up by instant: ticks come in runs

    public static MarketCalendar Nyse { get; } = new();

    /// <summary>The New York calendar date of an instant.</summary>
    public DateOnly NewYorkDate(long utcNs) => DateOnly.FromDayNumber(NewYorkDayNumber(utcNs));

    /// <summary>UTC offset of New York at an instant: −4 h (EDT) or −5 h (EST), in ns.</summary>
    public static long UtcOffsetNs(long utcNs) => YearOfInstant(utcNs).OffsetAt(utcNs);

    /// <summary>
    /// UTC ns of a New York wall-clock time on a date (DST-correct). A wall time in the spring-forward
    /// gap (02:00–03:00) is read as EST, i.e. an hour later in EDT; the repeated autumn hour
    /// (01:00–02:00) is read as EST (the second occurrence), as <see cref="TimeZoneInfo"/> does.
    /// </summary>
    public static long NewYorkToUtc(DateOnly date, TimeOnly time)
    {
        var year = Year(date.Year);
        return year.LocalToUtc(NanoTime.FromUtcDate(date) + time.Ticks * 100);
    }

    /// <summary>The expiration instant of an option (rules.md): 16:00 New York on the expiration date.</summary>
    public static long ExpirationUtc(DateOnly expiration) => NewYorkToUtc(expiration, RegularClose);

    public bool IsTradingDay(DateOnly nyDate) => Year(nyDate.Year).KindOf(nyDate.DayNumber) >= SessionKind.Regular;

    public bool IsEarlyClose(DateOnly nyDate) => Year(nyDate.Year).KindOf(nyDate.DayNumber) == SessionKind.EarlyClose;

    /// <summary>True on a weekday the exchange is closed (a holiday or an unscheduled closure).</summary>
    public bool IsHoliday(DateOnly nyDate) => Year(nyDate.Year).KindOf(nyDate.DayNumber) == SessionKind.Closed;

    /// <summary>The name of the holiday or closure on a weekday the exchange is closed, else null.</summary>
    public string? ClosureName(DateOnly nyDate) => Year(nyDate.Year).ClosureName(nyDate.DayNumber);

    /// <summary>Regular session of a date: 09:30 to 16:00 (13:00 on early-close days). False on weekends and holidays.</summary>
    public bool TryGetSession(DateOnly nyDate, out long openNs, out long closeNs) =>
        Year(nyDate.Year).TryGetSession(nyDate.DayNumber, out openNs, out closeNs);

    /// <summary>True when <paramref name="utcNs"/> is within a regular session: open ≤ t &lt; close.</summary>
    public bool IsInSession(long utcNs) =>
        TryGetSessionContaining(utcNs, out _, out _);

    /// <summary>The session that contains <paramref name="utcNs"/> (open ≤ t &lt; close), if any.</summary>
    public bool TryGetSessionContaining(long utcNs, out long openNs, out long closeNs)
    {
        int day = NewYorkDayNumber(utcNs);
        if (YearOfDay(day).TryGetSession(day, out openNs, out closeNs) && utcNs >= openNs && utcNs < closeNs)
            return true;
        openNs = closeNs = 0;
        return false;
    }

    /// <summary>
    /// Close of the session containing <paramref name="utcNs"/>, or, outside a session, of the next
    /// session: the first close strictly after t.
    /// </summary>
    public long NextSessionCloseAfter(long utcNs)
    {
        int day = NewYorkDayNumber(utcNs);
        if (YearOfDay(day).TryGetSession(day, out _, out long close) && utcNs < close) return close;
        NextSession(day, out _, out close);
        return close;
    }

    /// <summary><paramref name="utcNs"/> itself when in session, else the next session open after it.</summary>
    public long NextSessionOpenAtOrAfter(long utcNs)
    {
        int day = NewYorkDayNumber(utcNs);
        if (YearOfDay(day).TryGetSession(day, out long open, out long close))
        {
            if (utcNs < open) return open;
            if (utcNs < close) return utcNs;
        }
        NextSession(day, out open, out _);
        return open;
    }

    /// <summary>The first session open strictly after <paramref name="utcNs"/> (a clock event to schedule).</summary>
    public long NextSessionOpenAfter(long utcNs)
    {
        int day = NewYorkDayNumber(utcNs);
        if (YearOfDay(day).TryGetSession(day, out long open, out _) && utcNs < open) return open;
        NextSession(day, out open, out _);
        return open;
    }

    /// <summary>The first trading day strictly after <paramref name="nyDate"/>.</summary>
    public DateOnly NextTradingDay(DateOnly nyDate)
    {
        int day = NextSession(nyDate.DayNumber, out _, out _);
        return DateOnly.FromDayNumber(day);
    }

    /// <summary>The last trading day strictly before <paramref name="nyDate"/>.</summary>
    public DateOnly PreviousTradingDay(DateOnly nyDate)
    {
        int day = nyDate.DayNumber;
        for (int i = 0; i < MaxGapDays; i++)
        {
            day--;
            if (YearOfDay(day).KindOf(day) >= SessionKind.Regular) return DateOnly.FromDayNumber(day);
        }
        return ThrowNoSession(nyDate);
    }

    /// <summary>Weekday closures of a year (holidays, observed holidays, special closures), in date order. Allocates.</summary>
    public IReadOnlyList<DateOnly> HolidaysOf(int year)
    {
        var table = Year(year);
        var list = new List<DateOnly>(12);
        for (var d = new DateOnly(year, 1, 1); d.Year == year; d = d.AddDays(1))
            if (table.KindOf(d.DayNumber) == SessionKind.Closed) list.Add(d);
        return list;
    }

    /// <summary>13:00 early-close days of a year, in date order. Allocates.</summary>
    public IReadOnlyList<DateOnly> EarlyClosesOf(int year)
    {
        var table = Year(year);
        var list = new List<DateOnly>(3);
        for (var d = new DateOnly(year, 1, 1); d.Year == year; d = d.AddDays(1))
            if (table.KindOf(d.DayNumber) == SessionKind.EarlyClose) list.Add(d);
        return list;
    }

    // the longest run of days without a session since 1985 is 9/11 (Tue-Fri plus a weekend); a month is ample
    private const int MaxGapDays = 31;

    private static int NextSession(int dayNumber, out long openNs, out long closeNs)
    {
        int day = dayNumber;
        for (int i = 0; i < MaxGapDays; i++)
        {
            day++;
            if (YearOfDay(day).TryGetSession(day, out openNs, out closeNs)) return day;
        }
        openNs = closeNs = 0;
        return ThrowNoSession(DateOnly.FromDayNumber(dayNumber)).DayNumber;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int NewYorkDayNumber(long utcNs)
    {
        long local = utcNs + YearOfInstant(utcNs).OffsetAt(utcNs);
        return (int)(NanoTime.FloorDiv(local, NanoTime.PerDay) + UnixEpochDayNumber);
    }

    private const long UnixEpochDayNumber = 719162; // DateOnly(1970,1,1).DayNumber

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static SessionYear YearOfInstant(long utcNs)
    {
        var last = Volatile.Read(ref _last);
        if (last is not null && utcNs >= last.UtcStart && utcNs < last.UtcEnd) return last;
        return YearOfInstantSlow(utcNs);
    }

    private static SessionYear YearOfInstantSlow(long utcNs)
    {
        var year = Year(NanoTime.UtcDate(utcNs).Year);
        Volatile.Write(ref _last, year);
        return year;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static SessionYear YearOfDay(int dayNumber)
    {
        var last = Volatile.Read(ref _last);
        if (last is not null && dayNumber >= last.FirstDayNumber && dayNumber < last.FirstDayNumber + 365) return last;
        return Year(DateOnly.FromDayNumber(dayNumber).Year);
    }

    private static SessionYear Year(int year)
    {
        if ((uint)(year - MinYear) > MaxYear - MinYear) ThrowYearOutOfRange(year);
        return Volatile.Read(ref Years[year - MinYear]) ?? Build(year);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static SessionYear Build(int year)
    {
        var built = new SessionYear(year);
        return Interlocked.CompareExchange(ref Years[year - MinYear], built, null) ?? built;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowYearOutOfRange(int year) =>
        throw new ArgumentOutOfRangeException(nameof(year), year, $"the market calendar covers {MinYear} to {MaxYear}");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static DateOnly ThrowNoSession(DateOnly from) =>
        throw new InvalidOperationException($"no NYSE session within {MaxGapDays} days of {from:yyyy-MM-dd}");
}
