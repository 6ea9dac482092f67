namespace Streamer.Rules.Books;

/// <summary>How an underlying's options are exercised (pricing.underlyings.X.style).</summary>
public enum ExerciseStyle : byte
{
    /// <summary>Any day until expiry: US equity and ETF options (the default).</summary>
    American = 0,
    /// <summary>At expiry only: the cash-settled index options (<see cref="ExerciseStyles.EuropeanRoots"/>).</summary>
    European = 1,
}
