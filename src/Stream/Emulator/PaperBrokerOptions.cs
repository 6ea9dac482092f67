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

    /// <summary>Session closes (day-order expiry) and option expirations.</summary>
    public MarketCalendar Calendar { get; init; } = MarketCalendar.Nyse;

    public static PaperBrokerOptions Default { get; } = new();
}
