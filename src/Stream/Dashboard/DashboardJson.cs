using System.Buffers;
using System.Text.Json;

namespace Streamer.Stream.Dashboard;

/// <summary>Small JSON objects the dashboard writes itself (health, replies); the service's payloads pass through untouched.</summary>
internal static class DashboardJson
{
    public static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
