using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Streamer.Stream.Cluster.State;

/// <summary>
/// The JSON of the values the KV store keeps (docs/cluster.md "State that travels"), and the tranche
/// lists the SQLite store keeps as text. The opaque JSON a position or fill carries is kept as a JSON
/// string, so it comes back exactly as given, byte for byte, whatever it holds. A value this release
/// cannot read is refused naming where it was found (<c>where</c>), never taken for an empty state.
/// </summary>
internal static class PartitionStateCodec
{
    public const int Version = 1;

    // not HTML: a value is never embedded in a page, and escaping every quote of the opaque JSON as \u0022 would cost a sixth of the size limit
    private static readonly JsonWriterOptions Writer = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] EncodeCheckpoint(int partition, PartitionCheckpoint checkpoint, long savedAtUnixMs)
    {
        var buffer = new ArrayBufferWriter<byte>(256 + checkpoint.Positions.Count * 512);
        using (var json = new Utf8JsonWriter(buffer, Writer))
        {
            json.WriteStartObject();
            json.WriteNumber("v", Version);
            json.WriteNumber("partition", partition);
            json.WriteNumber("clock_ns", checkpoint.ClockNs);
            json.WriteNumber("tick_seq", checkpoint.TickSequence);
            json.WriteNumber("exit_seq", checkpoint.ExitSequence);
            json.WriteNumber("saved_at_ms", savedAtUnixMs);
            json.WriteStartArray("positions");
            foreach (var p in checkpoint.Positions)
            {
                json.WriteStartObject();
                json.WriteString("id", p.Id);
                json.WriteString("definition", p.DefinitionJson);
                json.WriteString("status", p.Status == PartitionPositionStatus.Open ? "open" : "closed");
                if (p.StateJson is null) json.WriteNull("state");
                else json.WriteString("state", p.StateJson);
                json.WriteStartArray("tranches");
                foreach (int t in p.TranchesFired) json.WriteNumberValue(t);
                json.WriteEndArray();
                json.WriteNumber("next_exit_seq", p.NextExitSequence);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    public static PartitionCheckpoint DecodeCheckpoint(ReadOnlyMemory<byte> value, int partition, string where)
    {
        using var doc = Parse(value, where, "a partition checkpoint");
        var root = doc.RootElement;
        CheckVersion(root, where);
        long stored = Int64(root, "partition", where);
        if (stored != partition)
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{where}: the value is partition {stored}'s checkpoint, not partition {partition}'s"));
        if (!root.TryGetProperty("positions", out var list) || list.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"{where}: field 'positions' is missing or not an array");
        var positions = new List<PartitionPosition>(list.GetArrayLength());
        int i = 0;
        foreach (var p in list.EnumerateArray())
        {
            string at = string.Create(CultureInfo.InvariantCulture, $"{where}: position #{i++}");
            if (p.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{at} is not an object");
            var status = String(p, "status", at) switch
            {
                "open" => PartitionPositionStatus.Open,
                "closed" => PartitionPositionStatus.Closed,
                var other => throw new InvalidDataException($"{at}: status '{other}' is neither 'open' nor 'closed'"),
            };
            if (!p.TryGetProperty("state", out var state) || state.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
                throw new InvalidDataException($"{at}: field 'state' is missing or neither a string nor null");
            if (!p.TryGetProperty("tranches", out var tranches)) throw new InvalidDataException($"{at}: field 'tranches' is missing");
            positions.Add(new PartitionPosition(
                String(p, "id", at), String(p, "definition", at), status,
                state.ValueKind == JsonValueKind.Null ? null : state.GetString(),
                ReadTranches(tranches, at), Int64(p, "next_exit_seq", at)));
        }
        return new PartitionCheckpoint(Int64(root, "clock_ns", where), UInt64(root, "tick_seq", where), UInt64(root, "exit_seq", where), positions);
    }

    public static byte[] EncodeFill(PartitionFill fill)
    {
        var buffer = new ArrayBufferWriter<byte>(128 + fill.FillJson.Length);
        using (var json = new Utf8JsonWriter(buffer, Writer))
        {
            json.WriteStartObject();
            json.WriteNumber("v", Version);
            json.WriteString("fill_id", fill.FillId);
            json.WriteString("position_id", fill.PositionId);
            json.WriteString("fill", fill.FillJson);
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    public static PartitionFill DecodeFill(ReadOnlyMemory<byte> value, string where)
    {
        using var doc = Parse(value, where, "a partition fill");
        var root = doc.RootElement;
        CheckVersion(root, where);
        return new PartitionFill(String(root, "fill_id", where), String(root, "position_id", where), String(root, "fill", where));
    }

    /// <summary>A tranche list as the SQLite store keeps it: <c>[0,2]</c>.</summary>
    public static string TranchesText(IReadOnlyList<int> tranches)
    {
        var text = new StringBuilder(2 + tranches.Count * 3).Append('[');
        for (int i = 0; i < tranches.Count; i++)
        {
            if (i > 0) text.Append(',');
            text.Append(tranches[i].ToString(CultureInfo.InvariantCulture));
        }
        return text.Append(']').ToString();
    }

    public static IReadOnlyList<int> ReadTranches(JsonElement tranches, string at)
    {
        if (tranches.ValueKind != JsonValueKind.Array) throw new InvalidDataException($"{at}: tranches are not an array of tranche indexes");
        var list = new List<int>(tranches.GetArrayLength());
        foreach (var t in tranches.EnumerateArray())
        {
            if (t.ValueKind != JsonValueKind.Number || !t.TryGetInt32(out int index) || index < 0)
                throw new InvalidDataException($"{at}: tranche '{Cut(t.GetRawText())}' is not a tranche index");
            list.Add(index);
        }
        return list;
    }

    public static string Cut(string text) => text.Length <= 64 ? text : string.Concat(text.AsSpan(0, 64), "…");

    private static JsonDocument Parse(ReadOnlyMemory<byte> value, string where, string what)
    {
        try
        {
            var doc = JsonDocument.Parse(value);
            if (doc.RootElement.ValueKind == JsonValueKind.Object) return doc;
            doc.Dispose();
            throw new InvalidDataException($"{where}: the value is not {what} (a JSON object)");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{where}: the value is not {what} ({value.Length} bytes, not JSON: {e.Message})", e);
        }
    }

    private static void CheckVersion(JsonElement root, string where)
    {
        long version = Int64(root, "v", where);
        if (version != Version)
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{where}: format version {version}; this build reads {Version}"));
    }

    private static string String(JsonElement e, string name, string at) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()!
            : throw new InvalidDataException($"{at}: field '{name}' is missing or not a string");

    private static long Int64(JsonElement e, string name, string at) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long n) ? n
            : throw new InvalidDataException($"{at}: field '{name}' is missing or not an integer");

    private static ulong UInt64(JsonElement e, string name, string at) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetUInt64(out ulong n) ? n
            : throw new InvalidDataException($"{at}: field '{name}' is missing or not an unsigned integer");
}
