namespace Streamer.Stream.Pipeline;

/// <summary>
/// A fill's resize of a position, on its way to the journal in order with the position's exits:
/// the state after it and the legs its definition should now say (qty = ratio × original units,
/// averaged entry price).
/// </summary>
public sealed record PositionChange(string PositionId, Streamer.Rules.Engine.PositionState State, IReadOnlyList<(string Symbol, long Qty, double EntryPrice)> Legs, long AtNs);
