using System.Buffers;
using System.Text.Json;
using Streamer.Feed.MessagePack;

namespace Streamer.Feed.Alpaca;

/// <summary>
/// The messages a client sends: auth and (un)subscribe, as JSON for the stock stream and
/// MessagePack for the options stream (alpaca.md: option clients talk MessagePack too).
/// </summary>
public static class AlpacaClientMessages
{
    public static void WriteAuth(IBufferWriter<byte> output, AlpacaStreamKind kind, AlpacaCredentials credentials)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        if (kind == AlpacaStreamKind.Options)
        {
            var w = new MessagePackWriter(output);
            w.WriteMapHeader(3);
            w.WriteString("action"u8); w.WriteString("auth"u8);
            w.WriteString("key"u8); w.WriteString(credentials.KeyId);
            w.WriteString("secret"u8); w.WriteString(credentials.SecretKey);
            return;
        }
        using var json = new Utf8JsonWriter(output);
        json.WriteStartObject();
        json.WriteString("action"u8, "auth"u8);
        json.WriteString("key"u8, credentials.KeyId);
        json.WriteString("secret"u8, credentials.SecretKey);
        json.WriteEndObject();
    }

    /// <param name="action"><c>subscribe</c> or <c>unsubscribe</c></param>
    public static void WriteSubscription(IBufferWriter<byte> output, AlpacaStreamKind kind, string action,
        IReadOnlyCollection<string> trades, IReadOnlyCollection<string> quotes)
    {
        ArgumentNullException.ThrowIfNull(trades);
        ArgumentNullException.ThrowIfNull(quotes);
        if (kind == AlpacaStreamKind.Options)
        {
            var w = new MessagePackWriter(output);
            w.WriteMapHeader(3);
            w.WriteString("action"u8); w.WriteString(action);
            w.WriteString("trades"u8); w.WriteArrayHeader(trades.Count);
            foreach (var s in trades) w.WriteString(s);
            w.WriteString("quotes"u8); w.WriteArrayHeader(quotes.Count);
            foreach (var s in quotes) w.WriteString(s);
            return;
        }
        using var json = new Utf8JsonWriter(output);
        json.WriteStartObject();
        json.WriteString("action"u8, action);
        json.WriteStartArray("trades"u8);
        foreach (var s in trades) json.WriteStringValue(s);
        json.WriteEndArray();
        json.WriteStartArray("quotes"u8);
        foreach (var s in quotes) json.WriteStringValue(s);
        json.WriteEndArray();
        json.WriteEndObject();
    }
}
