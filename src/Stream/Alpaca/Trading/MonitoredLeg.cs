namespace Streamer.Stream.Alpaca.Trading;

/// <summary>One leg of a monitored position as the engine holds it now (<c>ExitEngine.OpenLegs</c>).</summary>
internal readonly record struct MonitoredLeg(string PositionId, string Symbol, long Qty, double EntryPrice);
