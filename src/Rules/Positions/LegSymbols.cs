using Streamer.Rules.Instruments;

namespace Streamer.Rules.Positions;

public static class LegSymbols
{
    public static string UnderlyingOf(string symbol) =>
        OccSymbol.LooksLikeOption(symbol) && OccSymbol.TryParse(symbol, out var occ, out _) ? occ.Root : symbol;

    /// <summary>
    /// A stock ticker: 1-10 characters, A-Z and 0-9 in runs joined by single '.', '/' or '-' (BRK.B,
    /// BF/B, BRK-B), starting with a letter and ending with a letter or digit. A ticker becomes a NATS
    /// subject token (<c>streamer.exits.&lt;UNDERLYING&gt;</c>), so "A..B", ".A" or "A." are refused
    /// here, at intake: as a subject they would be invalid, and nothing would ever ack their exits.
    /// </summary>
    public static bool IsTicker(string symbol)
    {
        ArgumentNullException.ThrowIfNull(symbol);
        if (symbol.Length is < 1 or > 10 || !char.IsAsciiLetterUpper(symbol[0])) return false;
        bool afterSeparator = false;
        foreach (char c in symbol)
        {
            if (char.IsAsciiLetterUpper(c) || char.IsAsciiDigit(c)) afterSeparator = false;
            else if (c is '.' or '/' or '-' && !afterSeparator) afterSeparator = true;
            else return false;
        }
        return !afterSeparator;
    }

    /// <summary>
    /// The first option leg already expired at <paramref name="nowNs"/> (past 16:00 New York on its
    /// expiration day, DST-correct), or null.
    /// </summary>
    public static (string Symbol, DateOnly Expiration)? FirstExpired(IEnumerable<LegSpec> legs, long nowNs)
    {
        ArgumentNullException.ThrowIfNull(legs);
        foreach (var leg in legs)
            if (OccSymbol.LooksLikeOption(leg.Symbol) && OccSymbol.TryParse(leg.Symbol, out var occ, out _)
                && Streamer.Rules.Calendar.MarketCalendar.ExpirationUtc(occ.Expiration) < nowNs)
                return (leg.Symbol, occ.Expiration);
        return null;
    }
}
