using System.Runtime.CompilerServices;

namespace Streamer.Rules.Time;

/// <summary>
/// Time as UTC nanoseconds since the Unix epoch in a <c>long</c> (good until 2262).
/// Parsing and formatting RFC 3339 here allocate nothing; tapes and Alpaca frames carry
/// up to 9 fractional digits and a DateTime (100 ns ticks) would lose them.
/// </summary>
public static class NanoTime
{
    public const long PerSecond = 1_000_000_000L;
    public const long PerMinute = 60 * PerSecond;
    public const long PerHour = 60 * PerMinute;
    public const long PerDay = 24 * PerHour;

    public static long FromDateTime(DateTime utc) =>
        (utc.ToUniversalTime().Ticks - DateTime.UnixEpoch.Ticks) * 100;

    public static DateTime ToDateTime(long ns) => DateTime.UnixEpoch.AddTicks(ns / 100);

    public static DateOnly UtcDate(long ns) => DateOnly.FromDayNumber((int)(FloorDiv(ns, PerDay) + UnixEpochDayNumber));

    /// <summary>ns at 00:00 UTC of a date.</summary>
    public static long FromUtcDate(DateOnly date) => (date.DayNumber - UnixEpochDayNumber) * PerDay;

    private const long UnixEpochDayNumber = 719162; // DateOnly(1970,1,1).DayNumber

    /// <summary>
    /// The years a time may have (<see cref="MinNs"/> … <see cref="MaxNs"/>): a <c>long</c> of ns ends in
    /// April 2262 and a year before 1678 underflows, and nothing a market sends is near either. A time
    /// outside is refused where it enters (parsing here, and the pipeline's ingress), never wrapped.
    /// </summary>
    public const int MinYear = 1900, MaxYear = 2200;

    /// <summary>1900-01-01T00:00:00Z.</summary>
    public static readonly long MinNs = (new DateOnly(MinYear, 1, 1).DayNumber - UnixEpochDayNumber) * PerDay;

    /// <summary>the last ns of 2200 (UTC).</summary>
    public static readonly long MaxNs = (new DateOnly(MaxYear + 1, 1, 1).DayNumber - UnixEpochDayNumber) * PerDay - 1;

    /// <summary>Within <see cref="MinYear"/>..<see cref="MaxYear"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool InRange(long ns) => (ulong)(ns - MinNs) <= (ulong)(MaxNs - MinNs);

    /// <summary>Parses <c>YYYY-MM-DDTHH:MM:SS[.fffffffff](Z|±HH:MM)</c>, years <see cref="MinYear"/>..<see cref="MaxYear"/> (outside: false).</summary>
    public static bool TryParseRfc3339(ReadOnlySpan<byte> s, out long ns)
    {
        ns = 0;
        if (s.Length < 20) return false;
        if (!D4(s, 0, out int year) || s[4] != '-' || !D2(s, 5, out int month) || s[7] != '-' || !D2(s, 8, out int day)) return false;
        if ((s[10] | 0x20) != 't' && s[10] != ' ') return false;
        if (!D2(s, 11, out int hour) || s[13] != ':' || !D2(s, 14, out int minute) || s[16] != ':' || !D2(s, 17, out int second)) return false;
        if (year is < MinYear or > MaxYear) return false; // a long of ns would wrap (year 1, 2262+): refused, never a time from another century
        if (month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 60) return false;
        int i = 19;
        long frac = 0;
        if (i < s.Length && s[i] == '.')
        {
            i++;
            int digits = 0;
            while (i < s.Length && (uint)(s[i] - '0') <= 9)
            {
                if (digits < 9) { frac = frac * 10 + (s[i] - '0'); digits++; }
                i++;
            }
            if (digits == 0) return false;
            for (int d = digits; d < 9; d++) frac *= 10;
        }
        if (i >= s.Length) return false;
        long offsetNs = 0;
        if ((s[i] | 0x20) == 'z') { i++; }
        else if (s[i] == '+' || s[i] == '-')
        {
            if (i + 6 > s.Length || !D2(s, i + 1, out int oh) || s[i + 3] != ':' || !D2(s, i + 4, out int om)) return false;
            offsetNs = (oh * PerHour + om * PerMinute) * (s[i] == '+' ? 1 : -1);
            i += 6;
        }
        else return false;
        if (i != s.Length) return false;
        long days = new DateOnly(year, month, day).DayNumber - UnixEpochDayNumber;
        ns = days * PerDay + hour * PerHour + minute * PerMinute + Math.Min(second, 59) * PerSecond + frac - offsetNs;
        return true;
    }

    public static bool TryParseRfc3339(ReadOnlySpan<char> s, out long ns)
    {
        if (s.Length > 64) { ns = 0; return false; }
        Span<byte> buf = stackalloc byte[s.Length];
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] > 127) { ns = 0; return false; }
            buf[i] = (byte)s[i];
        }
        return TryParseRfc3339(buf, out ns);
    }

    public static long ParseRfc3339(string s) =>
        TryParseRfc3339(s.AsSpan(), out long ns) ? ns : throw new FormatException($"'{s}' is not an RFC 3339 time of {MinYear}-{MaxYear} (e.g. 2026-01-29T16:36:38.5Z)");

    /// <summary>Longest output of <see cref="FormatRfc3339(long, Span{byte})"/>.</summary>
    public const int MaxRfc3339Length = 30;

    /// <summary>Writes UTC RFC 3339 with the fraction trimmed of trailing zeros (0-9 digits), as Alpaca does.</summary>
    public static int FormatRfc3339(long ns, Span<byte> dest)
    {
        long days = FloorDiv(ns, PerDay);
        long rem = ns - days * PerDay;
        var date = DateOnly.FromDayNumber((int)(days + UnixEpochDayNumber));
        int secOfDay = (int)(rem / PerSecond);
        long frac = rem % PerSecond;
        W4(dest, 0, date.Year); dest[4] = (byte)'-'; W2(dest, 5, date.Month); dest[7] = (byte)'-'; W2(dest, 8, date.Day);
        dest[10] = (byte)'T';
        W2(dest, 11, secOfDay / 3600); dest[13] = (byte)':'; W2(dest, 14, secOfDay / 60 % 60); dest[16] = (byte)':'; W2(dest, 17, secOfDay % 60);
        int i = 19;
        if (frac != 0)
        {
            int digits = 9;
            while (frac % 10 == 0) { frac /= 10; digits--; }
            dest[i++] = (byte)'.';
            for (int d = digits - 1; d >= 0; d--) { dest[i + d] = (byte)('0' + (int)(frac % 10)); frac /= 10; }
            i += digits;
        }
        dest[i++] = (byte)'Z';
        return i;
    }

    public static string FormatRfc3339(long ns)
    {
        Span<byte> buf = stackalloc byte[MaxRfc3339Length];
        int n = FormatRfc3339(ns, buf);
        return System.Text.Encoding.ASCII.GetString(buf[..n]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long FloorDiv(long a, long b) => a >= 0 ? a / b : (a - b + 1) / b;

    private static bool D2(ReadOnlySpan<byte> s, int at, out int v)
    {
        uint a = (uint)(s[at] - '0'), b = (uint)(s[at + 1] - '0');
        v = (int)(a * 10 + b);
        return a <= 9 && b <= 9;
    }

    private static bool D4(ReadOnlySpan<byte> s, int at, out int v)
    {
        v = 0;
        if (!D2(s, at, out int hi) || !D2(s, at + 2, out int lo)) return false;
        v = hi * 100 + lo;
        return v >= 1;
    }

    private static void W2(Span<byte> d, int at, int v) { d[at] = (byte)('0' + v / 10); d[at + 1] = (byte)('0' + v % 10); }

    private static void W4(Span<byte> d, int at, int v) { W2(d, at, v / 100); W2(d, at + 2, v % 100); }
}
