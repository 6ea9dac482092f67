namespace Streamer.Stream.Trading;

internal enum ReconciliationKind : byte
{
    /// <summary>the broker holds it, the engine does not watch it (an unmonitored position: the field notes' failure)</summary>
    MissingInEngine,
    /// <summary>the engine watches it, the broker holds nothing (closed elsewhere, assigned, expired)</summary>
    MissingAtBroker,
    /// <summary>both hold it with different signed quantities</summary>
    QtyMismatch,
}

internal sealed record ReconciliationIssue(ReconciliationKind Kind, string Symbol, decimal BrokerQty, decimal EngineQty)
{
    public override string ToString() => Kind switch
    {
        ReconciliationKind.MissingInEngine => $"{Symbol}: broker holds {BrokerQty}, the engine watches nothing",
        ReconciliationKind.MissingAtBroker => $"{Symbol}: the engine watches {EngineQty}, the broker holds nothing",
        _ => $"{Symbol}: broker holds {BrokerQty}, the engine watches {EngineQty}",
    };
}

/// <summary>
/// Compares the broker's positions with what the engine watches (signed quantity per symbol,
/// summed over the engine's positions' legs). Every difference is an issue; none is fixed
/// silently: the service publishes them as alerts and an operator (or intake) decides.
/// </summary>
internal static class PositionReconciler
{
    public static IReadOnlyList<ReconciliationIssue> Compare(IEnumerable<BrokerPosition> broker, IReadOnlyDictionary<string, decimal> engine)
    {
        ArgumentNullException.ThrowIfNull(broker);
        ArgumentNullException.ThrowIfNull(engine);
        var held = new Dictionary<string, decimal>(StringComparer.Ordinal);
        foreach (var p in broker) held[p.Symbol] = held.GetValueOrDefault(p.Symbol) + p.Qty;
        var issues = new List<ReconciliationIssue>();
        foreach (var (symbol, qty) in held.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (qty == 0) continue;
            decimal watched = engine.GetValueOrDefault(symbol);
            if (watched == 0) issues.Add(new ReconciliationIssue(ReconciliationKind.MissingInEngine, symbol, qty, 0));
            else if (watched != qty) issues.Add(new ReconciliationIssue(ReconciliationKind.QtyMismatch, symbol, qty, watched));
        }
        foreach (var (symbol, qty) in engine.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (qty != 0 && held.GetValueOrDefault(symbol) == 0)
                issues.Add(new ReconciliationIssue(ReconciliationKind.MissingAtBroker, symbol, 0, qty));
        }
        return issues;
    }
}
