namespace Streamer.Stream.Alpaca.Trading;

/// <summary>
/// A monitored position whose legs the broker no longer holds as the engine does: <see cref="Legs"/> all
/// of its legs (changed or not); <see cref="Stock"/> the shares an assignment or exercise left in their
/// place (empty for a broken spread); <see cref="IsAssignment"/> decides the alert.
/// </summary>
internal sealed record BrokenPosition(string PositionId, IReadOnlyList<BrokenLeg> Legs, IReadOnlyList<(string Symbol, long Qty, decimal Price)> Stock)
{
    public bool IsAssignment => Stock.Count > 0 || Legs.Any(l => l.Assigned);
}
