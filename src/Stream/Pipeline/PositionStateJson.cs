using System.Buffers;
using System.Text;
using System.Text.Json;
using Streamer.Rules.Engine;

namespace Streamer.Stream.Pipeline;

/// <summary>
/// The engine's <see cref="PositionState"/> as the journal's <c>position_state.state_json</c>:
/// <c>{"contracts_original","contracts_remaining","tranches_fired","trailing_active",
/// "trailing_peak_per_contract","next_sequence","realized_pnl","fill_watermark","opened_at"}</c> (a peak
/// not yet seen is null; opened_at is RFC 3339, null before the position opened).
/// Doubles round-trip exactly (shortest round-trip formatting), so a restored trailing peak is the
/// same number.
/// </summary>
public static class PositionStateJson
{
    public static string Write(in PositionState s)
    {
        var buffer = new ArrayBufferWriter<byte>(192);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("contracts_original"u8, s.ContractsOriginal);
            w.WriteNumber("contracts_remaining"u8, s.ContractsRemaining);
            w.WriteNumber("tranches_fired"u8, s.TranchesFired);
            w.WriteBoolean("trailing_active"u8, s.TrailingActive);
            Double(w, "trailing_peak_per_contract"u8, s.TrailingPeakPerContract);
            w.WriteNumber("next_sequence"u8, s.NextSequence);
            Double(w, "realized_pnl"u8, s.RealizedPnl);
            w.WriteNumber("fill_watermark"u8, s.FillWatermark);
            if (s.OpenedNs != long.MinValue) w.WriteString("opened_at"u8, Streamer.Rules.Time.NanoTime.FormatRfc3339(s.OpenedNs));
            else w.WriteNull("opened_at"u8);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Reads a saved state; throws <see cref="FormatException"/> naming the position and field.</summary>
    public static PositionState Parse(string json, string positionId)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var r = doc.RootElement;
            return new PositionState(
                Int(r, "contracts_original"),
                Int(r, "contracts_remaining"),
                Int(r, "tranches_fired"),
                r.GetProperty("trailing_active").GetBoolean(),
                Dbl(r, "trailing_peak_per_contract"),
                Int(r, "next_sequence"),
                Dbl(r, "realized_pnl"),
                r.TryGetProperty("fill_watermark", out var fw) ? fw.GetInt64() : 0, // absent in journals written before fills resized positions
                r.TryGetProperty("opened_at", out var o) && o.ValueKind == JsonValueKind.String ? Streamer.Rules.Time.NanoTime.ParseRfc3339(o.GetString()!) : long.MinValue);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new FormatException($"journal: position '{positionId}': saved state is unreadable ({e.Message}): {json}", e);
        }
    }

    private static int Int(JsonElement r, string name) => r.GetProperty(name).GetInt32();

    private static double Dbl(JsonElement r, string name)
    {
        var e = r.GetProperty(name);
        return e.ValueKind == JsonValueKind.Null ? double.NaN : e.GetDouble();
    }

    private static void Double(Utf8JsonWriter w, ReadOnlySpan<byte> name, double v)
    {
        if (double.IsFinite(v)) w.WriteNumber(name, v);
        else w.WriteNull(name);
    }
}
