using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Streamer.Rules.Time;

namespace Streamer.Feed.Tapes;

/// <summary>
/// RFC 3339 for tape rows: tapes carry long runs of one date, so the date prefix
/// (<c>YYYY-MM-DDT</c>) is validated once by <see cref="NanoTime.TryParseRfc3339(ReadOnlySpan{byte}, out long)"/>
/// and reused; the fast path takes only the canonical <c>HH:MM:SS[.f…]Z</c> tail and hands every
/// other shape (offsets, leap seconds, more than 9 digits) to NanoTime, so results are identical.
/// </summary>
internal struct TimeParser
{
    private ulong _prefix0;      // bytes 0-7 of the cached "YYYY-MM-DDT"
    private uint _prefix1;       // bytes 7-10 (overlapping)
    private long _dayStartNs;
    private bool _cached;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryParse(ReadOnlySpan<byte> s, out long ns)
    {
        if (_cached && s.Length >= 20 && s[^1] == (byte)'Z'
            && BinaryPrimitives.ReadUInt64LittleEndian(s) == _prefix0
            && BinaryPrimitives.ReadUInt32LittleEndian(s[7..]) == _prefix1
            && TryTimeOfDay(s, out long tod))
        {
            ns = _dayStartNs + tod;
            return true;
        }
        return Slow(s, out ns);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool Slow(ReadOnlySpan<byte> s, out long ns)
    {
        if (!NanoTime.TryParseRfc3339(s, out ns)) return false;
        // cache the date only from a canonical UTC time whose tail the fast path reproduces
        if (s[^1] == (byte)'Z' && TryTimeOfDay(s, out long tod))
        {
            _prefix0 = BinaryPrimitives.ReadUInt64LittleEndian(s);
            _prefix1 = BinaryPrimitives.ReadUInt32LittleEndian(s[7..]);
            _dayStartNs = ns - tod;
            _cached = true;
        }
        return true;
    }

    /// <summary>ns since midnight of <c>HH:MM:SS[.fffffffff]Z</c> at offset 11; false for any other shape.</summary>
    private static bool TryTimeOfDay(ReadOnlySpan<byte> s, out long tod)
    {
        tod = 0;
        if (s[13] != (byte)':' || s[16] != (byte)':') return false;
        uint h1 = (uint)(s[11] - '0'), h2 = (uint)(s[12] - '0'), m1 = (uint)(s[14] - '0'), m2 = (uint)(s[15] - '0');
        uint s1 = (uint)(s[17] - '0'), s2 = (uint)(s[18] - '0');
        if ((h1 | h2 | m1 | m2 | s1 | s2) > 9) return false;
        uint hour = h1 * 10 + h2, minute = m1 * 10 + m2, second = s1 * 10 + s2;
        if (hour > 23 || minute > 59 || second > 59) return false;
        long frac = 0;
        int end = s.Length - 1; // the 'Z'
        if (end > 19)
        {
            if (s[19] != (byte)'.') return false;
            int digits = end - 20;
            if (digits is < 1 or > 9) return false;
            for (int i = 20; i < end; i++)
            {
                uint d = (uint)(s[i] - '0');
                if (d > 9) return false;
                frac = frac * 10 + d;
            }
            for (int d = digits; d < 9; d++) frac *= 10;
        }
        else if (end != 19) return false;
        tod = hour * NanoTime.PerHour + minute * NanoTime.PerMinute + second * NanoTime.PerSecond + frac;
        return true;
    }
}
