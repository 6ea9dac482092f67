using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Streamer.Stream.Journal;

namespace Streamer.Stream.Outbox;

/// <summary>
/// Carries exits from the engine's shard threads to the outbox, so a shard never waits for the
/// journal's fsync: a bounded channel (backpressure, never a drop: when <c>capacity</c> exits wait
/// for the journal, <see cref="Post"/> blocks until there is room) drained by one task that calls
/// <see cref="ExitOutbox.Submit"/>. A journal failure is retried forever, the exit held.
/// </summary>
internal sealed class ExitHandoff : IAsyncDisposable
{
    private readonly Channel<PendingExit> _channel;
    private readonly ExitOutbox _outbox;
    private readonly Task _consumer;

    public ExitHandoff(ExitOutbox outbox, int capacity = 1024)
    {
        ArgumentNullException.ThrowIfNull(outbox);
        _outbox = outbox;
        _channel = Channel.CreateBounded<PendingExit>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _consumer = Task.Run(ConsumeAsync);
    }

    /// <summary>exits handed over and not yet journaled.</summary>
    public int Pending => _channel.Reader.Count;

    /// <summary>after each exit is journaled (or found already decided), on the handoff's task.</summary>
    public event Action<PendingExit, OutboxSubmitOutcome>? Submitted;

    /// <summary>when journaling an exit failed; it is retried (handoff's task): for alerts.</summary>
    public event Action<PendingExit, Exception>? SubmitFailed;

    /// <summary>From a shard thread: queues the exit; blocks only while the channel is full.</summary>
    public void Post(PendingExit exit)
    {
        if (_channel.Writer.TryWrite(exit)) return;
        WaitAndWrite(exit);
    }

    private void WaitAndWrite(PendingExit exit) =>
        _channel.Writer.WriteAsync(exit).AsTask().GetAwaiter().GetResult();

    /// <summary>Accepts no more exits and waits until every queued one is journaled.</summary>
    public async ValueTask DisposeAsync()
    {
        _channel.Writer.TryComplete();
        await _consumer.ConfigureAwait(false);
    }

    private async Task ConsumeAsync()
    {
        await foreach (var exit in _channel.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            while (true)
            {
                try
                {
                    Submitted?.Invoke(exit, _outbox.Submit(exit));
                    break;
                }
                catch (SqliteException e)
                {
                    SubmitFailed?.Invoke(exit, e);
                    await Task.Delay(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
                }
            }
        }
    }
}
