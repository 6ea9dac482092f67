using System.Collections.Concurrent;
using NATS.Client.Core;

namespace Streamer.Stream.Nats;

/// <summary>
/// A NATS.Net connection that is never reconnected: NATS.Net carries what is still buffered over
/// to the next connection, so a publish written after the socket died unnoticed could reach the
/// stream before earlier ones the dead socket lost. On this connection that cannot happen: once
/// it is lost everything unacked fails and the caller resends it in order on a new one. Requests
/// are written in call order (one chain) and their replies matched on one inbox subscription.
/// </summary>
internal sealed class PinnedConnection : IDisposable
{
    private readonly NatsConnection _connection;
    private readonly string _inbox;
    private readonly ConcurrentDictionary<long, TaskCompletionSource<BusMessage>> _pending = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _writeGate = new();
    private readonly Action<string> _report;
    private Task _lastWrite = Task.CompletedTask;
    private INatsSub<byte[]>? _replies;
    private long _next;
    private int _state; // 0 connecting, 1 live, 2 dead

    public PinnedConnection(int number, NatsOpts opts, Action<string> report)
    {
        Number = number;
        _report = report;
        _connection = new NatsConnection(opts with { RetryOnInitialConnect = false, PublishTimeoutOnDisconnected = true });
        // not under _INBOX.: NATS.Net routes replies there to its own request mux
        _inbox = "_STREAMER_ACK." + Guid.NewGuid().ToString("N");
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
        _ = OpenAsync();
    }

    public int Number { get; }

    public bool IsLive => Volatile.Read(ref _state) == 1 && _connection.ConnectionState == NatsConnectionState.Open;

    public bool IsDead => Volatile.Read(ref _state) == 2;

    public Task<BusMessage> RequestAsync(string subject, ReadOnlyMemory<byte> payload, string? messageId, TimeSpan timeout, CancellationToken cancellationToken, string? state = null)
    {
        if (!IsLive) return Task.FromException<BusMessage>(new MessageBusUnavailableException($"NATS connection {Number} is gone"));
        var id = Interlocked.Increment(ref _next);
        var reply = new TaskCompletionSource<BusMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = reply;
        NatsHeaders? headers = null;
        if (messageId is not null) (headers = [])["Nats-Msg-Id"] = messageId;
        if (state is not null) (headers ??= [])[ExitStream.StateHeader] = state;
        if (_connection.ServerInfo is { MaxPayload: > 0 } info && payload.Length + HeaderBytes(headers) > info.MaxPayload)
        {
            _pending.TryRemove(id, out _);
            return Task.FromException<BusMessage>(new MessageTooLargeException(subject, payload.Length + HeaderBytes(headers), info.MaxPayload));
        }
        lock (_writeGate) _lastWrite = WriteAfterAsync(_lastWrite, subject, payload, headers, $"{_inbox}.{id}", id);
        return AwaitReplyAsync(id, reply, subject, timeout, cancellationToken);
    }

    // "NATS/1.0\r\n" + "key: value\r\n"... + "\r\n": what the server counts against max_payload with the payload
    private static int HeaderBytes(NatsHeaders? headers)
    {
        if (headers is null) return 0;
        int n = 12;
        foreach (var (k, v) in headers) n += k.Length + 4 + System.Text.Encoding.UTF8.GetByteCount(v.ToString());
        return n;
    }

    private async Task OpenAsync()
    {
        try
        {
            await _connection.ConnectAsync().ConfigureAwait(false);
            _replies = await _connection.SubscribeCoreAsync<byte[]>(_inbox + ".*", cancellationToken: _stop.Token).ConfigureAwait(false);
            if (Interlocked.CompareExchange(ref _state, 1, 0) != 0) return;
            await foreach (var m in _replies.Msgs.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                var dot = m.Subject.LastIndexOf('.');
                if (long.TryParse(m.Subject.AsSpan(dot + 1), out var id) && _pending.TryRemove(id, out var waiting))
                    waiting.TrySetResult(new BusMessage(m.Subject, m.ReplyTo, m.Data ?? []));
            }
        }
#pragma warning disable CA1031 // a failed or lost connection is the caller's "connection gone", never a crash
        catch (Exception e)
#pragma warning restore CA1031
        {
            if (!_stop.IsCancellationRequested) _report("pinned connection: " + e.Message);
        }
        Die("NATS connection lost");
    }

    /// <summary>written strictly after the previous request (never faults, so the chain never breaks).</summary>
    private async Task WriteAfterAsync(Task previous, string subject, ReadOnlyMemory<byte> payload, NatsHeaders? headers, string replyTo, long id)
    {
        await previous.ConfigureAwait(false);
        try
        {
            if (!IsLive) throw new MessageBusUnavailableException($"NATS connection {Number} is gone");
            await _connection.PublishAsync(subject, payload, headers, replyTo, cancellationToken: _stop.Token).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // the request fails, the chain goes on
        catch (Exception e)
#pragma warning restore CA1031
        {
            if (_pending.TryRemove(id, out var waiting))
                waiting.TrySetException(e as MessageBusUnavailableException ?? new MessageBusUnavailableException("NATS publish failed: " + e.Message, e));
        }
    }

    private async Task<BusMessage> AwaitReplyAsync(long id, TaskCompletionSource<BusMessage> reply, string subject, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            return await reply.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"no reply on '{subject}' within {timeout.TotalMilliseconds:0} ms");
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    /// <summary>every reply still awaited can never come: fail them so the caller resends.</summary>
    private void Die(string why)
    {
        if (Interlocked.Exchange(ref _state, 2) == 2) return;
        foreach (var id in _pending.Keys)
            if (_pending.TryRemove(id, out var waiting)) waiting.TrySetException(new MessageBusUnavailableException(why));
    }

    public void Dispose()
    {
        Die("NATS connection closed");
        if (_stop.IsCancellationRequested) return;
        _stop.Cancel();
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
}
