using Streamer.Rules.Instruments;

namespace Streamer.Feed.Synth;

/// <summary>What <see cref="SynthTape.Write"/> generates. Defaults are documented in docs/tapes.md.</summary>
public sealed class SynthOptions
{
    public const double DefaultVol = 0.25;
    public const double DefaultSpotWithoutOptions = 100.0;
    public static readonly DateOnly DefaultStart = new(2026, 1, 5);

    /// <summary>Tickers and OCC option symbols; an option implies its root as an underlying.</summary>
    public IReadOnlyList<string> Symbols { get; init; } = [];

    /// <summary>Start price per underlying; default: the median strike of its options, else 100.</summary>
    public IReadOnlyDictionary<string, double> Spots { get; init; } = new Dictionary<string, double>();

    /// <summary>Annualized volatility per underlying (the at-the-money level of its smile); default 0.25.</summary>
    public IReadOnlyDictionary<string, double> Vols { get; init; } = new Dictionary<string, double>();

    /// <summary>First New York date; a weekend or holiday starts at the next trading day.</summary>
    public DateOnly Start { get; init; } = DefaultStart;

    /// <summary>Trading sessions to cover. Null: 1, or as many as <see cref="Ticks"/> needs.</summary>
    public int? Days { get; init; }

    /// <summary>Market events per second of session time (before the option requotes an underlying move causes).</summary>
    public double TicksPerSecond { get; init; } = 10;

    public ulong Seed { get; init; } = 1;

    /// <summary>Stop after exactly this many rows (when the sessions last long enough).</summary>
    public long? Ticks { get; init; }

    /// <summary>Fraction of option quotes replaced by a bad one (crossed, or a zero ask).</summary>
    public double BadQuoteRate { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first thing that is wrong.</summary>
    public void Validate()
    {
        if (Symbols.Count == 0) throw new ArgumentException("no symbols: give tickers and/or OCC option symbols");
        var underlyings = new HashSet<string>(StringComparer.Ordinal);
        foreach (var symbol in Symbols)
        {
            if (string.IsNullOrWhiteSpace(symbol)) throw new ArgumentException("empty symbol in the symbol list");
            if (symbol.Length >= 16 || OccSymbol.LooksLikeOption(symbol))
            {
                if (!OccSymbol.TryParse(symbol, out var occ, out var error)) throw new ArgumentException(error);
                if (symbol.Contains(' ', StringComparison.Ordinal)) throw new ArgumentException($"option symbol '{symbol}': use the compact form without padding spaces");
                underlyings.Add(occ.Root);
            }
            else
            {
                foreach (char c in symbol)
                    if (!char.IsAsciiLetterUpper(c) && !char.IsAsciiDigit(c) && c is not ('.' or '/' or '-'))
                        throw new ArgumentException($"'{symbol}' is neither a ticker (A-Z, 0-9, '.', '/', '-') nor an OCC option symbol");
                underlyings.Add(symbol);
            }
        }
        foreach (var (name, spot) in Spots)
        {
            if (!underlyings.Contains(name)) throw new ArgumentException($"spot given for '{name}', which is not one of the underlyings ({string.Join(", ", underlyings)})");
            if (!(spot > 0) || !double.IsFinite(spot)) throw new ArgumentException($"spot of {name} must be a positive price, got {spot}");
        }
        foreach (var (name, vol) in Vols)
        {
            if (!underlyings.Contains(name)) throw new ArgumentException($"vol given for '{name}', which is not one of the underlyings ({string.Join(", ", underlyings)})");
            if (!(vol > 0 && vol <= 5)) throw new ArgumentException($"vol of {name} must be in (0, 5] (0.25 = 25 %), got {vol}");
        }
        if (!(TicksPerSecond > 0 && TicksPerSecond <= 1e6)) throw new ArgumentException($"tick rate must be in (0, 1000000] per second, got {TicksPerSecond}");
        if (Days is < 1) throw new ArgumentException($"days must be at least 1, got {Days}");
        if (Ticks is < 1) throw new ArgumentException($"ticks must be at least 1, got {Ticks}");
        if (!(BadQuoteRate >= 0 && BadQuoteRate <= 1)) throw new ArgumentException($"bad-quote rate must be in [0, 1], got {BadQuoteRate}");
        if (Start.Year is < 2000 or > 2200) throw new ArgumentException($"start {Start:yyyy-MM-dd} is outside 2000-2200");
    }
}
