namespace Streamer.Rules.Books;

/// <summary>Rate and dividend yield for pricing, per underlying (rules.md: defaults 0.04 and 0).</summary>
public sealed class PricingParameters
{
    public const double DefaultRate = 0.04;
    public const double DefaultDividend = 0.0;

    private readonly Dictionary<string, (double Rate, double Dividend)> _byUnderlying = new(StringComparer.Ordinal);

    public double Rate { get; set; } = DefaultRate;
    public double Dividend { get; set; } = DefaultDividend;

    public static PricingParameters Default => new();

    public void Set(string underlying, double rate, double dividend) => _byUnderlying[underlying] = (rate, dividend);

    public (double Rate, double Dividend) For(string underlying) =>
        _byUnderlying.TryGetValue(underlying, out var v) ? v : (Rate, Dividend);
}
