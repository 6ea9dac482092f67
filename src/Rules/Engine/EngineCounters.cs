namespace Streamer.Rules.Engine;

/// <summary>What the engine ignored or could not do, for heartbeats and alerts.</summary>
public struct EngineCounters
{
    /// <summary>Ticks seen (any symbol).</summary>
    public long Ticks;
    /// <summary>Quotes that failed bid ≥ 0, ask > 0, bid ≤ ask; the previous sane quote stayed.</summary>
    public long InsaneQuotes;
    /// <summary>Trades with a non-positive or non-finite price.</summary>
    public long BadTrades;
    /// <summary>Ticks older than the symbol's last quote/trade (out of order): ignored.</summary>
    public long OutOfOrder;
    /// <summary>Option marks no volatility reproduces (below intrinsic, above the bound): the last good IV stayed.</summary>
    public long IvFailures;
    /// <summary>Exits decided.</summary>
    public long Exits;
    /// <summary>Times a position had a rule hold outside the regular session and was deferred to the next open (once per deferral, not per tick).</summary>
    public long Deferred;
}
