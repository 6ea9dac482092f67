using Streamer.Rules.Time;
using Streamer.Stream.Journal;
using Streamer.Stream.Nats;

namespace Streamer.Stream.Outbox;

internal enum OutboxSubmitOutcome
{
    /// <summary>journaled (fsynced); it will be published, across outages and restarts.</summary>
    Accepted,
    /// <summary>journaled like <see cref="Accepted"/>, but more than <see cref="ExitOutboxOptions.Capacity"/> exits wait: NATS has been down long; alert.</summary>
    AcceptedOverCapacity,
    /// <summary>this exit id was journaled before; nothing new was written.</summary>
    AlreadyDecided,
    /// <summary>
    /// Only with <see cref="ExitOutboxOptions.RefuseWhenFull"/>: <see cref="ExitOutboxOptions.Capacity"/>
    /// exits already wait unpublished, and this one was NOT journaled. The decision side keeps the
    /// position's state as it was (the exit's sequence is not consumed), alerts, and decides again later.
    /// </summary>
    Full,
}

/// <summary>
/// The transactional outbox for exits: <see cref="Submit"/> journals a decision, one publisher
/// loop takes unpublished exits from the journal in decision order, publishes each to JetStream,
/// waits for its ack (retrying forever with bounded backoff) and marks it published, so exits go
/// out in order and none is lost to a NATS outage or a crash. Delivery is at-least-once: an exit
/// whose ack was lost, or that was published just before a crash, goes out again with the same
/// id; subscribers dedupe by id (<see cref="ExitIdDeduplicator"/>).
/// </summary>
internal sealed class ExitOutbox : IAsyncDisposable
{
    private readonly SqliteJournal _journal;
    private readonly JetStreamClient _js;
    private readonly ExitOutboxOptions _options;
    private readonly Func<long> _clock;
    private readonly Lock _submitGate = new();
    private readonly SemaphoreSlim _work = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private int _backlog;
    private long _published;
    private bool _streamReady;

    public ExitOutbox(SqliteJournal journal, JetStreamClient js, ExitOutboxOptions? options = null, Func<long>? clock = null)
    {
        ArgumentNullException.ThrowIfNull(journal);
        ArgumentNullException.ThrowIfNull(js);
        _journal = journal;
        _js = js;
        _options = options ?? new ExitOutboxOptions();
        _clock = clock ?? (() => NanoTime.FromDateTime(DateTime.UtcNow));
        // what a previous run decided and did not get acked is the first work
        _backlog = journal.CountUnpublished();
    }

    /// <summary>exits journaled and not yet acked by the stream.</summary>
    public int Backlog => Volatile.Read(ref _backlog);

    /// <summary>exits acked by the stream since this outbox started.</summary>
    public long Published => Interlocked.Read(ref _published);

    /// <summary>after each acked publish (publisher thread).</summary>
    public event Action<JournaledExit, PubAck>? ExitPublished;

    /// <summary>after each failed attempt, with the attempt number (publisher thread): for alerts.</summary>
    public event Action<JournaledExit, Exception, int>? PublishFailed;

    /// <summary>
    /// an exit was submitted while <see cref="ExitOutboxOptions.Capacity"/> exits wait (caller's
    /// thread), with true when it was refused (<see cref="ExitOutboxOptions.RefuseWhenFull"/>): for alerts.
    /// </summary>
    public event Action<PendingExit, bool>? OverCapacity;

    /// <summary>when reading or marking the journal failed (publisher thread): for alerts.</summary>
    public event Action<Exception>? JournalFailed;

    /// <summary>Journals the decision, then wakes the publisher. Thread-safe.</summary>
    public OutboxSubmitOutcome Submit(PendingExit exit)
    {
        ArgumentNullException.ThrowIfNull(exit);
        bool over;
        lock (_submitGate)
        {
            over = Volatile.Read(ref _backlog) >= _options.Capacity;
            if (over && _options.RefuseWhenFull)
            {
                // an exit decided before (e.g. re-submitted after a restart) is still "already decided"
                if (_journal.FindExit(exit.Id) is not null) return OutboxSubmitOutcome.AlreadyDecided;
            }
            else
            {
                if (_journal.RecordExitDecided(exit) == ExitRecordOutcome.AlreadyDecided) return OutboxSubmitOutcome.AlreadyDecided;
                Interlocked.Increment(ref _backlog);
            }
        }
        if (over)
        {
            OverCapacity?.Invoke(exit, _options.RefuseWhenFull);
            if (_options.RefuseWhenFull) return OutboxSubmitOutcome.Full;
        }
        Wake();
        return over ? OutboxSubmitOutcome.AcceptedOverCapacity : OutboxSubmitOutcome.Accepted;
    }

    /// <summary>Starts the publisher loop (once).</summary>
    public void Start()
    {
        if (_loop is not null) return;
        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    /// <summary>Stops the loop; whatever is unpublished stays in the journal for the next start.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            try
            {
                await _loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
        _stop.Dispose();
        _work.Dispose();
    }

    private async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                if (!await RunOnceAsync(stop).ConfigureAwait(false)) return;
            }
            catch (Microsoft.Data.Sqlite.SqliteException e)
            {
                // the journal failed (disk full, ...): nothing was lost; report and try again
                JournalFailed?.Invoke(e);
                try
                {
                    await Task.Delay(_options.RetryMaxDelay, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>one round: a batch published, or a wait for work; false when stopping.</summary>
    private async Task<bool> RunOnceAsync(CancellationToken stop)
    {
        var batch = _journal.ListUnpublished(_options.BatchSize);
        if (batch.Count == 0)
        {
            // the timeout only guards against a lost wake-up
            try
            {
                await _work.WaitAsync(TimeSpan.FromSeconds(1), stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
            return true;
        }
        foreach (var exit in batch)
        {
            var ack = await PublishUntilAckedAsync(exit, stop).ConfigureAwait(false);
            if (ack is null) return false; // stopping
            _journal.MarkPublished(exit.Id, _clock(), ack.Value.Sequence);
            Interlocked.Decrement(ref _backlog);
            Interlocked.Increment(ref _published);
            ExitPublished?.Invoke(exit, ack.Value);
        }
        return true;
    }

    private async Task<PubAck?> PublishUntilAckedAsync(JournaledExit exit, CancellationToken stop)
    {
        var delay = _options.RetryMinDelay;
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                if (!_streamReady)
                {
                    await _js.EnsureStreamAsync(_options.Stream, stop).ConfigureAwait(false);
                    _streamReady = true;
                }
                return await _js.PublishAsync(exit.Subject, exit.Payload, _options.AckTimeout, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return null;
            }
            catch (Exception e) when (e is TimeoutException or MessageBusUnavailableException or JetStreamApiException)
            {
                // no ack: the stream may be gone (server restarted without its store, deleted) -> ensure it again
                _streamReady = false;
                PublishFailed?.Invoke(exit, e, attempt);
            }
            try
            {
                await Task.Delay(delay, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return null;
            }
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.RetryMaxDelay.Ticks));
        }
    }

    private void Wake()
    {
        try
        {
            if (_work.CurrentCount == 0) _work.Release();
        }
        catch (SemaphoreFullException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
