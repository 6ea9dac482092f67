using System.Globalization;

namespace Streamer.Stream.Alpaca.Trading;

/// <summary>
/// Turns an exit's closing legs (formats.md exit event: <c>legs[].qty</c> signed as the order
/// would be, + buy / − sell) into the order that executes it: one leg → a simple order,
/// 2–4 legs → <c>mleg</c> with the legs' gcd as strategy quantity and the rest as ratios
/// (Alpaca wants leg ratios with gcd 1). Every leg closes (buy_to_close / sell_to_close).
/// The exit id becomes the client_order_id, so a replayed exit cannot trade twice.
/// </summary>
internal static class ExitOrders
{
    /// <param name="limitPerUnit">net price per strategy unit (mleg: + debit, − credit) or null for market</param>
    public static OrderRequest Build(string exitId, IReadOnlyList<(string Symbol, long Qty)> legs, decimal? limitPerUnit = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(exitId);
        ArgumentNullException.ThrowIfNull(legs);
        if (exitId.Length > 128) throw new ArgumentException($"exit id '{exitId[..20]}…' is longer than a client_order_id may be (128)", nameof(exitId));
        if (legs.Count is < 1 or > 4) throw new ArgumentException($"an order has 1 to 4 legs, the exit has {legs.Count}", nameof(legs));
        if (legs.Any(l => l.Qty == 0)) throw new ArgumentException($"exit {exitId}: a leg with qty 0", nameof(legs));
        if (legs.Select(l => l.Symbol).Distinct(StringComparer.Ordinal).Count() != legs.Count)
            throw new ArgumentException($"exit {exitId}: a symbol appears twice", nameof(legs));

        long unit = legs.Aggregate(0L, (g, l) => Gcd(g, Math.Abs(l.Qty)));
        var requests = legs.Select(l => new OrderLegRequest(
            l.Symbol,
            l.Qty > 0 ? "buy" : "sell",
            l.Qty > 0 ? "buy_to_close" : "sell_to_close",
            legs.Count == 1 ? 1 : checked((int)(Math.Abs(l.Qty) / unit)))).ToList();
        long qty = legs.Count == 1 ? Math.Abs(legs[0].Qty) : unit;
        if (legs.Count == 1 && limitPerUnit is <= 0)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"exit {exitId}: a single-leg limit must be positive, got {limitPerUnit}"), nameof(limitPerUnit));
        return new OrderRequest(requests, qty, limitPerUnit, exitId);
    }

    private static long Gcd(long a, long b) => b == 0 ? a : Gcd(b, a % b);
}
