using System.Buffers;
using System.Text.Json;
using Streamer.Rules.Engine;
using Streamer.Rules.Time;

namespace Streamer.Stream.Contracts;

/// <summary>
/// The exit event of formats.md, written with <see cref="Utf8JsonWriter"/>: the NATS payload on
/// <c>streamer.exits.&lt;UNDERLYING&gt;</c> and the elements of the replay report's <c>exits</c>.
/// Money is rounded to cents, marks to 1e-4, fractions and Greeks to 1e-6, so float noise
/// (360.00000000000006) never reaches a subscriber; NaN (no price seen yet) is written as null.
/// </summary>
public static class ExitEventJson
{
    /// <summary>Writes one exit event object. <paramref name="latencyNs"/> overrides the measured latency (replay writes 0 for byte-identical output).</summary>
    public static void Write(Utf8JsonWriter w, in ExitDecision d, long? latencyNs = null)
    {
        w.WriteStartObject();
        WriteId(w, d.PositionId, d.Sequence);
        w.WriteString("position_id"u8, d.PositionId);
        w.WriteString("underlying"u8, d.Underlying);
        w.WriteString("rule"u8, d.RuleName);
        w.WriteString("reason"u8, d.Reason);
        WriteTime(w, "time"u8, d.TimeNs);
        w.WriteNumber("contracts_closed"u8, d.ContractsClosed);
        w.WriteNumber("contracts_remaining"u8, d.ContractsRemaining);
        w.WriteNumber("contracts_original"u8, d.ContractsOriginal);
        w.WriteStartArray("legs"u8);
        foreach (ref readonly var leg in d.Legs)
        {
            w.WriteStartObject();
            w.WriteString("symbol"u8, leg.Symbol);
            w.WriteNumber("qty"u8, leg.Qty);
            Number(w, "mark"u8, leg.Mark, 4);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        Number(w, "underlying_price"u8, d.UnderlyingPrice, 4);
        Number(w, "value"u8, d.Value, 2);
        Number(w, "pnl"u8, d.Pnl, 2);
        Number(w, "pnl_pct"u8, d.PnlPct, 6);
        Number(w, "pct_max_profit"u8, d.PctMaxProfit, 6);
        w.WriteStartObject("greeks"u8);
        Number(w, "delta"u8, d.Greeks.Delta, 6);
        Number(w, "gamma"u8, d.Greeks.Gamma, 6);
        Number(w, "theta"u8, d.Greeks.Theta, 6);
        Number(w, "vega"u8, d.Greeks.Vega, 6);
        w.WriteEndObject();
        w.WriteNumber("latency_ns"u8, latencyNs ?? d.LatencyNs);
        // extensions (formats.md allows new optional fields)
        w.WriteString("strategy"u8, d.Strategy);
        Number(w, "realized_pnl"u8, d.RealizedPnl, 2);
        w.WriteEndObject();
    }

    /// <summary>Writes the exit as a standalone JSON document into <paramref name="buffer"/> (reused; no allocation once warm).</summary>
    public static void WriteDocument(IBufferWriter<byte> buffer, Utf8JsonWriter writer, in ExitDecision d, long? latencyNs = null)
    {
        writer.Reset(buffer);
        Write(writer, d, latencyNs);
        writer.Flush();
    }

    // "<position id>:<sequence>" without building a string
    private static void WriteId(Utf8JsonWriter w, string positionId, int sequence)
    {
        Span<char> id = stackalloc char[Math.Min(positionId.Length + 12, 512)];
        if (positionId.Length + 12 > id.Length)
        {
            w.WriteString("id"u8, $"{positionId}:{sequence}");
            return;
        }
        positionId.AsSpan().CopyTo(id);
        id[positionId.Length] = ':';
        sequence.TryFormat(id[(positionId.Length + 1)..], out int n, default, System.Globalization.CultureInfo.InvariantCulture);
        w.WriteString("id"u8, id[..(positionId.Length + 1 + n)]);
    }

    public static void WriteTime(Utf8JsonWriter w, ReadOnlySpan<byte> name, long ns)
    {
        Span<byte> buf = stackalloc byte[NanoTime.MaxRfc3339Length];
        int n = NanoTime.FormatRfc3339(ns, buf);
        w.WriteString(name, buf[..n]);
    }

    public static void Number(Utf8JsonWriter w, ReadOnlySpan<byte> name, double value, int decimals)
    {
        if (double.IsFinite(value)) w.WriteNumber(name, Math.Round(value, decimals, MidpointRounding.AwayFromZero) + 0.0);
        else w.WriteNull(name);
    }
}
