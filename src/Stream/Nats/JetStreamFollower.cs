using System.Buffers;
using System.Text.Json;

namespace Streamer.Stream.Nats;

/// <summary>
/// A subscriber that survives being down: a durable push consumer with explicit acks. The server
/// remembers what was acked under <see cref="DurableName"/>, so a follower started again with the
/// same name receives everything it has not acked, then every new message, in stream order
/// (<c>max_ack_pending</c> 1: one message in flight, so a redelivery can never overtake).
/// A message is acked after the handler returns; one whose handler throws is delivered again after
/// <c>ack_wait</c>. Delivery is at-least-once: dedupe exits by id (<see cref="ExitIdDeduplicator"/>).
/// </summary>
internal sealed class JetStreamFollower : IDisposable
{
    private readonly IMessageBus _bus;
    private readonly IDisposable _subscription;

    private JetStreamFollower(IMessageBus bus, string durableName, IDisposable subscription)
    {
        _bus = bus;
        DurableName = durableName;
        _subscription = subscription;
    }

    public string DurableName { get; }

    /// <summary>the handler threw this many times (each such message is redelivered).</summary>
    public int HandlerFailures { get; private set; }

    /// <summary>
    /// Creates the durable consumer if it does not exist (idempotent) and starts delivering to
    /// <paramref name="handler"/> on a bus thread.
    /// </summary>
    public static async Task<JetStreamFollower> StartAsync(JetStreamClient js, string stream, string durableName, string? filterSubject, Action<StreamMessage> handler, TimeSpan ackWait, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(js);
        ArgumentNullException.ThrowIfNull(handler);
        if (durableName.AsSpan().IndexOfAny(". *>") >= 0) throw new ArgumentException($"durable name '{durableName}' must not contain '.', ' ', '*' or '>'", nameof(durableName));
        // stable across restarts: a durable push consumer keeps the deliver subject it was created with
        var deliver = $"streamer.follow.{stream}.{durableName}";
        JetStreamFollower? follower = null;
        var subscription = js.Bus.Subscribe(deliver, m => follower?.Deliver(m, handler));
        follower = new JetStreamFollower(js.Bus, durableName, subscription);
        try
        {
            await CreateDurableAsync(js, stream, durableName, deliver, filterSubject, ackWait, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            follower.Dispose();
            throw;
        }
        return follower;
    }

    /// <summary>Stops receiving; the durable consumer stays on the server and remembers the acks.</summary>
    public void Dispose() => _subscription.Dispose();

    private void Deliver(BusMessage m, Action<StreamMessage> handler)
    {
        if (!JetStreamReader.TryParseAckSubject(m.ReplyTo, out var sequence, out _)) return; // not a stream message
        try
        {
            handler(new StreamMessage(m.Subject, sequence, m.Data));
        }
#pragma warning disable CA1031 // not acked: the server delivers it again after ack_wait
        catch (Exception)
#pragma warning restore CA1031
        {
            HandlerFailures++;
            return;
        }
        _bus.TryPublish(m.ReplyTo!, ReadOnlyMemory<byte>.Empty); // +ACK (an empty body is an ack)
    }

    private static async Task CreateDurableAsync(JetStreamClient js, string stream, string durable, string deliver, string? filter, TimeSpan ackWait, CancellationToken ct)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("stream_name"u8, stream);
            w.WriteStartObject("config"u8);
            w.WriteString("durable_name"u8, durable);
            w.WriteString("deliver_subject"u8, deliver);
            w.WriteString("deliver_policy"u8, "all"u8);
            w.WriteString("ack_policy"u8, "explicit"u8);
            w.WriteNumber("ack_wait"u8, ackWait.Ticks * 100);
            w.WriteNumber("max_ack_pending"u8, 1);
            w.WriteString("replay_policy"u8, "instant"u8);
            if (filter is not null) w.WriteString("filter_subject"u8, filter);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        await js.ApiRequestAsync($"$JS.API.CONSUMER.DURABLE.CREATE.{stream}.{durable}", buffer.WrittenMemory, ct).ConfigureAwait(false);
    }
}
