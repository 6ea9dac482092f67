using Streamer.Rules.Instruments;

namespace Streamer.Rules.Positions;

internal static class LegSymbols
{
    public static string UnderlyingOf(string symbol) =>
        OccSymbol.LooksLikeOption(symbol) && OccSymbol.TryParse(symbol, out var occ, out _) ? occ.Root : symbol;

    /// <summary>A stock ticker: 1-10 of A-Z, 0-9, '.', '/', '-' (BRK.B, BF/B).</summary>
    public static bool IsTicker(string symbol)
    {
        if (symbol.Length is < 1 or > 10) return false;
        foreach (char c in symbol)
        {
            if (!char.IsAsciiLetterUpper(c) && !char.IsAsciiDigit(c) && c is not ('.' or '/' or '-')) return false;
        }
        return char.IsAsciiLetterUpper(symbol[0]);
    }
}
