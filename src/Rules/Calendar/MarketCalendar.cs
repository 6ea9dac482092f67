namespace Streamer.Rules.Calendar;

/// <summary>
/// NYSE sessions in America/New_York: DST-correct, holidays and early closes computed for any year.
/// All instants are UTC nanoseconds (<see cref="Time.NanoTime"/>).
/// CONTRACT ONLY: the calendar work fills these in; signatures stay.
/// </summary>
public sealed class MarketCalendar
{
    public static MarketCalendar Nyse { get; } = new();

    /// <summary>The New York calendar date of an instant.</summary>
    public DateOnly NewYorkDate(long utcNs) => throw new NotImplementedException();

    /// <summary>UTC ns of a New York wall-clock time on a date (DST-correct).</summary>
    public static long NewYorkToUtc(DateOnly date, TimeOnly time) => throw new NotImplementedException();

    public bool IsTradingDay(DateOnly nyDate) => throw new NotImplementedException();

    public bool IsEarlyClose(DateOnly nyDate) => throw new NotImplementedException();

    /// <summary>Regular session of a date: 09:30 to 16:00 (13:00 on early-close days). False on weekends and holidays.</summary>
    public bool TryGetSession(DateOnly nyDate, out long openNs, out long closeNs) => throw new NotImplementedException();

    /// <summary>True when <paramref name="utcNs"/> is within a regular session: open ≤ t &lt; close.</summary>
    public bool IsInSession(long utcNs) => throw new NotImplementedException();

    /// <summary><paramref name="utcNs"/> itself when in session, else the next session open after it.</summary>
    public long NextSessionOpenAtOrAfter(long utcNs) => throw new NotImplementedException();
}
