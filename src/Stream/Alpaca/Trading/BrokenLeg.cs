namespace Streamer.Stream.Alpaca.Trading;

/// <summary>
/// One leg of a broken position: what the engine holds open (<see cref="MonitoredQty"/>), fills of it
/// already in the position's basket (<see cref="Pending"/>: the broker's own order heard on trade_updates),
/// and what the broker holds now. <see cref="Assigned"/>: the gone contracts became stock (assignment or exercise).
/// <see cref="DeliveredAt"/>: this stock leg's shares went the other way at the strike (a covered call assigned,
/// a protective put exercised): the gone shares are priced there, not at entry and not from an order.
/// </summary>
internal sealed record BrokenLeg(string Symbol, long MonitoredQty, long Pending, long BrokerQty, double EntryPrice, bool Assigned, double? DeliveredAt = null)
{
    public bool Changed => BrokerQty != MonitoredQty;

    /// <summary>What left outside Streamer and no fill has told the engine yet (signed as the fill would be: + bought).</summary>
    public long Unexplained => BrokerQty - MonitoredQty - Pending;
}
