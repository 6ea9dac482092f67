namespace Streamer.Stream.Alpaca.Trading;

/// <summary>
/// One leg of a monitored position as the engine holds it now (<c>ExitEngine.OpenLegs</c>).
/// <see cref="Pending"/>: fills of this leg held in the position's basket (<c>ExitEngine.PendingFillQty</c>),
/// e.g. a short leg the broker closed alone; <see cref="Legs"/>: how many legs the position has.
/// </summary>
internal readonly record struct MonitoredLeg(string PositionId, string Symbol, long Qty, double EntryPrice, long Pending = 0, int Legs = 1);
