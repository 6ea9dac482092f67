namespace Streamer.Rules.Engine;

/// <summary>What <see cref="ExitEngine.CloseNow{TSink}"/> did.</summary>
public enum CloseNowOutcome
{
    /// <summary>an exit of rule <c>manual</c> for the whole open quantity went to the sink</summary>
    Closed,
    /// <summary>no such position in this engine</summary>
    UnknownPosition,
    /// <summary>nothing left open (its exits or fills closed it)</summary>
    AlreadyClosed,
    /// <summary>the engine's clock has not reached the position's opened_at</summary>
    NotOpenYet,
    /// <summary>outside the regular session (rules.md: exits fire only in it); nothing was decided</summary>
    MarketClosed,
    /// <summary>the engine has no market time yet (no tick, no clock event): it cannot stamp an exit</summary>
    NoClock,
}
