using System.Collections.Frozen;

namespace Streamer.Rules.Books;

/// <summary>
/// The default exercise style of an underlying or option root. The one list of European roots:
/// the cash-settled, European-exercise index options listed in the US (Cboe/Nasdaq/NYSE product
/// specs). Everything else — single stocks, ETFs such as SPY, QQQ, IWM, DIA — is American.
/// A books file can override any underlying with <c>pricing.underlyings.X.style</c>.
/// </summary>
public static class ExerciseStyles
{
    /// <summary>Cash-settled European index roots (and their weekly / PM-settled / mini variants).</summary>
    public static readonly FrozenSet<string> EuropeanRoots = new[]
    {
        "SPX", "SPXW", "SPXPM", "XSP",          // S&P 500, its weeklies, PM-settled, mini
        "NDX", "NDXP", "XND",                    // Nasdaq-100, PM-settled, micro
        "RUT", "RUTW", "MRUT",                   // Russell 2000, weeklies, mini
        "VIX", "VIXW",                           // Cboe volatility index, weeklies
        "DJX",                                   // Dow Jones (1/100)
        "XEO",                                   // S&P 100 European (OEX itself is American-style: not listed)
        "MXEA", "MXEF",                          // MSCI EAFE, Emerging Markets
    }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>European for the index roots above (a leading '$' or '^', as some feeds write indexes, is ignored), else American.</summary>
    public static ExerciseStyle DefaultFor(string underlyingOrRoot)
    {
        ArgumentNullException.ThrowIfNull(underlyingOrRoot);
        var name = underlyingOrRoot.TrimStart('$', '^');
        return EuropeanRoots.Contains(name) ? ExerciseStyle.European : ExerciseStyle.American;
    }

    public static bool TryParse(string text, out ExerciseStyle style)
    {
        switch (text)
        {
            case "american": style = ExerciseStyle.American; return true;
            case "european": style = ExerciseStyle.European; return true;
            default: style = default; return false;
        }
    }
}
