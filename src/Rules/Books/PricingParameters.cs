namespace Streamer.Rules.Books;

/// <summary>
/// Pricing inputs per underlying: rate and continuous dividend yield (rules.md: defaults 0.04 and 0),
/// exercise style (default by <see cref="ExerciseStyles.DefaultFor"/>: American for equity options,
/// European for the cash-settled index roots) and discrete cash dividends (sorted by ex-date).
/// </summary>
public sealed class PricingParameters
{
    public const double DefaultRate = 0.04;
    public const double DefaultDividend = 0.0;

    private readonly Dictionary<string, Entry> _byUnderlying = new(StringComparer.Ordinal);

    public double Rate { get; set; } = DefaultRate;
    public double Dividend { get; set; } = DefaultDividend;

    /// <summary>
    /// <c>pricing.style</c>: the style of every underlying that names none of its own (null: by name, American
    /// for equity options, European for the cash-settled index roots). <c>european</c> is the fast path for
    /// a backtest that accepts Black–Scholes on American options (docs/pricing.md "Which model a leg uses").
    /// </summary>
    public ExerciseStyle? DefaultStyle { get; set; }

    public static PricingParameters Default => new();

    public void Set(string underlying, double rate, double dividend) => Set(underlying, rate, dividend, null, []);

    /// <param name="style">null: the default for the name (<see cref="ExerciseStyles.DefaultFor"/>).</param>
    public void Set(string underlying, double rate, double dividend, ExerciseStyle? style, IReadOnlyList<ScheduledDividend> dividends)
    {
        ArgumentNullException.ThrowIfNull(dividends);
        var sorted = dividends.OrderBy(d => d.ExDate).ToArray();
        _byUnderlying[underlying] = new Entry(rate, dividend, style, sorted);
    }

    public (double Rate, double Dividend) For(string underlying) =>
        _byUnderlying.TryGetValue(underlying, out var v) ? (v.Rate, v.Dividend) : (Rate, Dividend);

    /// <summary>The configured style, else the default for the underlying's name.</summary>
    public ExerciseStyle StyleFor(string underlying) =>
        _byUnderlying.TryGetValue(underlying, out var v) && v.Style is { } s ? s : DefaultStyle ?? ExerciseStyles.DefaultFor(underlying);

    /// <summary>Whether the books file names a style for the underlying, or for all (else an option root may still make it European).</summary>
    public bool HasStyle(string underlying) => (_byUnderlying.TryGetValue(underlying, out var v) && v.Style is not null) || DefaultStyle is not null;

    /// <summary>Discrete cash dividends, ascending by ex-date (empty: none).</summary>
    public IReadOnlyList<ScheduledDividend> DividendsFor(string underlying) =>
        _byUnderlying.TryGetValue(underlying, out var v) ? v.Dividends : [];

    /// <summary>Copies everything (defaults and per-underlying entries) into <paramref name="other"/>.</summary>
    public void CopyTo(PricingParameters other)
    {
        ArgumentNullException.ThrowIfNull(other);
        other.Rate = Rate;
        other.Dividend = Dividend;
        other.DefaultStyle = DefaultStyle;
        foreach (var (k, v) in _byUnderlying) other._byUnderlying[k] = v;
    }

    private sealed record Entry(double Rate, double Dividend, ExerciseStyle? Style, ScheduledDividend[] Dividends);
}
