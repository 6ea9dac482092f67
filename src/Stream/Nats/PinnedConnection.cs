using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using NATS.Client.Core;

namespace Streamer.Stream.Nats;

/// <summary>
/// A NATS.Net connection that is never reconnected: NATS.Net carries what is still buffered over
/// to the next connection, so a publish written after the socket died unnoticed could reach the
/// stream before earlier ones the dead socket lost. On this connection that cannot happen: once
/// it is lost everything unacked fails and the caller resends it in order on a new one. Publishes
/// are written in call order (one chain) and their acks matched on one inbox subscription.
/// </summary>
/// <remarks>
/// The publish path is built for tens of thousands of exits a second: a waiter lives in a slot
/// whose reply subject was made once (<c>&lt;inbox&gt;.&lt;slot&gt;</c>), headers are pooled, one
/// timer sweeps every waiter's deadline (no timer per publish), and acks are parsed from the
/// receive buffer (no array per reply). A slot is reused only once its reply came (a waiter that
/// timed out keeps its slot until then), so a late ack can never be taken for a newer publish.
/// </remarks>
internal sealed partial class PinnedConnection : IDisposable
{
    private const int SlotCount = 4096; // > the outbox's window: the slots run out only when acks stop coming
    private const string MsgIdHeader = "Nats-Msg-Id";

    private readonly NatsConnection _connection;
    private readonly string _inbox;
    private readonly AckWaiter?[] _slots = new AckWaiter?[SlotCount];
    private readonly string[] _slotReplyTo = new string[SlotCount];
    private readonly ConcurrentDictionary<long, AckWaiter> _overflow = new(); // slot still held by an older waiter: a reply subject of its own
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _writeGate = new();
    private readonly Stack<NatsHeaders> _headers = new(); // locked on itself: returned from the write chain
    private readonly Action<string> _report;
    private readonly Timer _sweep;
    private Task _lastWrite = Task.CompletedTask;
    private INatsSub<PubAckReply>? _replies;
    private long _next;
    private int _outstanding;
    private int _state; // 0 connecting, 1 live, 2 dead

    public PinnedConnection(int number, NatsOpts opts, Action<string> report)
    {
        Number = number;
        _report = report;
        _connection = new NatsConnection(opts with { RetryOnInitialConnect = false, PublishTimeoutOnDisconnected = true });
        // not under _INBOX.: NATS.Net routes replies there to its own request mux
        _inbox = "_STREAMER_ACK." + Guid.NewGuid().ToString("N");
        for (int i = 0; i < SlotCount; i++) _slotReplyTo[i] = _inbox + "." + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var opened = 0;
        // refuse every connect after the first: this connection must die with its socket
        _connection.OnConnectingAsync = target => Interlocked.Exchange(ref opened, 1) == 0
            ? ValueTask.FromResult(target)
            : ValueTask.FromException<(string, int)>(new NatsException("pinned connection: never reconnects"));
        _connection.ConnectionDisconnected += (_, _) =>
        {
            Die("NATS connection lost");
            return ValueTask.CompletedTask;
        };
        _sweep = new Timer(static s => ((PinnedConnection)s!).Sweep(), this, SweepEvery, SweepEvery);
        _ = OpenAsync();
    }

    /// <summary>how often deadlines and cancellations are checked: a timeout fires up to this late.</summary>
    private static readonly TimeSpan SweepEvery = TimeSpan.FromMilliseconds(50);

    public int Number { get; }

    public bool IsLive => Volatile.Read(ref _state) == 1 && _connection.ConnectionState == NatsConnectionState.Open;

    public bool IsDead => Volatile.Read(ref _state) == 2;

    /// <summary>
    /// Publishes into a stream and completes with its ack: the message is written before this
    /// returns (calls in sequence go out in that order). <paramref name="messageId"/> goes out as
    /// <c>Nats-Msg-Id</c>, <paramref name="state"/> as <see cref="ExitStream.StateHeader"/>. Faults with
    /// <see cref="MessageBusUnavailableException"/> when the connection is gone (or goes before the ack),
    /// <see cref="TimeoutException"/> when no ack comes in time, <see cref="JetStreamApiException"/> when the
    /// stream refused it, <see cref="MessageTooLargeException"/> (nothing sent) over the server's max_payload.
    /// </summary>
    public Task<PubAck> PublishAsync(string subject, ReadOnlyMemory<byte> payload, string? messageId, TimeSpan timeout, CancellationToken cancellationToken, string? state = null)
    {
        if (!IsLive) return Task.FromException<PubAck>(new MessageBusUnavailableException($"NATS connection {Number} is gone"));
        int headerBytes = HeaderBytes(messageId, state);
        if (_connection.ServerInfo is { MaxPayload: > 0 } info && payload.Length + headerBytes > info.MaxPayload)
            return Task.FromException<PubAck>(new MessageTooLargeException(subject, payload.Length + headerBytes, info.MaxPayload));
        var waiter = new AckWaiter(subject, timeout, cancellationToken);
        lock (_writeGate)
        {
            long id = ++_next;
            string replyTo = Hold(waiter, id);
            NatsHeaders? headers = null;
            if (messageId is not null || state is not null)
            {
                lock (_headers) headers = _headers.Count > 0 ? _headers.Pop() : null;
                headers ??= [];
                if (messageId is not null) headers[MsgIdHeader] = messageId;
                if (state is not null) headers[ExitStream.StateHeader] = state;
            }
            var previous = _lastWrite;
            _lastWrite = previous.IsCompletedSuccessfully
                ? Write(subject, payload, headers, replyTo, waiter)
                : WriteAfterAsync(previous, subject, payload, headers, replyTo, waiter);
        }
        return waiter.Task;
    }

    /// <summary>the waiter takes its id's slot when free (the common case), else a reply subject of its own.</summary>
    private string Hold(AckWaiter waiter, long id)
    {
        Interlocked.Increment(ref _outstanding);
        int slot = (int)(id & (SlotCount - 1));
        if (Interlocked.CompareExchange(ref _slots[slot], waiter, null) is null)
        {
            waiter.Slot = slot;
            return _slotReplyTo[slot];
        }
        waiter.Slot = -1;
        waiter.OverflowId = id;
        _overflow[id] = waiter;
        return OverflowReplyTo(id);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private string OverflowReplyTo(long id) => _inbox + ".x" + id.ToString(System.Globalization.CultureInfo.InvariantCulture);

    // "NATS/1.0\r\n" + "key: value\r\n"... + "\r\n": what the server counts against max_payload with the payload
    private static int HeaderBytes(string? messageId, string? state)
    {
        if (messageId is null && state is null) return 0;
        int n = 12;
        if (messageId is not null) n += MsgIdHeader.Length + 4 + Encoding.UTF8.GetByteCount(messageId);
        if (state is not null) n += ExitStream.StateHeader.Length + 4 + Encoding.UTF8.GetByteCount(state);
        return n;
    }

    private async Task OpenAsync()
    {
        try
        {
            await _connection.ConnectAsync().ConfigureAwait(false);
            _replies = await _connection.SubscribeCoreAsync(_inbox + ".*", serializer: new PubAckReplyDeserializer(), cancellationToken: _stop.Token).ConfigureAwait(false);
            if (Interlocked.CompareExchange(ref _state, 1, 0) != 0) return;
            var reader = _replies.Msgs;
            while (await reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
                while (reader.TryRead(out var m))
                    Complete(m.Subject, m.Data);
        }
#pragma warning disable CA1031 // a failed or lost connection is the caller's "connection gone", never a crash
        catch (Exception e)
#pragma warning restore CA1031
        {
            if (!_stop.IsCancellationRequested) _report("pinned connection: " + e.Message);
        }
        Die("NATS connection lost");
    }

    /// <summary>a reply on <c>&lt;inbox&gt;.&lt;slot&gt;</c> or <c>&lt;inbox&gt;.x&lt;id&gt;</c>: its waiter gives the slot back and completes.</summary>
    private void Complete(string subject, PubAckReply reply)
    {
        var token = subject.AsSpan(subject.LastIndexOf('.') + 1);
        AckWaiter? waiter;
        if (token.Length > 1 && token[0] == 'x')
        {
            if (!long.TryParse(token[1..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long id) || !_overflow.TryRemove(id, out waiter)) return;
        }
        else
        {
            if (!int.TryParse(token, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int slot) || (uint)slot >= SlotCount) return;
            waiter = Interlocked.Exchange(ref _slots[slot], null);
            if (waiter is null) return;
        }
        Interlocked.Decrement(ref _outstanding);
        if (reply.TryGet(waiter.Subject, out var ack, out var error)) waiter.TrySetResult(ack);
        else waiter.TrySetException(error!);
    }

    /// <summary>written now: the chain is clear (the common case, no state machine).</summary>
    private Task Write(string subject, ReadOnlyMemory<byte> payload, NatsHeaders? headers, string replyTo, AckWaiter waiter)
    {
        ValueTask written;
        try
        {
            if (!IsLive) throw new MessageBusUnavailableException($"NATS connection {Number} is gone");
            written = _connection.PublishAsync(subject, payload, headers, replyTo, cancellationToken: _stop.Token);
        }
#pragma warning disable CA1031 // the publish fails, the chain goes on
        catch (Exception e)
#pragma warning restore CA1031
        {
            Unsent(waiter, e);
            ReturnHeaders(headers);
            return Task.CompletedTask;
        }
        ReturnHeaders(headers); // NATS.Net wrote them into its own buffer before returning
        if (written.IsCompletedSuccessfully) return Task.CompletedTask;
        return AwaitWrittenAsync(written, waiter);
    }

    private async Task AwaitWrittenAsync(ValueTask written, AckWaiter waiter)
    {
        try
        {
            await written.ConfigureAwait(false);
        }
#pragma warning disable CA1031 // the publish fails, the chain goes on
        catch (Exception e)
#pragma warning restore CA1031
        {
            Unsent(waiter, e);
        }
    }

    /// <summary>written strictly after the previous publish (never faults, so the chain never breaks).</summary>
    private async Task WriteAfterAsync(Task previous, string subject, ReadOnlyMemory<byte> payload, NatsHeaders? headers, string replyTo, AckWaiter waiter)
    {
        await previous.ConfigureAwait(false);
        // no lock: nothing writes directly while this link is the chain's unfinished tail
        await Write(subject, payload, headers, replyTo, waiter).ConfigureAwait(false);
    }

    private void ReturnHeaders(NatsHeaders? headers)
    {
        if (headers is null) return;
        headers.Clear();
        lock (_headers) if (_headers.Count < 64) _headers.Push(headers);
    }

    /// <summary>never written: its slot is free again at once (no reply can come for it).</summary>
    private void Unsent(AckWaiter waiter, Exception e)
    {
        Release(waiter);
        waiter.TrySetException(e as MessageBusUnavailableException ?? new MessageBusUnavailableException("NATS publish failed: " + e.Message, e));
    }

    private void Release(AckWaiter waiter)
    {
        bool held = waiter.Slot >= 0
            ? Interlocked.CompareExchange(ref _slots[waiter.Slot], null, waiter) == waiter
            : _overflow.TryRemove(waiter.OverflowId, out _);
        if (held) Interlocked.Decrement(ref _outstanding);
    }

    /// <summary>
    /// Every <see cref="SweepEvery"/>: waiters past their deadline fail with a timeout and those whose
    /// token was cancelled are cancelled. Their slots stay held until their replies come (or the
    /// connection dies), so no late reply is ever matched to a newer publish.
    /// </summary>
    private void Sweep()
    {
        if (Volatile.Read(ref _outstanding) == 0) return;
        long now = Stopwatch.GetTimestamp();
        for (int i = 0; i < SlotCount; i++)
            if (Volatile.Read(ref _slots[i]) is { Task.IsCompleted: false } waiter) waiter.Check(now);
        if (!_overflow.IsEmpty)
            foreach (var waiter in _overflow.Values)
                if (!waiter.Task.IsCompleted) waiter.Check(now);
    }

    /// <summary>every reply still awaited can never come: fail them so the caller resends.</summary>
    private void Die(string why)
    {
        if (Interlocked.Exchange(ref _state, 2) == 2) return;
        for (int i = 0; i < SlotCount; i++)
            if (Interlocked.Exchange(ref _slots[i], null) is { } waiter) waiter.TrySetException(new MessageBusUnavailableException(why));
        foreach (var id in _overflow.Keys)
            if (_overflow.TryRemove(id, out var waiter)) waiter.TrySetException(new MessageBusUnavailableException(why));
        Volatile.Write(ref _outstanding, 0);
    }

    public void Dispose()
    {
        Die("NATS connection closed");
        if (_stop.IsCancellationRequested) return;
        _stop.Cancel();
        _sweep.Dispose();
        // in the background: disposing a connection to a dead server can take a while
        _ = Task.Run(async () =>
        {
            try
            {
                await _connection.DisposeAsync().ConfigureAwait(false);
            }
#pragma warning disable CA1031 // closing a dead connection has nothing to report
            catch (Exception)
#pragma warning restore CA1031
            {
            }
            _stop.Dispose();
        });
    }

    /// <summary>one publish's ack to come: the task the caller awaits, its deadline and its token (checked by the sweep).</summary>
    private sealed class AckWaiter(string subject, TimeSpan timeout, CancellationToken cancellationToken)
        : TaskCompletionSource<PubAck>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        private readonly long _deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);

        public string Subject { get; } = subject;
        public int Slot { get; set; }
        public long OverflowId { get; set; }

        public void Check(long now)
        {
            if (cancellationToken.IsCancellationRequested) TrySetCanceled(cancellationToken);
            else if (now > _deadline) TrySetException(new TimeoutException($"no reply on '{Subject}' within {timeout.TotalMilliseconds:0} ms"));
        }
    }
}
