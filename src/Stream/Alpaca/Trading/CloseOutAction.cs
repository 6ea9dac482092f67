namespace Streamer.Stream.Alpaca.Trading;

/// <summary>The broker holds less of <see cref="Symbol"/> than the monitored positions do: stop monitoring <see cref="PositionIds"/>.</summary>
internal sealed record CloseOutAction(string Symbol, IReadOnlyList<string> PositionIds, decimal BrokerQty, decimal MonitoredQty);
