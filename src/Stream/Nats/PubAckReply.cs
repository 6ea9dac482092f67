using System.Buffers;
using System.Text;
using System.Text.Json;
using NATS.Client.Core;

namespace Streamer.Stream.Nats;

/// <summary>
/// A JetStream publish reply read straight from NATS.Net's receive buffer: the ack, or the error
/// the stream answered with, or the reply's own text when it is neither. An ack costs no
/// allocation: the stream name is the last one seen unless it changed.
/// </summary>
internal readonly struct PubAckReply
{
    private PubAckReply(PubAck ack, JetStreamApiError? error, string? unreadable)
    {
        Ack = ack;
        Error = error;
        Unreadable = unreadable;
    }

    public PubAck Ack { get; }

    /// <summary>set when the stream refused the message: <c>{"error":{"code","err_code","description"}}</c>.</summary>
    public JetStreamApiError? Error { get; }

    /// <summary>set when the reply is neither a PubAck nor an error (its first 300 bytes, as text).</summary>
    public string? Unreadable { get; }

    public static PubAckReply Of(PubAck ack) => new(ack, null, null);

    /// <summary>the ack, or the exception the caller's task faults with.</summary>
    public bool TryGet(string subject, out PubAck ack, out Exception? error)
    {
        ack = Ack;
        error = Error is { } e ? new JetStreamApiException(subject, e.Code, e.ErrorCode, e.Description)
            : Unreadable is { } text ? new JetStreamApiException($"'{subject}': reply is not a PubAck: {text}")
            : null;
        return error is null;
    }

    /// <summary>
    /// Parses <c>{"stream":"EXITS","seq":7[,"duplicate":true]}</c> or <c>{"error":{...}}</c>.
    /// <paramref name="lastStream"/> is the previous stream name, reused when the bytes match.
    /// </summary>
    public static PubAckReply Parse(in ReadOnlySequence<byte> data, ref string lastStream)
    {
        try
        {
            var r = new Utf8JsonReader(data);
            if (!r.Read() || r.TokenType != JsonTokenType.StartObject) return Bad(data);
            string? stream = null;
            ulong seq = 0;
            bool hasSeq = false, duplicate = false;
            while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
            {
                if (r.ValueTextEquals("stream"u8))
                {
                    r.Read();
                    if (r.TokenType != JsonTokenType.String) return Bad(data);
                    stream = r.ValueTextEquals(lastStream) ? lastStream : (lastStream = r.GetString() ?? "");
                }
                else if (r.ValueTextEquals("seq"u8))
                {
                    r.Read();
                    if (r.TokenType != JsonTokenType.Number || !r.TryGetUInt64(out seq)) return Bad(data);
                    hasSeq = true;
                }
                else if (r.ValueTextEquals("duplicate"u8))
                {
                    r.Read();
                    duplicate = r.TokenType == JsonTokenType.True;
                }
                else if (r.ValueTextEquals("error"u8))
                {
                    return new(default, ReadError(ref r), null);
                }
                else
                {
                    r.Read();
                    r.Skip();
                }
            }
            return stream is not null && hasSeq ? new(new PubAck(stream, seq, duplicate), null, null) : Bad(data);
        }
        catch (JsonException)
        {
            return Bad(data);
        }
    }

    private static JetStreamApiError ReadError(ref Utf8JsonReader r)
    {
        int code = 0, errCode = 0;
        string description = "";
        r.Read();
        if (r.TokenType != JsonTokenType.StartObject) return new(0, 0, "malformed error");
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            if (r.ValueTextEquals("code"u8)) { r.Read(); if (r.TokenType == JsonTokenType.Number) r.TryGetInt32(out code); }
            else if (r.ValueTextEquals("err_code"u8)) { r.Read(); if (r.TokenType == JsonTokenType.Number) r.TryGetInt32(out errCode); }
            else if (r.ValueTextEquals("description"u8)) { r.Read(); description = r.TokenType == JsonTokenType.String ? r.GetString() ?? "" : ""; }
            else { r.Read(); r.Skip(); }
        }
        return new(code, errCode, description);
    }

    private static PubAckReply Bad(in ReadOnlySequence<byte> data)
    {
        if (data.IsEmpty) return new(default, null, "(empty)");
        var head = data.Slice(0, Math.Min(data.Length, 300));
        return new(default, null, Encoding.UTF8.GetString(head));
    }
}

/// <summary>the error object of a JetStream reply.</summary>
internal sealed record JetStreamApiError(int Code, int ErrorCode, string Description);

/// <summary>NATS.Net hands each reply's bytes here, on its receive loop: parsed in place, never copied to an array.</summary>
internal sealed class PubAckReplyDeserializer : INatsDeserialize<PubAckReply>
{
    private string _lastStream = "";

    public PubAckReply Deserialize(in ReadOnlySequence<byte> buffer) => PubAckReply.Parse(buffer, ref _lastStream);
}
