using Microsoft.Data.Sqlite;
using Streamer.Stream.Pipeline;
using Streamer.Stream.Contracts;
using Streamer.Stream.Nats;
namespace Streamer.Stream.Journal.Outbox;

/// <summary>
/// The publisher: unpublished exits from the journal, in decision order, up to
/// <see cref="ExitOutboxOptions.MaxInFlight"/> JetStream publishes in flight on one connection; acks
/// marked off the loop; after a failure, everything again from the first unacked exit.
/// </summary>
public sealed partial class ExitOutbox
{
    /// <summary>a publish on its way: sent (by the loop, or first by the lane: <paramref name="Slow"/> false), its ack pending.</summary>
    private readonly record struct InFlight(long Ord, JournaledExit Exit, Task<PubAck> Ack, bool Slow = true);

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
                if (head.Slow) Acked(head.Exit.Id);
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
                ShutLane(); // nothing goes out first until everything owed is on the stream again
                if (stop.IsCancellationRequested)
                {
                    QueueMarks(acked);
                    return;
                }
                var first = window.Peek().Exit;
                // the same head refused again and again while NATS is up: its position waits, the others go on
                bool parked = CountHeadFailure(first, failure, connectionGone);
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
                if (parked)
                {
                    failures = 0;
                    delay = _options.RetryMinDelay;
                    continue;
                }
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

            // 1b. a parked position's head, alone, once per interval, with nothing in flight
            if (window.Count == 0 && !_parked.IsEmpty && await RetryParkedAsync(stop).ConfigureAwait(false))
                cursor = 0; // unparked: its later exits are behind the cursor

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
                        if (!_parked.IsEmpty && _parked.ContainsKey(exit.PositionId))
                        {
                            cursor = ord; // waits behind its parked head, journaled, in order
                            continue;
                        }
                        // sent first by the lane: its ack is awaited here, in order, and it is not sent again
                        var first = TakeSentFirst(exit.Id);
                        var ack = first ?? (pinned
                            ? _js.PublishOnAsync(connection, exit.Subject, exit.Payload, _options.AckTimeout, exit.Id, stop)
                            : _js.PublishAsync(exit.Subject, exit.Payload, _options.AckTimeout, exit.Id, stop));
                        window.Enqueue(new InFlight(ord, exit, ack, first is null));
                        cursor = ord;
                        if (ack.IsFaulted)
                        {
                            more = true; // not sent (the connection is gone): the next round resends from the first unacked
                            break;
                        }
                    }
                    // a full page: there may be more to send now; a short one read everything committed so far
                    // (anything committed since completes the signal armed above, so the wait returns at once)
                    more |= next.Count == wanted || (window.Count > 0 && window.Peek().Ack.IsCompleted);
                }
                else if (window.Count == 0 && pinned && _options.Durability == ExitDurability.PublishFirst && _js.Bus.IsConnected)
                {
                    // idle: follow the live connection (a new one may be to a server that lost the stream) and
                    // ensure the stream now, so the next exit can go out first
                    int live = _js.PinnableConnection ?? 0;
                    if (live != connection)
                    {
                        connection = live;
                        _streamReady = false;
                    }
                    if (!_streamReady && live != 0) await EnsureStreamAsync(null, 1, stop).ConfigureAwait(false);
                }
            }

            // 2b. the lane: shut while anything is wrong; open once nothing is owed (everything committed read,
            // no journal-first exit in the window)
            if (pinned && _options.Durability == ExitDurability.PublishFirst)
            {
                bool broken = failures > 0 || !_streamReady || connection == 0 || _js.PinnableConnection != connection;
                if (broken) ShutLane();
                else if (!more)
                {
                    bool owed = false;
                    foreach (var f in window)
                        if (f.Slow) { owed = true; break; }
                    if (!owed) MaybeOpenLane(connection);
                }
            }

            // 3. the acks go to the journal off this loop (sending never waits for a mark)
            QueueMarks(acked);
            if (more) continue;

            // 4. wait: the oldest ack, new work, a connection change (StateChanged wakes us), or stop
            Volatile.Write(ref _inFlight, window.Count);
            if (window.Count == 0) await Task.WhenAny(signal, stopped, Task.Delay(_parked.IsEmpty ? TimeSpan.FromSeconds(1) : TimeSpan.FromMilliseconds(200), stop)).ConfigureAwait(false);
            else await Task.WhenAny(window.Peek().Ack, signal, stopped).ConfigureAwait(false);
        }
    }

    /// <summary>(re)creates the stream before a window; false (reported as a failed attempt) when that failed.</summary>
    private async Task<bool> EnsureStreamAsync(JournaledExit? first, int attempt, CancellationToken stop)
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
            if (first is not null) PublishFailed?.Invoke(first, e, attempt);
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
                Mark(round);
                round.Clear();
                continue;
            }
            Volatile.Write(ref _markerRunning, 0);
            // an ack queued between the last look and the flag: whoever wins the flag marks it
            if (_toMark.IsEmpty || Interlocked.CompareExchange(ref _markerRunning, 1, 0) != 0) return;
        }
    }

    /// <summary>one transaction for a round of acks, then the counters and events in decision order. Never throws.</summary>
    private void Mark(List<(JournaledExit Exit, PubAck Ack)> acked)
    {
        var marks = new (string, ulong)[acked.Count];
        for (int i = 0; i < acked.Count; i++) marks[i] = (acked[i].Exit.Id, acked[i].Ack.Sequence);
        try
        {
            _journal.MarkPublished(marks, _clock());
        }
        catch (SqliteException e)
        {
            // they are on the stream but not marked: the publisher sends them again (same ids)
            _resync = true;
            JournalFailed?.Invoke(e);
            WakeLater();
            return;
        }
        catch (ObjectDisposedException)
        {
            return; // the journal was closed under a stopping outbox: they go out again at the next start
        }
        Interlocked.Increment(ref _publishRounds);
        Interlocked.Add(ref _published, acked.Count);
        if (AckedAfterDecision is { } afterDecision)
        {
            long now = System.Diagnostics.Stopwatch.GetTimestamp();
            foreach (var (exit, _) in acked)
                if (_decidedAt.TryRemove(exit.Id, out long decided)) afterDecision(System.Diagnostics.Stopwatch.GetElapsedTime(decided, now));
        }
        var published = ExitPublished;
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
        Interlocked.Add(ref _backlog, -acked.Count);
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
}
