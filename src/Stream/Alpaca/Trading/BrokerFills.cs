using System.Globalization;

namespace Streamer.Stream.Alpaca.Trading;

/// <summary>Turns trade updates into leg fills (pure).</summary>
internal static class BrokerFills
{
    public static bool IsFill(TradeUpdate update) => update?.Event is "fill" or "partial_fill";

    /// <summary>The id prefix of every fill of one order.</summary>
    public static string OrderPrefix(string orderId) => $"alpaca:{orderId}:";

    /// <summary>
    /// The leg fills an update reports; empty for every other event. Quantity of this execution:
    /// the update's <c>qty</c>, else the order's cumulative <c>filled_qty</c> (a one-shot fill);
    /// mleg quantities are strategy units × each leg's ratio, at the execution's leg price
    /// (<c>legs[].price</c>), else the order leg's <c>filled_avg_price</c>.
    /// </summary>
    public static IReadOnlyList<BrokerFill> From(TradeUpdate update, long fallbackTimeNs)
    {
        ArgumentNullException.ThrowIfNull(update);
        if (!IsFill(update)) return [];
        var o = update.Order;
        decimal cumulative = o.FilledQty;
        decimal units = update.Qty is { } q && q > 0 ? Math.Min(q, cumulative > 0 ? cumulative : q) : cumulative;
        if (units <= 0) return [];
        long time = update.TimestampNs ?? fallbackTimeNs;
        string cum = (cumulative > 0 ? cumulative : units).ToString(CultureInfo.InvariantCulture);
        if (o.Legs.Count == 0)
        {
            if (o.Symbol.Length == 0) return [];
            decimal price = update.Price ?? o.FilledAvgPrice ?? 0;
            return [new BrokerFill($"{OrderPrefix(o.Id)}{cum}", o.Symbol, Signed(o.Side, units), price, time)];
        }
        var fills = new List<BrokerFill>(o.Legs.Count);
        foreach (var leg in o.Legs)
            fills.Add(new BrokerFill($"{OrderPrefix(o.Id)}{cum}/{leg.Symbol}", leg.Symbol, Signed(leg.Side, units * Math.Max(1, leg.RatioQty)),
                update.LegPrices.TryGetValue(leg.Symbol, out var own) ? own : leg.FilledAvgPrice ?? 0, time));
        return fills;
    }

    /// <summary>The fills a filled order stands for when its updates were missed (REST): the whole quantity at once.</summary>
    public static IReadOnlyList<BrokerFill> FromFilledOrder(BrokerOrder order, long timeNs)
    {
        ArgumentNullException.ThrowIfNull(order);
        return From(new TradeUpdate("fill", order, timeNs, order.Legs.Count == 0 ? order.FilledAvgPrice : null, order.FilledQty, null,
            new Dictionary<string, decimal>()), timeNs);
    }

    /// <summary>
    /// The exit an order executes: its client_order_id is the exit id (first attempt) or
    /// <c>&lt;exit id&gt;#&lt;attempt&gt;</c> (retries). <paramref name="isExit"/> says which ids are exits.
    /// </summary>
    public static string? ExitIdOf(string clientOrderId, Func<string, bool> isExit)
    {
        ArgumentNullException.ThrowIfNull(isExit);
        if (string.IsNullOrEmpty(clientOrderId)) return null;
        if (isExit(clientOrderId)) return clientOrderId;
        int hash = clientOrderId.LastIndexOf('#');
        if (hash > 0 && hash < clientOrderId.Length - 1 && clientOrderId.AsSpan(hash + 1).IndexOfAnyExceptInRange('0', '9') < 0)
        {
            var exit = clientOrderId[..hash];
            if (isExit(exit)) return exit;
        }
        return null;
    }

    /// <summary>The client_order_id of an exit's order on attempt <paramref name="attempt"/> (1-based).</summary>
    public static string ClientOrderId(string exitId, int attempt) =>
        attempt <= 1 ? exitId : string.Create(CultureInfo.InvariantCulture, $"{exitId}#{attempt}");

    private static decimal Signed(string side, decimal qty) => side == "sell" ? -qty : qty;
}
