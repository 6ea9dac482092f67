using Streamer.Rules.Calendar;

namespace Streamer.Stream.Emulator;

/// <summary>How the paper broker fills and refuses orders (defaults: whole fills, nothing refused beyond the documented errors).</summary>
public sealed class PaperBrokerOptions
{
    /// <summary>
    /// Fill no more than a quote's displayed size (bid size for sells, ask size for buys); the rest
    /// waits for later quotes (<c>partial_fill</c> … <c>fill</c>). Off: every marketable order fills whole.
    /// </summary>
    public bool PartialFills { get; init; }

    /// <summary>Orders touching these symbols are refused at <c>POST /v2/orders</c> (403, no order is created).</summary>
    public IReadOnlySet<string> RejectSymbols { get; init; } = new HashSet<string>();

    /// <summary>Orders touching these symbols are accepted (<c>new</c>), then <c>rejected</c> on the stream.</summary>
    public IReadOnlySet<string> RejectAsyncSymbols { get; init; } = new HashSet<string>();

    /// <summary>Orders touching these symbols are accepted and never fill (until canceled or expired).</summary>
    public IReadOnlySet<string> NoFillSymbols { get; init; } = new HashSet<string>();

    /// <summary>
    /// Symbols the broker trades besides those it has seen quoted or holds; null accepts any
    /// well-formed symbol. The emulator passes its tape's symbols (unknown ones → 422).
    /// </summary>
    public Func<string, bool>? IsListed { get; init; }

    /// <summary>
    /// Alpaca's pin-risk liquidation (alpaca-py issue #774): at 15:30 New York on an option's expiration
    /// day its risk desk closes every short contract expiring that day with a simple market
    /// <c>buy_to_close</c> order of its own, leg by leg, whatever spread the leg belongs to. On by default,
    /// as Alpaca does it; off (<c>--no-pin-risk</c>) short legs run into the 16:00 settlement.
    /// </summary>
    public bool PinRiskLiquidation { get; init; } = true;

    /// <summary>
    /// Assignments and exercises to force (<c>--assign SYMBOL@TIME</c>): at that market time the whole held
    /// position in the contract is settled into 100 shares per contract at the strike, whatever the
    /// underlying trades at: a short is assigned (<c>OPASN</c>), a long exercised (<c>OPEXC</c>). Nothing held
    /// then: nothing happens. Never on trade_updates, as at Alpaca.
    /// </summary>
    public IReadOnlyList<ForcedAssignment> Assignments { get; init; } = [];

    /// <summary>Session closes (day-order expiry) and option expirations.</summary>
    public MarketCalendar Calendar { get; init; } = MarketCalendar.Nyse;

    public static PaperBrokerOptions Default { get; } = new();
}
