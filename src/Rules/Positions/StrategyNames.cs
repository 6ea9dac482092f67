using Streamer.Rules.Instruments;

namespace Streamer.Rules.Positions;

/// <summary>
/// A trader's name for a position's shape, from its legs: stock, short_stock, long_call,
/// short_put, put_credit, call_debit, iron_condor, iron_butterfly, straddle, strangle,
/// calendar, covered_call, or multi_leg when none fits. Cold: computed once per position.
/// </summary>
public static class StrategyNames
{
    public static string Of(IReadOnlyList<LegSpec> legs)
    {
        ArgumentNullException.ThrowIfNull(legs);
        var options = new List<(OccSymbol Occ, long Qty, double Entry)>();
        long stockQty = 0;
        foreach (var leg in legs)
        {
            if (OccSymbol.LooksLikeOption(leg.Symbol) && OccSymbol.TryParse(leg.Symbol, out var occ, out _)) options.Add((occ, leg.Qty, leg.EntryPrice));
            else stockQty += leg.Qty;
        }
        if (options.Count == 0) return stockQty > 0 ? "stock" : "short_stock";
        if (stockQty != 0)
        {
            if (options.Count == 1 && stockQty > 0 && options[0].Qty < 0 && options[0].Occ.Right == OptionRight.Call) return "covered_call";
            if (options.Count == 1 && stockQty > 0 && options[0].Qty > 0 && options[0].Occ.Right == OptionRight.Put) return "protective_put";
            return "multi_leg";
        }
        if (options.Count == 1)
        {
            var o = options[0];
            return (o.Qty > 0 ? "long_" : "short_") + (o.Occ.Right == OptionRight.Call ? "call" : "put");
        }
        double net = 0;
        foreach (var o in options) net += o.Qty * o.Entry;
        if (options.Count == 2)
        {
            var (a, b) = (options[0], options[1]);
            bool opposite = Math.Sign(a.Qty) != Math.Sign(b.Qty) && Math.Abs(a.Qty) == Math.Abs(b.Qty);
            if (a.Occ.Right == b.Occ.Right && opposite)
            {
                if (a.Occ.Expiration != b.Occ.Expiration) return a.Occ.StrikeThousandths == b.Occ.StrikeThousandths ? "calendar" : "diagonal";
                return (a.Occ.Right == OptionRight.Call ? "call_" : "put_") + (net < 0 ? "credit" : "debit");
            }
            if (a.Occ.Right != b.Occ.Right && Math.Sign(a.Qty) == Math.Sign(b.Qty) && a.Occ.Expiration == b.Occ.Expiration)
            {
                string kind = a.Occ.StrikeThousandths == b.Occ.StrikeThousandths ? "straddle" : "strangle";
                return (a.Qty > 0 ? "long_" : "short_") + kind;
            }
            return "multi_leg";
        }
        if (options.Count == 4)
        {
            var puts = options.FindAll(o => o.Occ.Right == OptionRight.Put);
            var calls = options.FindAll(o => o.Occ.Right == OptionRight.Call);
            if (puts.Count == 2 && calls.Count == 2 && IsVertical(puts) && IsVertical(calls) && options.TrueForAll(o => o.Occ.Expiration == options[0].Occ.Expiration))
            {
                var shortPut = puts.Find(o => o.Qty < 0);
                var shortCall = calls.Find(o => o.Qty < 0);
                string name = shortPut.Occ.StrikeThousandths == shortCall.Occ.StrikeThousandths ? "iron_butterfly" : "iron_condor";
                return net < 0 ? name : "reverse_" + name;
            }
        }
        return "multi_leg";
    }

    private static bool IsVertical(List<(OccSymbol Occ, long Qty, double Entry)> pair) =>
        Math.Sign(pair[0].Qty) != Math.Sign(pair[1].Qty) && Math.Abs(pair[0].Qty) == Math.Abs(pair[1].Qty);
}
