using System.Buffers;
using System.Text.Json;

namespace Streamer.Stream.Nats;

/// <summary>
/// JetStream over plain request/reply on its JSON API subjects (<c>$JS.API.*</c>): NATS.Client
/// 0.8.0 has no JetStream API. Without headers there is no <c>Nats-Msg-Id</c>, so the stream's
/// duplicate window cannot dedupe; exits carry their id in the payload and subscribers dedupe
/// by it (<see cref="ExitIdDeduplicator"/>). Cold path: allocation is fine here.
/// </summary>
public sealed class JetStreamClient(IMessageBus bus, TimeSpan apiTimeout)
{
    public JetStreamClient(IMessageBus bus) : this(bus, TimeSpan.FromSeconds(5)) { }

    public IMessageBus Bus { get; } = bus;

    /// <summary>
    /// Creates the stream, or updates its subjects/retention/max age when they differ; idempotent.
    /// Storage cannot change on a live stream: a mismatch throws.
    /// </summary>
    public async Task<StreamEnsureOutcome> EnsureStreamAsync(JetStreamStreamSpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var info = await GetStreamInfoAsync(spec.Name, cancellationToken).ConfigureAwait(false);
        if (info is null)
        {
            var subject = "$JS.API.STREAM.CREATE." + spec.Name;
            try
            {
                await ApiAsync(subject, StreamConfigJson(spec), cancellationToken).ConfigureAwait(false);
                return StreamEnsureOutcome.Created;
            }
            catch (JetStreamApiException)
            {
                // another process may have created it between INFO and CREATE
                info = await GetStreamInfoAsync(spec.Name, cancellationToken).ConfigureAwait(false);
                if (info is null) throw;
            }
        }
        if (!string.Equals(info.Storage, spec.Storage, StringComparison.Ordinal))
            throw new JetStreamApiException($"stream {spec.Name} exists with storage '{info.Storage}', wanted '{spec.Storage}'; storage cannot change on a live stream (delete it or pick another name)");
        if (SameSet(info.Subjects, spec.Subjects) && string.Equals(info.Retention, spec.Retention, StringComparison.Ordinal) && info.MaxAge == spec.MaxAge)
            return StreamEnsureOutcome.Unchanged;
        await ApiAsync("$JS.API.STREAM.UPDATE." + spec.Name, StreamConfigJson(spec), cancellationToken).ConfigureAwait(false);
        return StreamEnsureOutcome.Updated;
    }

    /// <summary><c>STREAM.INFO</c>; null when the stream does not exist.</summary>
    public async Task<JetStreamStreamInfo?> GetStreamInfoAsync(string stream, CancellationToken cancellationToken = default)
    {
        JsonDocument doc;
        try
        {
            doc = await ApiAsync("$JS.API.STREAM.INFO." + stream, ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
        }
        catch (JetStreamApiException e) when (e.ErrorCode == JetStreamApiException.StreamNotFound || e.Code == 404)
        {
            return null;
        }
        using (doc)
        {
            var root = doc.RootElement;
            var config = root.GetProperty("config");
            var state = root.GetProperty("state");
            var subjects = new List<string>();
            if (config.TryGetProperty("subjects", out var subs))
                foreach (var s in subs.EnumerateArray()) subjects.Add(s.GetString() ?? "");
            return new JetStreamStreamInfo(
                config.GetProperty("name").GetString() ?? stream,
                subjects,
                config.GetProperty("storage").GetString() ?? "",
                config.GetProperty("retention").GetString() ?? "",
                TimeSpan.FromTicks(config.TryGetProperty("max_age", out var age) ? age.GetInt64() / 100 : 0),
                state.GetProperty("messages").GetUInt64(),
                state.GetProperty("first_seq").GetUInt64(),
                state.GetProperty("last_seq").GetUInt64());
        }
    }

    /// <summary>
    /// One publish attempt into a stream: a request whose reply is the PubAck. Throws
    /// <see cref="TimeoutException"/> (no stream captured it, or the server is unreachable),
    /// <see cref="MessageBusUnavailableException"/> (not connected) or
    /// <see cref="JetStreamApiException"/> (the stream refused it). Retrying is the caller's call.
    /// </summary>
    public async Task<PubAck> PublishAsync(string subject, ReadOnlyMemory<byte> payload, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var reply = await Bus.RequestAsync(subject, payload, timeout, cancellationToken).ConfigureAwait(false);
        return ParsePubAck(subject, reply);
    }

    /// <summary>
    /// The connection pinned publishes go out on (<see cref="PublishOnAsync"/>), 0 when none is live;
    /// null when the bus cannot pin a publish to a connection (then publish one at a time: only an
    /// acked publish is known to be ahead of the next).
    /// </summary>
    public int? PinnableConnection => Bus is IConnectionBoundRequests pinned ? pinned.CurrentConnection : null;

    /// <summary>
    /// <see cref="PublishAsync"/> on connection <paramref name="connection"/> only (<see cref="PinnableConnection"/>):
    /// the message is written before this returns, so publishes called in sequence reach the stream in that
    /// order while their acks are pending (pipelining). Faults with <see cref="MessageBusUnavailableException"/>,
    /// nothing sent, once that connection is gone: what it left unacked must be resent first.
    /// </summary>
    public async Task<PubAck> PublishOnAsync(int connection, string subject, ReadOnlyMemory<byte> payload, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        if (Bus is not IConnectionBoundRequests pinned)
            throw new NotSupportedException($"{Bus.GetType().Name} cannot pin a publish to a connection: use PublishAsync");
        var reply = await pinned.RequestOnAsync(connection, subject, payload, timeout, cancellationToken).ConfigureAwait(false);
        return ParsePubAck(subject, reply);
    }

    private static PubAck ParsePubAck(string subject, BusMessage reply)
    {
        using var doc = Parse(subject, reply.Data);
        var root = doc.RootElement;
        if (!root.TryGetProperty("stream", out var stream) || !root.TryGetProperty("seq", out var seq))
            throw new JetStreamApiException($"'{subject}': reply is not a PubAck: {Utf8(reply.Data)}");
        var duplicate = root.TryGetProperty("duplicate", out var d) && d.ValueKind == JsonValueKind.True;
        return new PubAck(stream.GetString() ?? "", seq.GetUInt64(), duplicate);
    }

    /// <summary>
    /// An ephemeral push consumer delivering to <paramref name="deliverSubject"/> from the first
    /// message (deliver_policy all, no acks, instant replay). Subscribe to the deliver subject
    /// first. Returns the consumer's name and how many messages it has to deliver.
    /// </summary>
    public async Task<(string Name, ulong Pending)> CreateReplayConsumerAsync(string stream, string deliverSubject, string? filterSubject, CancellationToken cancellationToken = default)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("stream_name"u8, stream);
            w.WriteStartObject("config"u8);
            w.WriteString("deliver_subject"u8, deliverSubject);
            w.WriteString("deliver_policy"u8, "all"u8);
            w.WriteString("ack_policy"u8, "none"u8);
            w.WriteString("replay_policy"u8, "instant"u8);
            if (filterSubject is not null) w.WriteString("filter_subject"u8, filterSubject);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        using var doc = await ApiAsync("$JS.API.CONSUMER.CREATE." + stream, buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
        var root = doc.RootElement;
        return (root.GetProperty("name").GetString() ?? "", root.GetProperty("num_pending").GetUInt64());
    }

    public async Task DeleteConsumerAsync(string stream, string consumer, CancellationToken cancellationToken = default)
    {
        using var _ = await ApiAsync($"$JS.API.CONSUMER.DELETE.{stream}.{consumer}", ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes a stream and every message in it (tests and tools).</summary>
    public async Task DeleteStreamAsync(string stream, CancellationToken cancellationToken = default)
    {
        using var _ = await ApiAsync("$JS.API.STREAM.DELETE." + stream, ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Any JetStream API request; throws <see cref="JetStreamApiException"/> on an error reply.</summary>
    public async Task ApiRequestAsync(string subject, ReadOnlyMemory<byte> request, CancellationToken cancellationToken = default)
    {
        using var _ = await ApiAsync(subject, request, cancellationToken).ConfigureAwait(false);
    }

    private async Task<JsonDocument> ApiAsync(string subject, ReadOnlyMemory<byte> request, CancellationToken cancellationToken)
    {
        var reply = await Bus.RequestAsync(subject, request, apiTimeout, cancellationToken).ConfigureAwait(false);
        return Parse(subject, reply.Data);
    }

    /// <summary>parses a reply and throws its error object if it has one.</summary>
    private static JsonDocument Parse(string subject, byte[] data)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(data);
        }
        catch (JsonException e)
        {
            throw new JetStreamApiException($"'{subject}': reply is not JSON: {Utf8(data)}", e);
        }
        if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("error", out var error))
        {
            var code = error.TryGetProperty("code", out var c) && c.TryGetInt32(out var ci) ? ci : 0;
            var errCode = error.TryGetProperty("err_code", out var ec) && ec.TryGetInt32(out var eci) ? eci : 0;
            var description = error.TryGetProperty("description", out var ds) ? ds.GetString() ?? "" : error.GetRawText();
            doc.Dispose();
            throw new JetStreamApiException(subject, code, errCode, description);
        }
        return doc;
    }

    private static byte[] StreamConfigJson(JetStreamStreamSpec spec)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("name"u8, spec.Name);
            w.WriteStartArray("subjects"u8);
            foreach (var s in spec.Subjects) w.WriteStringValue(s);
            w.WriteEndArray();
            w.WriteString("storage"u8, spec.Storage);
            w.WriteString("retention"u8, spec.Retention);
            w.WriteNumber("max_age"u8, spec.MaxAge.Ticks * 100); // nanoseconds
            w.WriteString("discard"u8, "old"u8);
            w.WriteNumber("num_replicas"u8, 1);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static bool SameSet(IReadOnlyList<string> a, IReadOnlyList<string> b) =>
        a.Count == b.Count && a.All(b.Contains);

    private static string Utf8(byte[] data) =>
        data.Length == 0 ? "(empty)" : System.Text.Encoding.UTF8.GetString(data, 0, Math.Min(data.Length, 300));
}
