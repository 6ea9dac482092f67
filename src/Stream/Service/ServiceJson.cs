using System.Buffers;
using System.Text.Json;
using Streamer.Rules.Time;

namespace Streamer.Stream.Service;

/// <summary>small JSON helpers for the service's cold-path messages (alerts, replies, heartbeat).</summary>
public static class ServiceJson
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

    public static void WriteTime(Utf8JsonWriter w, string name, long ns) => w.WriteString(name, NanoTime.FormatRfc3339(ns));

    /// <summary><c>{"ok":false,"error":…}</c></summary>
    public static byte[] Error(string error) => Write(w =>
    {
        w.WriteBoolean("ok"u8, false);
        w.WriteString("error"u8, error);
    });
}
