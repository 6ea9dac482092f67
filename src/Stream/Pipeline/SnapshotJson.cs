using System.Text.Json;
using Streamer.Rules.Engine;
using Streamer.Stream.Output;

namespace Streamer.Stream.Pipeline;

/// <summary>
/// The snapshot message on <c>streamer.snapshots.&lt;UNDERLYING&gt;</c>:
/// <c>{"underlying","time","positions":[{"id","strategy","book","status","contracts_original",
/// "contracts_remaining","underlying_price","value","pnl","pnl_pct","pct_max_profit","realized_pnl",
/// "greeks":{…}}]}</c>. NaN (no price yet) is null. Written on the shard thread without allocating.
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
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
