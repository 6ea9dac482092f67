using System.Buffers.Text;
using System.Runtime.CompilerServices;

namespace Streamer.Feed.Tapes;

/// <summary>
/// Parses tape prices. Plain decimals (<c>596.25</c>, up to 15 digits) take an exact fast path:
/// an integer mantissa below 2^53 divided by an exact power of ten is correctly rounded by IEEE
/// division, so the result is bit-identical to <see cref="Utf8Parser"/> (Clinger's fast path).
/// Anything else (exponents, long mantissas) goes to <see cref="Utf8Parser"/>.
/// </summary>
internal static class PriceParser
{
    private static readonly double[] PowersOfTen =
        [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

    /// <summary>Parses the whole of <paramref name="s"/> as a finite number.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryParse(ReadOnlySpan<byte> s, out double value)
    {
        int i = 0;
        bool negative = false;
        if (s.Length > 0 && s[0] == (byte)'-') { negative = true; i = 1; }
        long mantissa = 0;
        int digits = 0, fraction = -1;
        for (; i < s.Length; i++)
        {
            uint d = (uint)(s[i] - '0');
            if (d <= 9)
            {
                mantissa = mantissa * 10 + d;
                digits++;
                if (fraction >= 0) fraction++;
            }
            else if (s[i] == (byte)'.' && fraction < 0) fraction = 0;
            else return Slow(s, out value);
        }
        if (digits == 0 || digits > 15 || fraction == 0) return Slow(s, out value);
        value = fraction > 0 ? mantissa / PowersOfTen[fraction] : mantissa;
        if (negative) value = -value;
        return true;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool Slow(ReadOnlySpan<byte> s, out double value) =>
        Utf8Parser.TryParse(s, out value, out int consumed) && consumed == s.Length && double.IsFinite(value);
}
