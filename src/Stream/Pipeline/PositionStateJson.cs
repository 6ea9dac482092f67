using System.Buffers;
using System.Text.Json;
using Streamer.Rules.Engine;

namespace Streamer.Stream.Pipeline;

/// <summary>
/// The engine's <see cref="PositionState"/> as the journal's opaque <c>state_json</c>, written with each
/// exit (same transaction) and read back to <see cref="ExitEngine.RestoreState"/> after a restart.
/// </summary>
internal static class PositionStateJson
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
            if (double.IsFinite(s.TrailingPeakPerContract)) w.WriteNumber("trailing_peak_per_contract"u8, s.TrailingPeakPerContract);
            else w.WriteNull("trailing_peak_per_contract"u8);
            w.WriteNumber("next_sequence"u8, s.NextSequence);
            if (double.IsFinite(s.RealizedPnl)) w.WriteNumber("realized_pnl"u8, s.RealizedPnl);
            else w.WriteNumber("realized_pnl"u8, 0);
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Reads what <see cref="Write"/> wrote; throws <see cref="FormatException"/> naming the field.</summary>
    public static PositionState Parse(string json, string what)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var r = doc.RootElement;
            return new PositionState(
                Int(r, "contracts_original", what), Int(r, "contracts_remaining", what), Int(r, "tranches_fired", what),
                r.TryGetProperty("trailing_active", out var a) && a.ValueKind == JsonValueKind.True,
                r.TryGetProperty("trailing_peak_per_contract", out var p) && p.ValueKind == JsonValueKind.Number ? p.GetDouble() : 0,
                Int(r, "next_sequence", what),
                r.TryGetProperty("realized_pnl", out var pnl) && pnl.ValueKind == JsonValueKind.Number ? pnl.GetDouble() : 0);
        }
        catch (JsonException e)
        {
            throw new FormatException($"{what}: state is not valid JSON ({e.Message})", e);
        }
    }

    private static int Int(JsonElement r, string name, string what) =>
        r.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int v)
            ? v
            : throw new FormatException($"{what}: state field '{name}' is missing or not an integer");
}
