using NATS.Client.JetStream.Models;
using Streamer.Stream.Contracts;

namespace Streamer.Stream.Nats;

/// <summary>Reads a whole JetStream stream back, oldest first: for subscribers that were down, tests and tools.</summary>
public static class JetStreamReader
{
    /// <summary>Every exit on <c>STREAMER_EXITS</c> as of now, in stream order.</summary>
    public static Task<IReadOnlyList<StreamMessage>> ReadExitsFromStartAsync(JetStreamClient js, CancellationToken cancellationToken = default) =>
        ReadFromStartAsync(js, NatsSubjects.ExitStream, NatsSubjects.ExitsWildcard, TimeSpan.FromSeconds(10), cancellationToken);

    /// <summary>
    /// Every message in <paramref name="stream"/> (optionally only those on
    /// <paramref name="filterSubject"/>) up to its last sequence as of now, in stream order, through
    /// an ephemeral NATS.Net pull consumer (deleted afterwards). Holds them all in
    /// memory: a tool, not the live path. Throws <see cref="TimeoutException"/> when delivery
    /// stalls for <paramref name="idleTimeout"/>.
    /// </summary>
    public static Task<IReadOnlyList<StreamMessage>> ReadFromStartAsync(JetStreamClient js, string stream, string? filterSubject, TimeSpan idleTimeout, CancellationToken cancellationToken = default) =>
        ReadAfterAsync(js, stream, filterSubject, 0, idleTimeout, cancellationToken);

    /// <summary>
    /// Like <see cref="ReadFromStartAsync"/>, but only the messages after stream sequence
    /// <paramref name="afterSequence"/> (all of them when the stream's sequences restarted below it:
    /// a stream recreated since), with their headers. Empty when the stream does not exist.
    /// </summary>
    public static async Task<IReadOnlyList<StreamMessage>> ReadAfterAsync(JetStreamClient js, string stream, string? filterSubject, ulong afterSequence, TimeSpan idleTimeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(js);
        var info = await js.GetStreamInfoAsync(stream, cancellationToken).ConfigureAwait(false);
        var messages = new List<StreamMessage>();
        if (info is null) return afterSequence == 0 ? throw new JetStreamApiException($"stream {stream} not found") : messages;
        if (info.Messages == 0) return messages;
        if (afterSequence > info.LastSequence) afterSequence = 0; // the stream was recreated: its sequences are not the ones the caller knew
        if (afterSequence == info.LastSequence) return messages;
        // an ephemeral pull consumer, no acks, unfiltered: NATS.Net sends a filter the way nats-server
        // 2.10 expects (2.9 ignores filter_subjects, refuses it in the create subject), so the filter
        // is applied here; a tool reading a stream of exits can afford that
        var consumer = await js.Context.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig
        {
            AckPolicy = ConsumerConfigAckPolicy.None,
            DeliverPolicy = afterSequence == 0 ? ConsumerConfigDeliverPolicy.All : ConsumerConfigDeliverPolicy.ByStartSequence,
            OptStartSeq = afterSequence == 0 ? 0 : afterSequence + 1,
            InactiveThreshold = TimeSpan.FromSeconds(30),
        }, cancellationToken).ConfigureAwait(false);
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        idle.CancelAfter(idleTimeout);
        try
        {
            await foreach (var m in consumer.ConsumeAsync<byte[]>(cancellationToken: idle.Token).ConfigureAwait(false))
            {
                var meta = m.Metadata ?? throw new JetStreamApiException($"stream {stream}: a message without JetStream metadata");
                if (filterSubject is null || Matches(filterSubject, m.Subject))
                    messages.Add(new StreamMessage(m.Subject, meta.Sequence.Stream, m.Data ?? [], Headers(m.Headers)));
                idle.CancelAfter(idleTimeout);
                // the last one as of now
                if (meta.Sequence.Stream >= info.LastSequence || meta.NumPending == 0) break;
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"reading stream {stream}: delivery stalled after {messages.Count} messages");
        }
        finally
        {
            try
            {
                await js.Context.DeleteConsumerAsync(stream, consumer.Info.Name, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is NATS.Client.Core.NatsException)
            {
                // an ephemeral consumer goes away by itself once inactive
            }
        }
        return messages;
    }

    private static Dictionary<string, string>? Headers(NATS.Client.Core.NatsHeaders? headers)
    {
        if (headers is null || headers.Count == 0) return null;
        var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (k, v) in headers) map[k] = v.ToString();
        return map;
    }

    /// <summary>NATS subject matching: <c>*</c> is one token, a last <c>&gt;</c> one or more.</summary>
    internal static bool Matches(string filter, string subject)
    {
        var f = filter.Split('.');
        var s = subject.Split('.');
        for (int i = 0; i < f.Length; i++)
        {
            if (f[i] == ">") return i == f.Length - 1 && s.Length > i;
            if (i >= s.Length || (f[i] != "*" && !string.Equals(f[i], s[i], StringComparison.Ordinal))) return false;
        }
        return f.Length == s.Length;
    }
}
