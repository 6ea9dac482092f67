using System.Buffers;
using System.Text.Json;

namespace Streamer.Stream.Cluster;

/// <summary>
/// The value of a lease key <c>p.&lt;n&gt;</c>: who holds it (null once released), the epoch (how many
/// times the partition changed hands), and for people and tools only, the holder's wall clock at the
/// write and its lease time. No engine decides expiry from <see cref="RenewedAtUnixMs"/>: wall clocks
/// of two hosts disagree; expiry is judged from the revision not moving (docs/cluster.md).
/// </summary>
internal sealed record LeaseRecord(string? Owner, ulong Epoch, long RenewedAtUnixMs, long LeaseMs)
{
    public bool IsReleased => Owner is null;

    public byte[] Encode()
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (Owner is null) json.WriteNull("owner");
            else json.WriteString("owner", Owner);
            json.WriteNumber("epoch", Epoch);
            json.WriteNumber("renewed_at_ms", RenewedAtUnixMs);
            json.WriteNumber("lease_ms", LeaseMs);
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The record, or null for a value this release cannot read (treated as held by someone unknown: it expires like any lease).</summary>
    public static LeaseRecord? Decode(ReadOnlySpan<byte> value)
    {
        try
        {
            using var doc = JsonDocument.Parse(value.ToArray());
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return null;
            string? owner = root.TryGetProperty("owner", out var o) && o.ValueKind == JsonValueKind.String ? o.GetString() : null;
            ulong epoch = root.TryGetProperty("epoch", out var e) && e.TryGetUInt64(out var ev) ? ev : 0;
            long renewed = root.TryGetProperty("renewed_at_ms", out var r) && r.TryGetInt64(out var rv) ? rv : 0;
            long lease = root.TryGetProperty("lease_ms", out var l) && l.TryGetInt64(out var lv) ? lv : 0;
            return new LeaseRecord(owner, epoch, renewed, lease);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>The value of a member key (the node id): informational; liveness is the revision moving.</summary>
internal static class MemberRecord
{
    public static byte[] Encode(string node, long startedAtUnixMs, long heartbeatAtUnixMs, int held)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("node", node);
            json.WriteNumber("started_at_ms", startedAtUnixMs);
            json.WriteNumber("heartbeat_at_ms", heartbeatAtUnixMs);
            json.WriteNumber("partitions_held", held);
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
