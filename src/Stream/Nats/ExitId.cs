using System.Text.Json;

namespace Streamer.Stream.Nats;

/// <summary>
/// The top-level <c>id</c> of an exit event: what the outbox sends as <c>Nats-Msg-Id</c> and what
/// tests and tools compare. Subscribers no longer dedupe by it: the stream does (docs/nats.md).
/// </summary>
public static class ExitId
{
    public static string Read(ReadOnlySpan<byte> exitJson)
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
