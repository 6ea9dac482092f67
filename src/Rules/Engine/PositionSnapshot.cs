namespace Streamer.Rules.Engine;

/// <summary>A position's valuation now (snapshots, the control API). NaN where marks are missing.</summary>
public readonly record struct PositionSnapshot(
    string Id,
    string Underlying,
    string Strategy,
    string Book,
    string Status,
    int ContractsOriginal,
    int ContractsRemaining,
    double UnderlyingPrice,
    double Value,
    double Pnl,
    double PnlPct,
    double PctMaxProfit,
    double RealizedPnl,
    PositionGreeks Greeks,
    long TimeNs);
