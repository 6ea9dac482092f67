namespace Streamer.Stream.Alpaca.Trading;

/// <summary>The broker holds <see cref="Qty"/> of a symbol that no monitored position explains: adopt it (single leg).</summary>
internal sealed record AdoptAction(string Symbol, long Qty, decimal AvgEntryPrice, decimal BrokerQty, decimal MonitoredQty);
