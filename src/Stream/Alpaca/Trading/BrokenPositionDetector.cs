using System.Globalization;
using System.Text;
using Streamer.Rules.Instruments;

namespace Streamer.Stream.Alpaca.Trading;

/// <summary>
/// Finds monitored positions a leg of which changed at the broker outside Streamer (pure; the caller acts):
/// <list type="bullet">
/// <item>a leg gone or smaller (never larger, never flipped: those stay the <see cref="ReconcilePlanner"/>'s), the
/// others as held: a <b>broken spread</b> (Alpaca's 15:30 pin-risk liquidation closes the short leg of a combo alone,
/// alpaca-py issue #774). Only positions of two legs or more: a single leg gone is a plain close-out.</item>
/// <item>option legs gone and, of their root, exactly the shares an assignment or exercise of those contracts gives
/// (short call −100, short put +100, long call +100, long put −100 per contract) beyond what is monitored: an
/// <b>assignment</b>, single-leg positions too (never on trade_updates). When the root is the position's own stock
/// leg (a covered call, a protective put), that leg's change must be exactly those shares: they went at the strike.</item>
/// </list>
/// A fill of the leg already heard (the broker's own order on trade_updates) waits in the position's basket:
/// it counts as seen. Symbols with moving quantities (busy) or held by two positions are left to the planner.
/// As for the planner, a change is acted on at its second identical sighting; <see cref="Plan"/> also names every
/// symbol it claims (acted on or waiting), which the planner must then leave alone on this pass.
/// </summary>
internal sealed class BrokenPositionDetector
{
    private HashSet<string> _seen = new(StringComparer.Ordinal);

    public (IReadOnlyList<BrokenPosition> Broken, IReadOnlySet<string> Claimed) Plan(IEnumerable<BrokerPosition> broker, IReadOnlyList<MonitoredLeg> monitored, IReadOnlySet<string> busySymbols)
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
        var holders = monitored.GroupBy(l => l.Symbol, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Select(l => l.PositionId).Distinct(StringComparer.Ordinal).Count(), StringComparer.Ordinal);
        var monitoredQty = monitored.GroupBy(l => l.Symbol, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(l => l.Qty), StringComparer.Ordinal);

        var broken = new List<BrokenPosition>();
        var claimed = new HashSet<string>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var position in monitored.GroupBy(l => l.PositionId, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var legs = position.ToList();
            if (legs.Exists(l => busySymbols.Contains(l.Symbol) || holders[l.Symbol] > 1)) continue;
            var found = new List<BrokenLeg>(legs.Count);
            bool usable = true;
            foreach (var l in legs)
            {
                decimal b = held.GetValueOrDefault(l.Symbol).Qty;
                if (b != Math.Floor(b)) { usable = false; break; }
                var leg = new BrokenLeg(l.Symbol, l.Qty, l.Pending, (long)b, l.EntryPrice, Assigned: false);
                // only a leg gone or smaller, and a basket that explains no more than what left
                bool shrunk = leg.BrokerQty == 0 || (Math.Sign(leg.BrokerQty) == Math.Sign(leg.MonitoredQty) && Math.Abs(leg.BrokerQty) < Math.Abs(leg.MonitoredQty));
                if (leg.Changed && !shrunk) { usable = false; break; }
                if (!leg.Changed && leg.Pending != 0) { usable = false; break; }
                if (leg.Changed && leg.Unexplained != 0 && Math.Sign(leg.Unexplained) != Math.Sign(leg.BrokerQty - leg.MonitoredQty)) { usable = false; break; }
                found.Add(leg);
            }
            if (!usable || !found.Exists(l => l.Changed)) continue;

            // assignment / exercise: per root, the shares the gone contracts give, against what the broker holds beyond the monitored
            var stock = new List<(string Symbol, long Qty, decimal Price)>();
            foreach (var root in found.Where(l => l.Changed && l.Pending == 0 && OccSymbol.LooksLikeOption(l.Symbol)).GroupBy(l => OccSymbol.Parse(l.Symbol).Root, StringComparer.Ordinal))
            {
                if (busySymbols.Contains(root.Key)) continue;
                long expected = 0;
                decimal cost = 0;
                foreach (var l in root)
                {
                    var occ = OccSymbol.Parse(l.Symbol);
                    long shares = (occ.Right == OptionRight.Call ? 100 : -100) * (l.MonitoredQty - l.BrokerQty);
                    expected += shares;
                    cost += Math.Abs(shares) * (occ.StrikeThousandths / 1000m);
                }
                int own = found.FindIndex(l => l.Symbol == root.Key);
                if (own >= 0)
                {
                    // the position's own stock leg gave (or took) the shares: a covered call assigned, a protective put exercised
                    var s = found[own];
                    if (expected == 0 || s.Pending != 0 || s.BrokerQty - s.MonitoredQty != expected) continue;
                    found[own] = s with { DeliveredAt = (double)Math.Round(cost / Math.Abs(expected), 4) };
                    for (int i = 0; i < found.Count; i++)
                        if (root.Any(r => r.Symbol == found[i].Symbol)) found[i] = found[i] with { Assigned = true };
                    continue;
                }
                decimal unexplained = held.GetValueOrDefault(root.Key).Qty - monitoredQty.GetValueOrDefault(root.Key);
                if (expected == 0 || unexplained != expected) continue;
                stock.Add((root.Key, expected, Math.Round(cost / Math.Abs(expected), 4)));
                for (int i = 0; i < found.Count; i++)
                    if (root.Any(r => r.Symbol == found[i].Symbol)) found[i] = found[i] with { Assigned = true };
            }
            if (stock.Count == 0 && !found.Exists(l => l.Assigned) && legs[0].Legs < 2) continue; // a single leg gone without stock: the planner's close-out

            var key = new StringBuilder(position.Key);
            foreach (var l in found) key.Append(CultureInfo.InvariantCulture, $"|{l.Symbol}:{l.MonitoredQty}:{l.Pending}:{l.BrokerQty}");
            foreach (var s in stock) key.Append(CultureInfo.InvariantCulture, $"|{s.Symbol}:{s.Qty}");
            foreach (var l in found) claimed.Add(l.Symbol);
            foreach (var s in stock) claimed.Add(s.Symbol);
            string k = key.ToString();
            if (_seen.Contains(k)) broken.Add(new BrokenPosition(position.Key, found, stock));
            else seen.Add(k);
        }
        _seen = seen;
        return (broken, claimed);
    }
}
