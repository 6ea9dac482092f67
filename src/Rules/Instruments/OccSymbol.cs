using System.Runtime.CompilerServices;

namespace Streamer.Rules.Instruments;

/// <summary>
/// An OCC option symbol: root (1-6 chars), expiration YYMMDD, C/P, strike × 1000 in 8 digits,
/// e.g. <c>META260220C00720000</c> = META, 2026-02-20, call, 720.000.
/// Alpaca streams the compact form without the OCC padding spaces; both are accepted.
/// </summary>
public readonly record struct OccSymbol(string Root, DateOnly Expiration, OptionRight Right, long StrikeThousandths)
{
    public double Strike => StrikeThousandths / 1000.0;

    public static OccSymbol Parse(string symbol)
    {
        if (!TryParse(symbol, out var occ, out var error))
            ThrowFormat(symbol, error);
        return occ;
    }

    /// <summary>true when <paramref name="symbol"/> has the shape of an option symbol (ends in YYMMDD[CP]########).</summary>
    public static bool LooksLikeOption(ReadOnlySpan<char> symbol)
    {
        if (symbol.Length < 16) return false;
        var tail = symbol[^15..];
        for (int i = 0; i < 6; i++) if (!char.IsAsciiDigit(tail[i])) return false;
        if (tail[6] != 'C' && tail[6] != 'P') return false;
        for (int i = 7; i < 15; i++) if (!char.IsAsciiDigit(tail[i])) return false;
        return true;
    }

    public static bool TryParse(string? symbol, out OccSymbol occ, out string error)
    {
        occ = default;
        if (string.IsNullOrEmpty(symbol)) { error = "empty option symbol"; return false; }
        var s = symbol.AsSpan();
        if (s.Length < 16) { error = $"option symbol '{symbol}' is too short: expected ROOT + YYMMDD + C/P + 8-digit strike"; return false; }
        var tail = s[^15..];
        var root = s[..^15].TrimEnd(' ');
        if (root.Length is < 1 or > 6) { error = $"option symbol '{symbol}': root '{root}' must be 1 to 6 characters"; return false; }
        foreach (var c in root)
        {
            if (!char.IsAsciiLetterUpper(c) && !char.IsAsciiDigit(c) && c != '.')
            { error = $"option symbol '{symbol}': root '{root}' has invalid character '{c}'"; return false; }
        }
        // the root is the underlying's name in NATS subjects: no empty part around a '.'
        if (root[0] == '.' || root[^1] == '.' || root.Contains("..", StringComparison.Ordinal))
        { error = $"option symbol '{symbol}': root '{root}' has a '.' at its start, its end or twice in a row"; return false; }
        for (int i = 0; i < 6; i++)
        {
            if (!char.IsAsciiDigit(tail[i])) { error = $"option symbol '{symbol}': expiration '{tail[..6]}' is not YYMMDD"; return false; }
        }
        int yy = Digits(tail[..2]), mm = Digits(tail.Slice(2, 2)), dd = Digits(tail.Slice(4, 2));
        if (mm is < 1 or > 12 || dd < 1 || dd > DateTime.DaysInMonth(2000 + yy, mm))
        { error = $"option symbol '{symbol}': expiration '{tail[..6]}' is not a calendar date"; return false; }
        OptionRight right = tail[6] switch { 'C' => OptionRight.Call, 'P' => OptionRight.Put, _ => OptionRight.None };
        if (right == OptionRight.None) { error = $"option symbol '{symbol}': right '{tail[6]}' must be C or P"; return false; }
        long strike = 0;
        for (int i = 7; i < 15; i++)
        {
            if (!char.IsAsciiDigit(tail[i])) { error = $"option symbol '{symbol}': strike '{tail[7..]}' must be 8 digits"; return false; }
            strike = strike * 10 + (tail[i] - '0');
        }
        if (strike == 0) { error = $"option symbol '{symbol}': strike is zero"; return false; }
        occ = new OccSymbol(root.ToString(), new DateOnly(2000 + yy, mm, dd), right, strike);
        error = string.Empty;
        return true;
    }

    /// <summary>The compact form Alpaca uses: root without padding.</summary>
    public override string ToString() => string.Create(Root.Length + 15, this, static (span, o) =>
    {
        o.Root.AsSpan().CopyTo(span);
        var t = span[o.Root.Length..];
        Two(t, o.Expiration.Year % 100);
        Two(t[2..], o.Expiration.Month);
        Two(t[4..], o.Expiration.Day);
        t[6] = o.Right == OptionRight.Call ? 'C' : 'P';
        long k = o.StrikeThousandths;
        for (int i = 14; i >= 7; i--) { t[i] = (char)('0' + (int)(k % 10)); k /= 10; }
    });

    /// <summary>Builds a symbol from a decimal strike; the strike must be a whole number of thousandths.</summary>
    public static OccSymbol Create(string root, DateOnly expiration, OptionRight right, double strike)
    {
        long k = (long)Math.Round(strike * 1000.0, MidpointRounding.AwayFromZero);
        if (k <= 0 || k > 99_999_999 || Math.Abs(k - strike * 1000.0) > 1e-6)
            throw new ArgumentOutOfRangeException(nameof(strike), strike, "strike must be positive, below 100000 and a whole number of thousandths");
        return new OccSymbol(root, expiration, right, k);
    }

    private static int Digits(ReadOnlySpan<char> s)
    {
        int v = 0;
        foreach (var c in s) v = v * 10 + (c - '0');
        return v;
    }

    private static void Two(Span<char> s, int v)
    {
        s[0] = (char)('0' + v / 10);
        s[1] = (char)('0' + v % 10);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowFormat(string? symbol, string error) => throw new FormatException(error);
}
