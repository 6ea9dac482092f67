using System.Threading.Channels;
using Streamer.Stream.Contracts;

namespace Streamer.Stream.Nats;

/// <summary>Reads a whole JetStream stream back, oldest first: for subscribers that were down, tests and tools.</summary>
internal static class JetStreamReader
{
    /// <summary>Every exit on <c>STREAMER_EXITS</c> as of now, in stream order (repeats included: dedupe by id).</summary>
    public static Task<IReadOnlyList<StreamMessage>> ReadExitsFromStartAsync(JetStreamClient js, CancellationToken cancellationToken = default) =>
        ReadFromStartAsync(js, NatsSubjects.ExitStream, NatsSubjects.ExitsWildcard, TimeSpan.FromSeconds(10), cancellationToken);

    /// <summary>
    /// Every message in <paramref name="stream"/> (optionally only those on
    /// <paramref name="filterSubject"/>) as of now, in stream order, through an ephemeral push
    /// consumer that is deleted afterwards. Holds them all in memory: a tool, not the live path.
    /// Throws <see cref="TimeoutException"/> when delivery stalls for <paramref name="idleTimeout"/>.
    /// </summary>
    public static async Task<IReadOnlyList<StreamMessage>> ReadFromStartAsync(JetStreamClient js, string stream, string? filterSubject, TimeSpan idleTimeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(js);
        var inbox = "_INBOX.streamer_replay." + Guid.NewGuid().ToString("N");
        var received = Channel.CreateUnbounded<BusMessage>(new UnboundedChannelOptions { SingleReader = true });
        using var subscription = js.Bus.Subscribe(inbox, m => received.Writer.TryWrite(m));
        var (consumer, pending) = await js.CreateReplayConsumerAsync(stream, inbox, filterSubject, cancellationToken).ConfigureAwait(false);
        var messages = new List<StreamMessage>(checked((int)pending));
        try
        {
            while (pending > 0)
            {
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                idle.CancelAfter(idleTimeout);
                BusMessage m;
                try
                {
                    m = await received.Reader.ReadAsync(idle.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new TimeoutException($"reading stream {stream}: delivery stalled after {messages.Count} messages with {pending} still pending");
                }
                if (!TryParseAckSubject(m.ReplyTo, out var streamSequence, out pending))
                    continue; // not a stream message (e.g. an idle heartbeat)
                messages.Add(new StreamMessage(m.Subject, streamSequence, m.Data));
            }
        }
        finally
        {
            try
            {
                await js.DeleteConsumerAsync(stream, consumer, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is JetStreamApiException or TimeoutException or MessageBusUnavailableException)
            {
                // an ephemeral consumer goes away by itself once nobody listens
            }
        }
        return messages;
    }

    /// <summary>
    /// The reply subject of a pushed message: <c>$JS.ACK.&lt;stream&gt;.&lt;consumer&gt;.&lt;delivered&gt;.&lt;stream seq&gt;.&lt;consumer seq&gt;.&lt;ts&gt;.&lt;pending&gt;</c>
    /// (2.9), or the newer form with domain and account hash after <c>$JS.ACK</c>.
    /// </summary>
    internal static bool TryParseAckSubject(string? replyTo, out ulong streamSequence, out ulong pending)
    {
        streamSequence = pending = 0;
        if (replyTo is null || !replyTo.StartsWith("$JS.ACK.", StringComparison.Ordinal)) return false;
        var t = replyTo.Split('.');
        int first = t.Length switch { 9 => 2, >= 11 => 4, _ => -1 };
        if (first < 0) return false;
        return ulong.TryParse(t[first + 3], out streamSequence) && ulong.TryParse(t[first + 6], out pending);
    }
}
