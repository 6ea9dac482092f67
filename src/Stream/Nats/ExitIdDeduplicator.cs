using System.Text.Json;

namespace Streamer.Stream.Nats;

/// <summary>
/// Delivery of exits is at-least-once (a publish retried after a lost ack, or an exit republished
/// after a crash, reaches the stream twice with the same <c>id</c>); a subscriber keeps the first
/// of each id. Not thread-safe; one per subscriber.
/// </summary>
internal sealed class ExitIdDeduplicator
{
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);

    public int Count => _seen.Count;

    /// <summary>True the first time an exit id is seen; false for a repeat. Throws on a payload without an <c>id</c>.</summary>
    public bool IsFirst(ReadOnlySpan<byte> exitJson, out string id)
    {
        id = ReadId(exitJson);
        return _seen.Add(id);
    }

    /// <summary>the top-level <c>id</c> of an exit event.</summary>
    public static string ReadId(ReadOnlySpan<byte> exitJson)
    {
        var reader = new Utf8JsonReader(exitJson);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) throw new FormatException("exit event: not a JSON object");
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            bool isId = reader.ValueTextEquals("id"u8);
            reader.Read();
            if (isId && reader.TokenType == JsonTokenType.String) return reader.GetString()!;
            reader.Skip();
        }
        throw new FormatException("exit event: no string field 'id'");
    }
}
