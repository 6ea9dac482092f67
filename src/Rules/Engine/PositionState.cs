namespace Streamer.Rules.Engine;

/// <summary>
/// The part of a position's evaluation state that must survive a restart (a journal persists it
/// after each exit and restores it before the first tick): what is still open, which scale-out
/// tranches have fired, the trailing-stop peak, the next exit sequence, the realized P&amp;L and the
/// journal ordinal of the last fill applied (<see cref="FillWatermark"/>: fills after it are fed again),
/// and when the position opened (<see cref="OpenedNs"/>: a position given without <c>opened_at</c>
/// opens at the engine's clock, and a restart must keep that instant, or max_hold starts again).
/// Everything else (marks, IV, Greeks) is rebuilt from the feed.
/// </summary>
public readonly record struct PositionState(
    int ContractsOriginal,
    int ContractsRemaining,
    int TranchesFired,
    bool TrailingActive,
    double TrailingPeakPerContract,
    int NextSequence,
    double RealizedPnl,
    long FillWatermark = 0,
    long OpenedNs = long.MinValue)
{
    public bool Closed => ContractsRemaining == 0;
}
