namespace Streamer.Stream.Alpaca.Trading;

/// <summary>What one reconciliation pass does. <see cref="Waiting"/>: differences seen once, acted on if the next pass sees them again.</summary>
internal sealed record ReconcilePlan(
    IReadOnlyList<AdoptAction> Adopt,
    IReadOnlyList<CloseOutAction> CloseOut,
    IReadOnlyList<string> Waiting,
    IReadOnlyList<string> Skipped,
    IReadOnlyList<string> Unfixable);
