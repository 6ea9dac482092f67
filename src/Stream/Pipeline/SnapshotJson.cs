using System.Text.Json;
using Streamer.Rules.Engine;
using Streamer.Stream.Contracts;
namespace Streamer.Stream.Pipeline;

/// <summary>
/// The snapshot message on <c>streamer.snapshots.&lt;UNDERLYING&gt;</c>:
/// <c>{"underlying","time","positions":[{"id","strategy","book","status","contracts_original",
/// "contracts_remaining","underlying_price","value","pnl","pnl_pct","pct_max_profit","realized_pnl",
/// "greeks":{…},"paused","legs":[{"symbol","qty","entry_price","mark","iv","quote_age_s"}],"triggers":{…}}]}</c>
/// (<c>paused</c> and <c>legs</c> added for the dashboard, issue 13). NaN (no price yet) is null. <c>triggers</c> has, for the rules the
/// position has, how far it is from each firing (see <see cref="PositionTriggers"/>). Written on the
/// shard thread without allocating.
/// </summary>
internal static class SnapshotJson
{
    public static void Write(Utf8JsonWriter w, ExitEngine engine, string underlying, List<string> positionIds)
    {
        w.WriteStartObject();
        w.WriteString("underlying"u8, underlying);
        ExitEventJson.WriteTime(w, "time"u8, engine.ClockNs == long.MinValue ? 0 : engine.ClockNs);
        w.WriteStartArray("positions"u8);
        foreach (var id in positionIds)
        {
            if (!engine.TryGetSnapshot(id, out var s)) continue;
            w.WriteStartObject();
            w.WriteString("id"u8, s.Id);
            w.WriteString("strategy"u8, s.Strategy);
            w.WriteString("book"u8, s.Book);
            w.WriteString("status"u8, s.Status);
            w.WriteNumber("contracts_original"u8, s.ContractsOriginal);
            w.WriteNumber("contracts_remaining"u8, s.ContractsRemaining);
            ExitEventJson.Number(w, "underlying_price"u8, s.UnderlyingPrice, 4);
            ExitEventJson.Number(w, "value"u8, s.Value, 2);
            ExitEventJson.Number(w, "pnl"u8, s.Pnl, 2);
            ExitEventJson.Number(w, "pnl_pct"u8, s.PnlPct, 6);
            ExitEventJson.Number(w, "pct_max_profit"u8, s.PctMaxProfit, 6);
            ExitEventJson.Number(w, "realized_pnl"u8, s.RealizedPnl, 2);
            w.WriteStartObject("greeks"u8);
            ExitEventJson.Number(w, "delta"u8, s.Greeks.Delta, 6);
            ExitEventJson.Number(w, "gamma"u8, s.Greeks.Gamma, 6);
            ExitEventJson.Number(w, "theta"u8, s.Greeks.Theta, 6);
            ExitEventJson.Number(w, "vega"u8, s.Greeks.Vega, 6);
            w.WriteEndObject();
            // additive (issue 13, the dashboard): whether an operator paused its rules, and each leg as valued now
            w.WriteBoolean("paused"u8, engine.IsPaused(id));
            WriteLegs(w, engine, id);
            if (engine.TryGetTriggers(id, out var t)) WriteTriggers(w, t, engine.ClockNs);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    // per leg: open qty (signed), entry, mark, IV (options), how old the mark is on the engine's clock; NaN → null
    private static void WriteLegs(Utf8JsonWriter w, ExitEngine engine, string id)
    {
        w.WriteStartArray("legs"u8);
        long clock = engine.ClockNs;
        for (int i = 0, n = engine.LegCount(id); i < n && engine.TryGetLeg(id, i, out var leg); i++)
        {
            w.WriteStartObject();
            w.WriteString("symbol"u8, leg.Symbol);
            w.WriteNumber("qty"u8, leg.Qty);
            ExitEventJson.Number(w, "entry_price"u8, leg.EntryPrice, 4);
            ExitEventJson.Number(w, "mark"u8, leg.Mark, 4);
            if (leg.IsOption) ExitEventJson.Number(w, "iv"u8, leg.Iv, 6);
            if (leg.MarkNs != long.MinValue && clock != long.MinValue) w.WriteNumber("quote_age_s"u8, Math.Round(Math.Max(0, clock - leg.MarkNs) / 1e9, 3));
            else w.WriteNull("quote_age_s"u8);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    // only the rules the position has (and has a price for): a gap > 0 is how far it still is from firing
    private static void WriteTriggers(Utf8JsonWriter w, in PositionTriggers t, long clockNs)
    {
        w.WriteStartObject("triggers"u8);
        Gap(w, "underlying_to_stop"u8, t.UnderlyingToStop, 4);
        Gap(w, "underlying_to_target"u8, t.UnderlyingToTarget, 4);
        Gap(w, "gain_to_premium_target"u8, t.GainToPremiumTarget, 6);
        Gap(w, "gain_to_premium_stop"u8, t.GainToPremiumStop, 6);
        Gap(w, "value_to_trailing_stop"u8, t.ValueToTrailingStop, 2);
        Gap(w, "debit_to_credit_stop"u8, t.DebitToCreditStop, 2);
        Gap(w, "next_tranche_level"u8, t.NextTrancheLevel, 6);
        Gap(w, "to_next_tranche"u8, t.ToNextTranche, 6);
        Gap(w, "max_short_delta"u8, t.MaxShortDelta, 6);
        Gap(w, "short_delta_limit"u8, t.ShortDeltaLimit, 6);
        At(w, "day_trade_close_at"u8, t.DayTradeCloseAtNs);
        At(w, "max_hold_at"u8, t.MaxHoldAtNs);
        At(w, "expiry_risk_at"u8, t.ExpiryRiskAtNs);
        At(w, "dte_stop_at"u8, t.DteStopAtNs);
        At(w, "next_time_event_at"u8, t.NextWakeNs);
        if (t.NextWakeNs != long.MaxValue && clockNs != long.MinValue)
            w.WriteNumber("seconds_to_next_time_event"u8, Math.Round((t.NextWakeNs - clockNs) / 1e9, 3));
        w.WriteEndObject();
    }

    private static void Gap(Utf8JsonWriter w, ReadOnlySpan<byte> name, double value, int decimals)
    {
        if (double.IsFinite(value)) ExitEventJson.Number(w, name, value, decimals);
    }

    private static void At(Utf8JsonWriter w, ReadOnlySpan<byte> name, long ns)
    {
        if (ns != long.MaxValue && ns != long.MinValue) ExitEventJson.WriteTime(w, name, ns);
    }
}
