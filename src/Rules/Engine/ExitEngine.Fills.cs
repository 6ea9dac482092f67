using System.Globalization;

namespace Streamer.Rules.Engine;

/// <summary>
/// Fills (cold path). A position holds whole strategy units (legs in fixed ratios, the gcd of the
/// legs' quantities); a fill is one leg's quantity. Fills collect in a per-position basket until
/// every leg's pending quantity is the same whole multiple k of its ratio, then the position
/// changes by k units at once: k &gt; 0 grows it (original and open += k; each leg's entry price
/// becomes the average over the open contracts and the new ones; the scale-out plan is recomputed for
/// the new size, fired tranches stay fired), k &lt; 0 closes |k| units (open −= |k|, realized P&amp;L
/// += the legs' fill prices against their entries; nothing open → closed). A single-leg position's
/// every fill is whole units.
/// <para>
/// Fills carry the journal's ordinal: <see cref="PositionState.FillWatermark"/> is the ordinal of the
/// last fill that emptied the basket, so a restart feeds again exactly the fills after it.
/// </para>
/// </summary>
public sealed partial class ExitEngine
{
    /// <summary>
    /// Applies one fill to a monitored position: <paramref name="qty"/> signed contracts/shares of
    /// <paramref name="symbol"/> (+ bought, − sold) at <paramref name="price"/>; <paramref name="ordinal"/>
    /// orders fills (the journal's), so a fill at or below the watermark (already applied) is ignored.
    /// </summary>
    public FillResult ApplyFill(string id, string symbol, long qty, double price, long ordinal)
    {
        ArgumentNullException.ThrowIfNull(symbol);
        if (!_byId.TryGetValue(id, out int index)) return Reject($"position '{id}' is not monitored");
        var rt = _positions[index];
        if (ordinal <= rt.FillWatermark) return new FillResult(FillEffect.Held, 0, "already applied");
        if (rt.Closed) return Reject($"position '{id}' is closed");
        if (qty == 0) return Reject("qty is 0");
        if (!double.IsFinite(price) || price < 0) return Reject($"price {Num(price)} is not a price");
        int leg = Array.FindIndex(rt.ExitLegs, l => l.Symbol == symbol);
        if (leg < 0) return Reject($"{symbol} is not a leg of position '{id}' ({string.Join(", ", rt.ExitLegs.Select(l => l.Symbol))})");

        rt.Basket ??= new FillBasket(rt.Legs.Length);
        var basket = rt.Basket;
        basket.Qty[leg] += qty;
        basket.Cost[leg] += qty * price;
        if (basket.Qty[leg] == 0) basket.Cost[leg] = 0; // a leg bought and sold back in the basket: nothing of it is left to price
        basket.LastOrdinal = ordinal;

        // whole units: every leg's pending quantity is k × its ratio, one k ≠ 0 for all
        long k = 0;
        for (int i = 0; i < rt.Legs.Length; i++)
        {
            int ratio = rt.Legs[i].Ratio;
            long pending = basket.Qty[i];
            if (pending % ratio != 0) return new FillResult(FillEffect.Held, 0, null);
            long units = pending / ratio;
            if (units == 0 || (k != 0 && units != k)) return new FillResult(FillEffect.Held, 0, null);
            k = units;
        }
        if (k > int.MaxValue / 2 || k < -(long)int.MaxValue / 2) return Reject($"fill of {k} units is too large");

        string? warning = null;
        Span<double> prices = stackalloc double[rt.Legs.Length];
        for (int i = 0; i < prices.Length; i++) prices[i] = basket.Cost[i] / basket.Qty[i];
        if (k > 0) Grow(rt, (int)k, prices);
        else
        {
            int close = (int)-k;
            if (close > rt.OpenUnits)
            {
                warning = string.Create(CultureInfo.InvariantCulture,
                    $"closing fills for {close} units of position '{id}' but {rt.OpenUnits} were open: the {rt.OpenUnits} closed, {close - rt.OpenUnits} not explained (check the broker)");
                close = rt.OpenUnits;
            }
            Shrink(rt, close, prices);
            k = -close;
        }
        rt.FillWatermark = ordinal;
        rt.Basket = null;
        return new FillResult(FillEffect.Resized, (int)k, warning);
    }

    /// <summary>
    /// Per leg, the signed quantity of fills waiting in the position's basket (not yet whole strategy
    /// units: a spread legging out, one leg filled); null when the id is unknown. Cold: reconciliation
    /// must count a leg the broker closed alone, whose fill is held here, as already seen.
    /// </summary>
    public IReadOnlyList<long>? PendingFillQty(string id)
    {
        if (!_byId.TryGetValue(id, out int index)) return null;
        var rt = _positions[index];
        var pending = new long[rt.Legs.Length];
        if (rt.Basket is { } basket) basket.Qty.AsSpan().CopyTo(pending);
        return pending;
    }

    /// <summary>
    /// The legs as the position's definition should now read them: quantity = ratio × original units
    /// (what was ever held), entry price per leg (averaged over grows). Cold: journaling a resize.
    /// </summary>
    public IReadOnlyList<(string Symbol, long Qty, double EntryPrice)>? DefinitionLegs(string id) => LegsOf(id, original: true);

    private void Grow(PositionRuntime rt, int units, ReadOnlySpan<double> prices)
    {
        int before = rt.OpenUnits;
        double v0 = 0;
        for (int i = 0; i < rt.Legs.Length; i++)
        {
            ref var leg = ref rt.Legs[i];
            leg.EntryPrice = (leg.EntryPrice * before + prices[i] * units) / (before + units);
            v0 += leg.Ratio * leg.EntryPrice * leg.Multiplier;
        }
        rt.EntryValuePerUnit = v0;
        rt.IsDebit = v0 > 0;
        rt.IsCredit = v0 < 0;
        rt.OriginalUnits += units;
        rt.OpenUnits += units;
        rt.RecomputeScaleOut();
        UpdateWake(rt);
    }

    private void Shrink(PositionRuntime rt, int units, ReadOnlySpan<double> prices)
    {
        double realized = 0;
        for (int i = 0; i < rt.Legs.Length; i++)
        {
            ref readonly var leg = ref rt.Legs[i];
            realized += (double)leg.Ratio * units * (prices[i] - leg.EntryPrice) * leg.Multiplier;
        }
        rt.RealizedPnl += realized;
        rt.OpenUnits -= units;
        if (rt.OpenUnits == 0)
        {
            rt.Closed = true;
            rt.Pending = false;
        }
        UpdateWake(rt);
    }

    private static FillResult Reject(string message) => new(FillEffect.Rejected, 0, message);

    private static string Num(double x) => x.ToString("R", CultureInfo.InvariantCulture);
}
