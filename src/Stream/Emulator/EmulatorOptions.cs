namespace Streamer.Stream.Emulator;

/// <summary>How the emulator behaves; defaults follow Alpaca's documented behaviour.</summary>
public sealed class EmulatorOptions
{
    /// <summary>Loopback port; 0 picks a free one (read it back from <see cref="AlpacaEmulator.Port"/>).</summary>
    public int Port { get; init; }

    /// <summary>× real time. 0 or less: as fast as the connections take it.</summary>
    public double Speed { get; init; } = 1;

    /// <summary>Restart the tape when it ends (times keep increasing: each pass is shifted by the tape's length).</summary>
    public bool Loop { get; init; }

    /// <summary>The only key pair accepted; null accepts any non-empty pair.</summary>
    public string? Key { get; init; }

    public string? Secret { get; init; }

    /// <summary>Window between "connected" and a successful auth before 404 and close.</summary>
    public TimeSpan AuthTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A data frame not sent within this drops the connection (the socket cannot take more: a client not reading).</summary>
    public TimeSpan SlowClientTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Most distinct symbols (quotes ∪ trades) one connection may hold before 405.</summary>
    public int SymbolLimit { get; init; } = 1000;

    /// <summary>How the paper broker fills and refuses orders (partial fills, reject / no-fill symbols).</summary>
    public PaperBrokerOptions Broker { get; init; } = PaperBrokerOptions.Default;

    /// <summary>
    /// Displayed quote sizes (min, max) for tapes, which carry none: each quote's bid and ask size
    /// is drawn from this range by a hash of (symbol, time), on the stream and in the broker
    /// alike. Null: 1-10 with partial fills, else 1 (the broker then ignores sizes).
    /// </summary>
    public (int Min, int Max)? QuoteSize { get; init; }

    /// <summary>The market-data REST budget (Alpaca's 429 past it); null: unlimited.</summary>
    public RateLimit? DataRateLimit { get; init; }

    /// <summary>
    /// Serve the whole tape as history: market-data REST answers as if the market clock stood at the
    /// tape's end, so <c>streamer fetch</c> can build a tape from it without waiting for the clock.
    /// The streams and the broker keep the one market clock.
    /// </summary>
    public bool History { get; init; }
}
