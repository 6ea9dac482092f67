using Microsoft.Data.Sqlite;
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
    /// <summary>the journal refused this decision (<see cref="OutboxSubmitResult.Conflict"/>: a bug upstream, never retried); nothing of it was written.</summary>
    Conflict,
}

/// <summary>
/// The transactional outbox for exits: <see cref="Submit"/> / <see cref="SubmitBatch"/> journal
/// decisions (a batch in one transaction: group commit), one publisher loop takes unpublished exits
/// from the journal in decision order and publishes them to JetStream with up to
/// <see cref="ExitOutboxOptions.MaxInFlight"/> acks pending, all on one connection (so they reach the
/// stream in order), and marks them published as acks arrive (many per transaction). When a publish
/// fails or its connection goes, nothing new is sent until what is in flight has settled, then
/// publishing resumes from the first unacked exit, in order, with bounded backoff, forever: no exit
/// is lost to a NATS outage or a crash, none overtakes another. Delivery is at-least-once: an exit
/// whose ack was lost, or that was published just before a crash, goes out again with the same id;
/// subscribers dedupe by id (<see cref="ExitIdDeduplicator"/>).
/// </summary>
internal sealed class ExitOutbox : IAsyncDisposable
{
    private readonly SqliteJournal _journal;
    private readonly JetStreamClient _js;
    private readonly ExitOutboxOptions _options;
    private readonly Func<long> _clock;
    private readonly Lock _submitGate = new();
    private readonly CancellationTokenSource _stop = new();
    private TaskCompletionSource _signal = NewSignal();
    private readonly System.Collections.Concurrent.ConcurrentQueue<(JournaledExit Exit, PubAck Ack)> _toMark = new();
    private Task _marking = Task.CompletedTask;
    private int _markerRunning;
    private JournalOutboxReader? _reader;
    private volatile bool _resync;
    private Task? _loop;
    private int _backlog;
    private long _published;
    private long _publishRounds;
    private int _inFlight;
    private bool _streamReady;

    public ExitOutbox(SqliteJournal journal, JetStreamClient js, ExitOutboxOptions? options = null, Func<long>? clock = null)
    {
        ArgumentNullException.ThrowIfNull(journal);
        ArgumentNullException.ThrowIfNull(js);
        _journal = journal;
        _js = js;
        _options = options ?? new ExitOutboxOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxInFlight, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.BatchSize, 1, nameof(options));
        _clock = clock ?? (() => NanoTime.FromDateTime(DateTime.UtcNow));
        // what a previous run decided and did not get acked is the first work
        _backlog = journal.CountUnpublished();
    }

    /// <summary>exits journaled and not yet acked by the stream.</summary>
    public int Backlog => Volatile.Read(ref _backlog);

    /// <summary>exits acked by the stream since this outbox started.</summary>
    public long Published => Interlocked.Read(ref _published);

    /// <summary>publishes sent and not yet acked (as of the publisher's last wait): diagnostics.</summary>
    public int PublishesInFlight => Volatile.Read(ref _inFlight);

    /// <summary>transactions that marked acks (each marks every ack that had arrived): diagnostics.</summary>
    public long MarkRounds => Interlocked.Read(ref _publishRounds);

    /// <summary>after each acked publish is marked in the journal, in decision order (a thread-pool thread, one round at a time).</summary>
    public event Action<JournaledExit, PubAck>? ExitPublished;

    /// <summary>
    /// after each failed attempt, with the first unacked exit (what publishing resumes from) and the
    /// number of failed attempts in a row (publisher thread): for alerts.
    /// </summary>
    public event Action<JournaledExit, Exception, int>? PublishFailed;

    /// <summary>
    /// an exit was submitted while <see cref="ExitOutboxOptions.Capacity"/> exits wait (caller's
    /// thread), with true when it was refused (<see cref="ExitOutboxOptions.RefuseWhenFull"/>): for alerts.
    /// </summary>
    public event Action<PendingExit, bool>? OverCapacity;

    /// <summary>when reading or marking the journal failed (publisher or marking thread): for alerts.</summary>
    public event Action<Exception>? JournalFailed;

    /// <summary>Journals the decision, then wakes the publisher. Thread-safe. Throws <see cref="JournalConflictException"/> when the journal refuses it.</summary>
    public OutboxSubmitOutcome Submit(PendingExit exit)
    {
        ArgumentNullException.ThrowIfNull(exit);
        var result = SubmitBatch([exit])[0];
        if (result.Conflict is { } conflict) throw conflict;
        return result.Outcome;
    }

    /// <summary>
    /// Journals decisions in order, in one transaction (one fsync) when they fit, then wakes the
    /// publisher once. Each gets what <see cref="Submit"/> would answer, in its slot; a conflicting one
    /// is <see cref="OutboxSubmitOutcome.Conflict"/> and the others stand. With
    /// <see cref="ExitOutboxOptions.RefuseWhenFull"/>, the first exit that does not fit is
    /// <see cref="OutboxSubmitOutcome.Full"/> and so is everything after it (not journaled, not looked at):
    /// the caller holds them and submits them again, in order. Thread-safe. Throws what the journal throws
    /// (I/O, disk full): then nothing of the batch was written.
    /// </summary>
    public IReadOnlyList<OutboxSubmitResult> SubmitBatch(IReadOnlyList<PendingExit> exits)
    {
        ArgumentNullException.ThrowIfNull(exits);
        var results = new OutboxSubmitResult[exits.Count];
        List<(PendingExit Exit, bool Refused)>? over = null;
        int recordedTotal = 0;
        lock (_submitGate)
        {
            int i = 0;
            while (i < exits.Count)
            {
                int backlog = Volatile.Read(ref _backlog);
                int take = exits.Count - i;
                if (_options.RefuseWhenFull)
                {
                    if (backlog >= _options.Capacity)
                    {
                        // an exit decided before (e.g. re-submitted after a restart) is still "already decided"
                        if (_journal.FindExit(exits[i].Id) is not null)
                        {
                            results[i++] = new(OutboxSubmitOutcome.AlreadyDecided);
                            continue;
                        }
                        (over ??= []).Add((exits[i], true));
                        for (; i < exits.Count; i++) results[i] = new(OutboxSubmitOutcome.Full);
                        break;
                    }
                    take = Math.Min(take, _options.Capacity - backlog);
                }
                var slice = i == 0 && take == exits.Count ? exits : Slice(exits, i, take);
                var outcomes = _journal.RecordExitsDecided(slice);
                int recorded = 0;
                for (int k = 0; k < take; k++, i++)
                {
                    var o = outcomes[k];
                    if (o.Conflict is not null)
                    {
                        results[i] = new(OutboxSubmitOutcome.Conflict, o.Conflict);
                    }
                    else if (o.Outcome == ExitRecordOutcome.AlreadyDecided)
                    {
                        results[i] = new(OutboxSubmitOutcome.AlreadyDecided);
                    }
                    else
                    {
                        bool isOver = backlog + recorded >= _options.Capacity;
                        recorded++;
                        results[i] = new(isOver ? OutboxSubmitOutcome.AcceptedOverCapacity : OutboxSubmitOutcome.Accepted);
                        if (isOver) (over ??= []).Add((exits[i], false));
                    }
                }
                Interlocked.Add(ref _backlog, recorded);
                recordedTotal += recorded;
            }
        }
        if (over is not null)
            foreach (var (exit, refused) in over) OverCapacity?.Invoke(exit, refused);
        // the publisher sends them now, on this thread, up to its next await (right after the send)
        if (recordedTotal > 0) Wake();
        return results;
    }

    /// <summary>Starts the publisher loop (once).</summary>
    public void Start()
    {
        if (_loop is not null) return;
        _reader = _journal.OpenOutboxReader();
        _js.Bus.StateChanged += OnBusStateChanged;
        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    /// <summary>Stops the loop; whatever is unpublished stays in the journal for the next start.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            _js.Bus.StateChanged -= OnBusStateChanged;
            try
            {
                await _loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
            await _marking.ConfigureAwait(false); // never faults
            _reader?.Dispose();
        }
        _stop.Dispose();
    }

    // ---- the publisher ----

    /// <summary>a publish on its way: sent, its ack pending.</summary>
    private readonly record struct InFlight(long Ord, JournaledExit Exit, Task<PubAck> Ack);

    private async Task RunAsync(CancellationToken stop)
    {
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = stop.Register(static s => ((TaskCompletionSource)s!).TrySetResult(), stopped);
        var window = new Queue<InFlight>(_options.MaxInFlight);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await PublishLoopAsync(window, stopped.Task, stop).ConfigureAwait(false);
            }
            catch (SqliteException e)
            {
                // the journal failed (disk full, ...): nothing was lost; acks not yet marked are sent again (same ids)
                Abandon(window);
                JournalFailed?.Invoke(e);
                if (!await DelayAsync(_options.RetryMaxDelay, stop).ConfigureAwait(false)) break;
            }
        }
        Abandon(window);
    }

    /// <summary>Runs until stopped; throws when the journal fails.</summary>
    private async Task PublishLoopAsync(Queue<InFlight> window, Task stopped, CancellationToken stop)
    {
        bool pinned = _js.PinnableConnection is not null;
        int maxInFlight = pinned ? _options.MaxInFlight : 1;
        long cursor = 0;       // the last exit sent (journal ord): the next are read after it
        int connection = 0;    // the one the window went out on
        int failures = 0;      // failed attempts in a row
        var delay = _options.RetryMinDelay;
        var acked = new List<(JournaledExit Exit, PubAck Ack)>();
        while (!stop.IsCancellationRequested)
        {
            // armed before looking for work: a Submit after this point wakes the wait below
            var signal = ArmSignal();

            // 1. acks that arrived, in order; a failure stops at the first unacked
            Exception? failure = null;
            while (window.TryPeek(out var head) && head.Ack.IsCompleted)
            {
                if (!head.Ack.IsCompletedSuccessfully)
                {
                    failure = Reason(head.Ack);
                    break;
                }
                acked.Add((head.Exit, head.Ack.Result));
                window.Dequeue();
            }
            bool connectionGone = false;
            if (failure is null && window.Count > 0)
            {
                foreach (var f in window)
                    if (f.Ack.IsFaulted) { failure = Reason(f.Ack); break; }
                if (failure is null && pinned && _js.PinnableConnection != connection)
                {
                    // their acks can never come (a reply belongs to its connection): resend them, first to last
                    failure = new MessageBusUnavailableException($"NATS connection lost with {window.Count} exits unacked");
                    connectionGone = true;
                }
            }
            if (failure is not null)
            {
                if (stop.IsCancellationRequested)
                {
                    QueueMarks(acked);
                    return;
                }
                var first = window.Peek().Exit;
                if (connectionGone || !pinned) Abandon(window);
                // the connection lives: what is still in flight settles (acked or timed out) before anything is sent again
                else await SettleAsync(window, acked).ConfigureAwait(false);
                // every ack marked before the journal is read again from the first unpublished
                QueueMarks(acked);
                await _marking.ConfigureAwait(false);
                // resend from the first unacked exit, in order: the stream may be gone (a server restarted without its store): ensure it again
                _streamReady = false;
                cursor = 0;
                failures++;
                PublishFailed?.Invoke(first, failure, failures);
                if (!await DelayAsync(delay, stop).ConfigureAwait(false)) return;
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.RetryMaxDelay.Ticks));
                continue;
            }
            if (acked.Count > 0)
            {
                failures = 0;
                delay = _options.RetryMinDelay;
            }
            if (_resync && window.Count == 0)
            {
                // a mark failed: those exits are still unpublished behind the cursor; send them again (at-least-once)
                _resync = false;
                cursor = 0;
            }

            // 2. send what waits, in decision order, up to the window (after a failure one at a time until one is acked),
            // read on the publisher's own connection: never behind the next group commit's fsync
            bool more = false;
            int limit = failures > 0 ? 1 : maxInFlight;
            if (window.Count < limit)
            {
                int wanted = Math.Min(limit - window.Count, _options.BatchSize);
                var next = _reader!.ListUnpublishedAfter(cursor, wanted);
                if (next.Count > 0)
                {
                    if (window.Count == 0)
                    {
                        if (!_streamReady && !await EnsureStreamAsync(next[0].Exit, failures + 1, stop).ConfigureAwait(false))
                        {
                            QueueMarks(acked);
                            failures++;
                            if (!await DelayAsync(delay, stop).ConfigureAwait(false)) return;
                            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.RetryMaxDelay.Ticks));
                            continue;
                        }
                        connection = _js.PinnableConnection ?? 0;
                    }
                    foreach (var (ord, exit) in next)
                    {
                        var ack = pinned
                            ? _js.PublishOnAsync(connection, exit.Subject, exit.Payload, _options.AckTimeout, stop)
                            : _js.PublishAsync(exit.Subject, exit.Payload, _options.AckTimeout, stop);
                        window.Enqueue(new InFlight(ord, exit, ack));
                        cursor = ord;
                        if (ack.IsFaulted)
                        {
                            more = true; // not sent (the connection is gone): the next round resends from the first unacked
                            break;
                        }
                    }
                    // a full page: there may be more to send now; a short one read everything committed so far
                    // (anything committed since completes the signal armed above, so the wait returns at once)
                    more |= next.Count == wanted || window.Peek().Ack.IsCompleted;
                }
            }

            // 3. the acks go to the journal off this loop (sending never waits for a mark)
            QueueMarks(acked);
            if (more) continue;

            // 4. wait: the oldest ack, new work, a connection change (StateChanged wakes us), or stop
            Volatile.Write(ref _inFlight, window.Count);
            if (window.Count == 0) await Task.WhenAny(signal, stopped, Task.Delay(TimeSpan.FromSeconds(1), stop)).ConfigureAwait(false);
            else await Task.WhenAny(window.Peek().Ack, signal, stopped).ConfigureAwait(false);
        }
    }

    /// <summary>(re)creates the stream before a window; false (reported as a failed attempt) when that failed.</summary>
    private async Task<bool> EnsureStreamAsync(JournaledExit first, int attempt, CancellationToken stop)
    {
        try
        {
            await _js.EnsureStreamAsync(_options.Stream, stop).ConfigureAwait(false);
            _streamReady = true;
            return true;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return false;
        }
        catch (Exception e) when (e is TimeoutException or MessageBusUnavailableException or JetStreamApiException)
        {
            PublishFailed?.Invoke(first, e, attempt);
            return false;
        }
    }

    /// <summary>
    /// Hands every ack that arrived to the marker (one at a time, on the thread pool: it marks all that
    /// have queued in one transaction per round, in order) and clears <paramref name="acked"/>.
    /// <see cref="_marking"/> is the marker that will mark them.
    /// </summary>
    private void QueueMarks(List<(JournaledExit Exit, PubAck Ack)> acked)
    {
        if (acked.Count == 0) return;
        foreach (var a in acked) _toMark.Enqueue(a);
        acked.Clear();
        if (Interlocked.CompareExchange(ref _markerRunning, 1, 0) == 0)
            _marking = _options.MarkDelay > TimeSpan.Zero
                ? Task.Delay(_options.MarkDelay).ContinueWith(static (_, o) => ((ExitOutbox)o!).MarkQueued(), this, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default)
                : Task.Run(MarkQueued);
    }

    private void MarkQueued()
    {
        var round = new List<(JournaledExit Exit, PubAck Ack)>();
        while (true)
        {
            while (_toMark.TryDequeue(out var a)) round.Add(a);
            if (round.Count > 0)
            {
                Mark((this, round.ToArray()));
                round.Clear();
                continue;
            }
            Volatile.Write(ref _markerRunning, 0);
            // an ack queued between the last look and the flag: whoever wins the flag marks it
            if (_toMark.IsEmpty || Interlocked.CompareExchange(ref _markerRunning, 1, 0) != 0) return;
        }
    }

    /// <summary>one transaction for a round of acks, then the counters and events in decision order. Never throws.</summary>
    private static void Mark((ExitOutbox Outbox, (JournaledExit Exit, PubAck Ack)[] Acked) round)
    {
        var (outbox, acked) = round;
        var marks = new (string, ulong)[acked.Length];
        for (int i = 0; i < acked.Length; i++) marks[i] = (acked[i].Exit.Id, acked[i].Ack.Sequence);
        try
        {
            outbox._journal.MarkPublished(marks, outbox._clock());
        }
        catch (SqliteException e)
        {
            // they are on the stream but not marked: the publisher sends them again (same ids)
            outbox._resync = true;
            outbox.JournalFailed?.Invoke(e);
            outbox.WakeLater();
            return;
        }
        catch (ObjectDisposedException)
        {
            return; // the journal was closed under a stopping outbox: they go out again at the next start
        }
        Interlocked.Increment(ref outbox._publishRounds);
        Interlocked.Add(ref outbox._published, acked.Length);
        var published = outbox.ExitPublished;
        if (published is not null)
        {
            foreach (var (exit, ack) in acked)
            {
                try
                {
                    published(exit, ack);
                }
#pragma warning disable CA1031 // a listener's bug must not stop the marking of the exits after it
                catch (Exception)
#pragma warning restore CA1031
                {
                }
            }
        }
        Interlocked.Add(ref outbox._backlog, -acked.Length);
    }

    /// <summary>waits for every publish in flight to be acked or to fail (each has its ack timeout) and collects the acked.</summary>
    private static async Task SettleAsync(Queue<InFlight> window, List<(JournaledExit Exit, PubAck Ack)> acked)
    {
        var all = new Task[window.Count];
        int i = 0;
        foreach (var f in window) all[i++] = f.Ack;
        // never throws: each outcome is read below
        await Task.WhenAll(all).ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
        foreach (var f in window)
        {
            if (f.Ack.IsCompletedSuccessfully) acked.Add((f.Exit, f.Ack.Result));
            else _ = f.Ack.Exception; // observed
        }
        window.Clear();
    }

    /// <summary>forgets what is in flight (it is sent again from the journal); their outcomes are observed, not used.</summary>
    private void Abandon(Queue<InFlight> window)
    {
        Volatile.Write(ref _inFlight, 0);
        foreach (var f in window)
            _ = f.Ack.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        window.Clear();
    }

    private static Exception Reason(Task t) =>
        t.Exception?.InnerException ?? t.Exception ?? (Exception)new OperationCanceledException("publish canceled");

    private static async Task<bool> DelayAsync(TimeSpan delay, CancellationToken stop)
    {
        try
        {
            await Task.Delay(delay, stop).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static List<PendingExit> Slice(IReadOnlyList<PendingExit> exits, int start, int count)
    {
        var list = new List<PendingExit>(count);
        for (int i = start; i < start + count; i++) list.Add(exits[i]);
        return list;
    }

    private void OnBusStateChanged(BusState state) => WakeLater();

    // continuations run inline: a Submit's Wake sends the new exit on the submitting thread (no thread-pool hop
    // before the send); the loop runs up to its next await, which comes right after the send
    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.None);

    /// <summary>the publisher's wake-up for this round (a fresh one once the last was used). Only the publisher replaces it.</summary>
    private Task ArmSignal()
    {
        var signal = Volatile.Read(ref _signal);
        if (!signal.Task.IsCompleted) return signal.Task;
        signal = NewSignal();
        Volatile.Write(ref _signal, signal);
        return signal.Task;
    }

    private void Wake() => Volatile.Read(ref _signal).TrySetResult();

    /// <summary>a wake from a thread that must not run the publisher (the bus's supervisor, the marker).</summary>
    private void WakeLater() => ThreadPool.UnsafeQueueUserWorkItem(static o => o.Wake(), this, preferLocal: false);
}
