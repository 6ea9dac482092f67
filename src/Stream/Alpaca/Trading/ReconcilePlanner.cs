using System.Globalization;

namespace Streamer.Stream.Alpaca.Trading;

/// <summary>
/// Broker positions vs the monitored ones, per symbol (the sum of every open position's leg
/// quantity). Pure: the caller fetches, this decides, the caller acts.
/// <list type="bullet">
/// <item>Symbols with an open order or an exit whose order is in flight are skipped (their quantities are moving).</item>
/// <item>The broker holds more (same sign) or something nobody monitors: the unexplained quantity is adopted.</item>
/// <item>The broker holds less, nothing, or the opposite side: monitored positions holding the symbol are
/// closed out (highest id first) until what stays monitored fits in what the broker holds; what the broker
/// holds beyond that is adopted on a later pass.</item>
/// <item>A difference is acted on only when the previous pass saw the very same one (same symbol, same
/// quantities on both sides), so an order filling between the two reads is never mistaken for a position.
/// On the first pass after start an adoption needs no second look (nothing was in flight before us);
/// a close-out always does.</item>
/// </list>
/// </summary>
internal sealed class ReconcilePlanner
{
    private HashSet<string> _seen = new(StringComparer.Ordinal);

    public ReconcilePlan Plan(IEnumerable<BrokerPosition> broker, IEnumerable<MonitoredLeg> monitored, IReadOnlySet<string> busySymbols, bool firstPass)
    {
        ArgumentNullException.ThrowIfNull(broker);
        ArgumentNullException.ThrowIfNull(monitored);
        ArgumentNullException.ThrowIfNull(busySymbols);
        var held = new Dictionary<string, (decimal Qty, decimal Avg)>(StringComparer.Ordinal);
        foreach (var p in broker)
        {
            var h = held.GetValueOrDefault(p.Symbol);
            held[p.Symbol] = (h.Qty + p.Qty, p.AvgEntryPrice);
        }
        var legsBySymbol = new Dictionary<string, List<MonitoredLeg>>(StringComparer.Ordinal);
        foreach (var leg in monitored)
        {
            if (leg.Qty == 0) continue;
            if (!legsBySymbol.TryGetValue(leg.Symbol, out var list)) legsBySymbol[leg.Symbol] = list = [];
            list.Add(leg);
        }

        var adopt = new List<AdoptAction>();
        var closeOut = new List<CloseOutAction>();
        var waiting = new List<string>();
        var skipped = new List<string>();
        var unfixable = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var symbols = held.Keys.Union(legsBySymbol.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal);
        foreach (var symbol in symbols)
        {
            decimal b = held.GetValueOrDefault(symbol).Qty;
            var legs = legsBySymbol.GetValueOrDefault(symbol) ?? [];
            decimal e = legs.Sum(l => (decimal)l.Qty);
            if (b == e) continue;
            if (busySymbols.Contains(symbol))
            {
                skipped.Add(symbol);
                continue;
            }
            string key = string.Create(CultureInfo.InvariantCulture, $"{symbol}|{b}|{e}");
            bool fits = e == 0 || (Math.Sign(b) == Math.Sign(e) && Math.Abs(b) >= Math.Abs(e));
            if (fits)
            {
                decimal extra = b - e;
                if (extra != Math.Floor(extra))
                {
                    unfixable.Add($"{symbol}: the broker's unexplained {extra.ToString(CultureInfo.InvariantCulture)} is not whole");
                    continue;
                }
                if (firstPass || _seen.Contains(key)) adopt.Add(new AdoptAction(symbol, (long)extra, held.GetValueOrDefault(symbol).Avg, b, e));
                else
                {
                    seen.Add(key);
                    waiting.Add(symbol);
                }
                continue;
            }
            // the broker holds less: close out positions, highest id first, until the rest fits
            var ids = new List<string>();
            decimal rest = e;
            foreach (var leg in legs.OrderByDescending(l => l.PositionId, StringComparer.Ordinal))
            {
                if (rest == 0 || (Math.Sign(b) == Math.Sign(rest) && Math.Abs(b) >= Math.Abs(rest))) break;
                ids.Add(leg.PositionId);
                rest -= leg.Qty;
            }
            if (_seen.Contains(key)) closeOut.Add(new CloseOutAction(symbol, ids.Distinct(StringComparer.Ordinal).ToList(), b, e));
            else
            {
                seen.Add(key);
                waiting.Add(symbol);
            }
        }
        _seen = seen;
        return new ReconcilePlan(adopt, closeOut, waiting, skipped, unfixable);
    }
}
