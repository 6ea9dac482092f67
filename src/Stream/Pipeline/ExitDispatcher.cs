using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Streamer.Stream.Contracts;
using Streamer.Stream.Contracts.Resilience;
using JournalExit = Streamer.Stream.Pipeline.PendingExit;

namespace Streamer.Stream.Pipeline;

/// <summary>
/// The outbound side: shards post exits (and snapshots) into bounded channels. The exit thread takes
/// each exit the moment it is posted and offers it to the target to publish first
/// (<see cref="IExitTarget.TryPublishFirst"/>: on the wire before any fsync), then hands it to the
/// journal thread, which journals every exit already queued in one batch (one transaction: group
/// commit) in the order shards decided them. So the fsync runs beside the publish, never in front of
/// it, and a slow commit never holds up the next exit's publish. Another thread publishes snapshots. An exit is never dropped: when the outbox says Full the exit is held
/// and retried (alerting), and the channel backs up into the shards, whose waits are measured.
/// Snapshots are state, not events: one in flight per underlying, a full channel skips one (counted).
/// </summary>
public sealed class ExitDispatcher : IAsyncDisposable
{
    private readonly Channel<ExitMessage> _exits;
    private readonly Channel<SnapshotSlot> _snapshots;
    private readonly IExitTarget _target;
    private readonly ISnapshotTarget? _snapshotTarget;
    private readonly Action<PipelineAlert> _alert;
    private readonly BufferPool _buffers;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _exitSubjects = new(StringComparer.Ordinal); // shards write it when they publish
    private readonly bool _publishOnShard;
    private readonly Dictionary<string, string> _snapshotSubjects = new(StringComparer.Ordinal);
    private readonly IdleSignal _exitSignal = new();
    private readonly IdleSignal _journalSignal = new();
    private readonly IdleSignal _snapshotSignal = new();
    private readonly Thread _exitThread;
    private readonly Thread _journalThread;
    private readonly Thread _snapshotThread;
    private readonly Channel<JournalItem> _toJournal;
    private readonly IdleWait _wait;
    private readonly SharedLatencyHistogram _decisionToWire = new();
    private readonly SharedLatencyHistogram _decisionToTaken = new(); // the hand-off: shard → this exit thread
    private readonly SharedLatencyHistogram _takenToWire = new();     // this thread's own work: the payload copy, the state JSON, the client's write
    private long _sentFirst;
    private volatile PipelineMetrics? _metrics;
    private long _exitThreadAllocated; // bytes the publish path allocated so far, on whichever thread publishes
    /// <summary>at most this many exits per journal transaction (what is queued beyond it forms the next).</summary>
    internal const int MaxGroupCommit = 256;
    private readonly List<JournalExit> _batch = new(MaxGroupCommit);
    private long _batches;
    private volatile bool _stopping;
    private bool _started;
    private long _stalls;
    private long _stallTicks;
    private long _delivered;
    private long _alreadyDecided;
    private long _snapshotsPublished;
    private long _snapshotsDropped;

    /// <param name="publishOnShard">
    /// <c>Pipeline:PublishFrom = shard</c>: the deciding shard builds the journal record and offers it
    /// to publish first itself, then queues it for the journal thread: no hand-off (and no wake-up)
    /// between the decision and the wire. Otherwise the exit thread does that, one hand-off later.
    /// </param>
    public ExitDispatcher(int exitCapacity, int snapshotCapacity, IExitTarget target, ISnapshotTarget? snapshots, Action<PipelineAlert> alert, IdleWait wait = default, bool publishOnShard = false)
    {
        _publishOnShard = publishOnShard;
        _buffers = new BufferPool(4096, exitCapacity + 64, prefill: 64);
        _wait = wait;
        _exitThread = new Thread(ExitLoop) { IsBackground = true, Name = "streamer-exits" };
        _journalThread = new Thread(JournalLoop) { IsBackground = true, Name = "streamer-journal" };
        _toJournal = Channel.CreateBounded<JournalItem>(new BoundedChannelOptions(exitCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false, // the shards, when they publish
        });
        ChannelPrime.Prime(_toJournal, exitCapacity);
        _snapshotThread = new Thread(SnapshotLoop) { IsBackground = true, Name = "streamer-snapshots" };
        _target = target ?? throw new ArgumentNullException(nameof(target));
        _snapshotTarget = snapshots;
        _alert = alert;
        _exits = Channel.CreateBounded<ExitMessage>(new BoundedChannelOptions(exitCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
        });
        ChannelPrime.Prime(_exits, exitCapacity);
        _snapshots = Channel.CreateBounded<SnapshotSlot>(new BoundedChannelOptions(snapshotCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait, // never waited on: PostSnapshot only tries
            SingleReader = true,
            SingleWriter = false,
        });
    }

    /// <summary>Raised after the target took an exit (dispatcher thread): its journal record and the outcome.</summary>
    public event Action<JournalExit, ExitSubmitOutcome>? Delivered;

    /// <summary>Raised after the target journaled a fill's resize (dispatcher thread).</summary>
    public event Action<PositionChange>? ChangeRecorded;

    public long ExitsDelivered => Interlocked.Read(ref _delivered);

    /// <summary>the histograms the exit and journal threads record into (per exit, per transaction); null: none.</summary>
    internal PipelineMetrics? Metrics
    {
        get => _metrics;
        set => _metrics = value;
    }

    /// <summary>bytes the publish path has allocated so far (the journal record, the state JSON, the NATS client's write), on whichever thread publishes (<c>Pipeline:PublishFrom</c>): ÷ exits = per exit.</summary>
    public long ExitThreadAllocatedBytes => Volatile.Read(ref _exitThreadAllocated);

    /// <summary>exits the target put on the wire before their journal commit (publish-first).</summary>
    public long ExitsSentFirst => Interlocked.Read(ref _sentFirst);

    /// <summary>Decision on the shard → written to the NATS client (publish-first exits only), into <paramref name="into"/> (any thread).</summary>
    public void CopyDecisionToWire(HdrHistogram.HistogramBase into) => _decisionToWire.AddTo(into);

    /// <summary>The two parts of <see cref="CopyDecisionToWire"/>: decision → taken by the exit thread (the hand-off and its wake-up), taken → written (its work).</summary>
    public void CopyHandOff(HdrHistogram.HistogramBase decisionToTaken, HdrHistogram.HistogramBase takenToWire)
    {
        _decisionToTaken.AddTo(decisionToTaken);
        _takenToWire.AddTo(takenToWire);
    }

    /// <summary>exits handed to the journal thread and not yet journaled.</summary>
    public int JournalQueue => _toJournal.Reader.Count;

    public long ExitsAlreadyDecided => Interlocked.Read(ref _alreadyDecided);

    /// <summary>batches handed to the target (group commits): with <see cref="ExitsDelivered"/>, how many exits each fsync carried.</summary>
    public long ExitBatches => Interlocked.Read(ref _batches);

    /// <summary>Times a shard found the exits channel full and waited.</summary>
    public long Stalls => Interlocked.Read(ref _stalls);

    public TimeSpan StallTime => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _stallTicks));

    public long SnapshotsPublished => Interlocked.Read(ref _snapshotsPublished);

    public long SnapshotsDropped => Interlocked.Read(ref _snapshotsDropped);

    public int Pending => _exits.Reader.Count + _toJournal.Reader.Count;

    /// <summary>The buffers shards serialize exits into (returned here after delivery).</summary>
    public BufferPool Buffers => _buffers;

    public void Start()
    {
        if (_started) return;
        _started = true;
        if (!_publishOnShard) _exitThread.Start();
        _journalThread.Start();
        _snapshotThread.Start();
    }

    /// <summary>From a shard thread. Waits (measured) when the channel is full; false after shutdown.</summary>
    public bool PostExit(in ExitMessage exit)
    {
        if (_publishOnShard) return PublishOnShard(exit);
        long waited = BoundedWrite.Write(_exits.Writer, exit);
        if (waited >= 0) _exitSignal.Wake();
        if (waited == 0) return true;
        if (waited < 0)
        {
            _buffers.Return(exit.Buffer);
            return false;
        }
        OnStall(waited);
        return true;
    }

    /// <summary>From a shard thread: lends the slot to the publisher; false (counted) when the channel is full.</summary>
    public bool PostSnapshot(SnapshotSlot slot)
    {
        slot.Lend();
        if (_snapshots.Writer.TryWrite(slot))
        {
            _snapshotSignal.Wake();
            return true;
        }
        slot.GiveBack();
        Interlocked.Increment(ref _snapshotsDropped);
        return false;
    }

    /// <summary>No more exits will be posted (all shards stopped): the loops drain what is queued and end.</summary>
    public Task CompleteAsync()
    {
        _exits.Writer.TryComplete();
        _snapshots.Writer.TryComplete();
        _exitSignal.WakeAlways();
        _snapshotSignal.WakeAlways();
        if (_publishOnShard)
        {
            // no exit thread: the shards have stopped, nothing more comes
            _toJournal.Writer.TryComplete();
            _journalSignal.WakeAlways();
        }
        if (!_started) return Task.CompletedTask;
        return Task.Run(() =>
        {
            if (!_publishOnShard) _exitThread.Join(); // it completes the journal's queue when it ends
            _journalThread.Join();
            _snapshotThread.Join();
        });
    }

    /// <summary>Stops without waiting for an exit the outbox keeps refusing (it stays undelivered: the journal is the truth).</summary>
    public async ValueTask DisposeAsync()
    {
        _stopping = true;
        await CompleteAsync().ConfigureAwait(false);
        _exitSignal.Dispose();
        _journalSignal.Dispose();
        _snapshotSignal.Dispose();
    }

    private void OnStall(long ticks)
    {
        long n = Interlocked.Increment(ref _stalls);
        Interlocked.Add(ref _stallTicks, ticks);
        if (n == 1 || n % 1000 == 0)
            _alert(new PipelineAlert(PipelineAlert.Kinds.Backpressure,
                $"exits channel full: a shard waited {Stopwatch.GetElapsedTime(0, ticks).TotalMilliseconds:0.###} ms for the journal ({n} waits so far)",
                "exits", [new("channel", "exits"), new("waits", n.ToString(CultureInfo.InvariantCulture))]));
    }

    /// <summary>an exit (or a fill's resize, in order with the exits) on its way to the journal.</summary>
    private readonly record struct JournalItem(JournalExit? Exit, PositionChange? Change);

    /// <summary>
    /// The exit thread: each exit as it comes, offered to the target to publish first (on the wire before
    /// its journal commit), then queued for the journal thread. One hand-off from the shard to the wire.
    /// </summary>
    private void ExitLoop()
    {
        var reader = _exits.Reader;
        try
        {
            while (true)
            {
                while (reader.TryRead(out var m)) ToJournal(Publish(m));
                if (reader.Completion.IsCompleted) return;
                _wait.Idle(_exitSignal, static r => r.TryPeek(out _) || r.Completion.IsCompleted, reader, 1000);
            }
        }
        finally
        {
            _toJournal.Writer.TryComplete();
            _journalSignal.WakeAlways();
        }
    }

    /// <summary>
    /// <c>Pipeline:PublishFrom = shard</c>, on the deciding shard's thread: the exit goes on the wire
    /// first, then to the journal thread, with no hand-off between the decision and the NATS client.
    /// A fill's resize goes to the journal in the same queue, so each shard's order is kept.
    /// </summary>
    private bool PublishOnShard(in ExitMessage m) => ToJournalFromShard(Publish(m));

    /// <summary>
    /// On the publishing thread (the shard's, or the exit thread's): the exit's journal record, offered
    /// to go on the wire first; what goes to the journal thread next. A fill's resize only passes through.
    /// </summary>
    private JournalItem Publish(in ExitMessage m)
    {
        if (m.Change is { } change)
        {
            _buffers.Return(m.Buffer);
            return new JournalItem(null, change);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        long taken = Stopwatch.GetTimestamp();
        _metrics?.RecordTickToDecision(m.LatencyNs);
        JournalExit exit;
        try
        {
            exit = ToJournal(m); // copies the payload
        }
        finally
        {
            _buffers.Return(m.Buffer);
        }
        PublishFirst(exit, m.DecidedTimestamp, taken);
        Interlocked.Add(ref _exitThreadAllocated, GC.GetAllocatedBytesForCurrentThread() - allocated);
        return new JournalItem(exit, null);
    }

    private bool ToJournalFromShard(in JournalItem item)
    {
        long waited = BoundedWrite.Write(_toJournal.Writer, item);
        if (waited < 0) return false;
        _journalSignal.Wake();
        if (waited > 0) OnStall(waited);
        return true;
    }

    private void PublishFirst(JournalExit exit, long decidedTs, long takenTs)
    {
        bool sent;
        try
        {
            sent = _target.TryPublishFirst(exit);
        }
#pragma warning disable CA1031 // a failed first publish is no loss: the exit is journaled next and published from there
        catch (Exception e)
#pragma warning restore CA1031
        {
            _alert(new PipelineAlert(PipelineAlert.Kinds.JournalError, $"exit '{exit.Id}' not published first: {e.Message}; it goes journal-first", exit.Id, [new("exit_id", exit.Id)]));
            return;
        }
        if (!sent) return;
        Interlocked.Increment(ref _sentFirst);
        long written = Stopwatch.GetTimestamp();
        _takenToWire.Record((long)Stopwatch.GetElapsedTime(takenTs, written).TotalNanoseconds);
        if (decidedTs == 0) return;
        _decisionToWire.Record((long)Stopwatch.GetElapsedTime(decidedTs, written).TotalNanoseconds);
        _decisionToTaken.Record((long)Stopwatch.GetElapsedTime(decidedTs, takenTs).TotalNanoseconds);
    }

    private void ToJournal(in JournalItem item)
    {
        long waited = BoundedWrite.Write(_toJournal.Writer, item);
        if (waited >= 0) _journalSignal.Wake();
        if (waited > 0) OnStall(waited);
    }

    /// <summary>
    /// Group commit: every exit already queued (up to <see cref="MaxGroupCommit"/>) is journaled in one
    /// transaction, in the order shards posted them; nothing waits for company (a lone exit is committed
    /// at once, and what queues meanwhile forms the next batch). A fill's resize ends a batch: the exits
    /// before it are journaled first, then it, then what follows.
    /// </summary>
    private void JournalLoop()
    {
        var reader = _toJournal.Reader;
        while (true)
        {
            while (reader.TryRead(out var item))
            {
                if (item.Change is { } change)
                {
                    FlushBatch();
                    DeliverChange(change);
                    continue;
                }
                _batch.Add(item.Exit!);
                if (_batch.Count == MaxGroupCommit) FlushBatch();
            }
            FlushBatch();
            if (reader.Completion.IsCompleted) return;
            _journalSignal.Sleep(1000, static r => r.TryPeek(out _) || r.Completion.IsCompleted, reader);
        }
    }

    private void FlushBatch()
    {
        if (_batch.Count == 0) return;
        try
        {
            DeliverBatch(_batch);
        }
        finally
        {
            _batch.Clear();
            Interlocked.Increment(ref _batches);
        }
    }

    /// <summary>Waits between tries of the journal (and of a full outbox): 20 ms doubling to 1 s, no jitter (one writer, one disk).</summary>
    private static readonly Backoff JournalRetry = new(TimeSpan.FromMilliseconds(20), TimeSpan.FromSeconds(1));

    /// <summary>
    /// Hands a batch to the target until every exit in it is taken: a journal failure retries the whole
    /// batch, an outbox that says Full holds that exit and everything after it (retried in order); a
    /// conflict is a bug upstream: alerted, and the others of the batch stand.
    /// </summary>
    private void DeliverBatch(List<JournalExit> batch)
    {
        int start = 0;
        int retries = 0; // journal failures and a full outbox share one backoff, reset per batch
        int journalAttempts = 0, fullAttempts = 0;
        while (start < batch.Count)
        {
            var pending = start == 0 ? batch : batch.GetRange(start, batch.Count - start);
            IReadOnlyList<ExitSubmitResult> results;
            try
            {
                long started = Stopwatch.GetTimestamp();
                results = _target.SubmitBatch(pending);
                _metrics?.RecordJournalCommit(started, Stopwatch.GetTimestamp());
            }
            catch (Exception e) when (e is System.Data.Common.DbException or IOException)
            {
                // the journal failed (disk full, ...): the exits stay here and are tried again, never dropped
                journalAttempts++;
                var first = pending[0].Id;
                _alert(new PipelineAlert(PipelineAlert.Kinds.JournalError,
                    $"exit '{first}'{(pending.Count > 1 ? $" and {pending.Count - 1} after it" : "")} not journaled (attempt {journalAttempts}): {e.Message}", first, [new("exit_id", first)]));
                if (_stopping) return; // disposing: what was not journaled is decided again from the journaled state after a restart
                Thread.Sleep(JournalRetry.Delay(retries++));
                continue;
            }
            int held = -1;
            for (int i = 0; i < pending.Count && held < 0; i++)
            {
                var record = pending[i];
                var outcome = results[i].Outcome;
                if (outcome == ExitSubmitOutcome.Full)
                {
                    held = i;
                }
                else if (outcome == ExitSubmitOutcome.Conflict)
                {
                    // a bug upstream (two decisions for one sequence): retrying cannot help; say so loudly
                    _alert(new PipelineAlert(PipelineAlert.Kinds.JournalError, $"exit '{record.Id}' refused by the journal: {results[i].Conflict?.Message}", record.Id, [new("exit_id", record.Id)]));
                }
                else
                {
                    if (outcome == ExitSubmitOutcome.AlreadyDecided) Interlocked.Increment(ref _alreadyDecided);
                    Interlocked.Increment(ref _delivered);
                    Delivered?.Invoke(record, outcome);
                }
            }
            if (held < 0) return;
            start += held;
            fullAttempts++;
            var heldId = batch[start].Id;
            if (fullAttempts == 1 || fullAttempts % 50 == 0)
                _alert(new PipelineAlert(PipelineAlert.Kinds.OutboxFull,
                    $"exit '{heldId}' held: the outbox is full (NATS down?); retrying (attempt {fullAttempts})", heldId, [new("exit_id", heldId)]));
            if (_stopping) return;
            Thread.Sleep(JournalRetry.Delay(retries++));
        }
    }

    /// <summary>A fill's resize: journaled before anything the shard decided after it (retried, like an exit, until the journal takes it).</summary>
    private void DeliverChange(PositionChange change)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                _target.Record(change);
                ChangeRecorded?.Invoke(change);
                return;
            }
            catch (JournalConflictException e)
            {
                _alert(new PipelineAlert(PipelineAlert.Kinds.JournalError, $"resize of position '{change.PositionId}' refused by the journal: {e.Message}", change.PositionId,
                    [new("position_id", change.PositionId)]));
                return;
            }
            catch (Exception e) when (e is System.Data.Common.DbException or IOException)
            {
                _alert(new PipelineAlert(PipelineAlert.Kinds.JournalError, $"resize of position '{change.PositionId}' not journaled (attempt {attempt}): {e.Message}", change.PositionId,
                    [new("position_id", change.PositionId)]));
            }
            if (_stopping) return; // its fills are fed again after a restart (the journal's watermark did not move)
            Thread.Sleep(JournalRetry.Delay(attempt - 1));
        }
    }

    private JournalExit ToJournal(in ExitMessage m)
    {
        var subject = _exitSubjects.GetOrAdd(m.Underlying, static u => NatsSubjects.Exits(u));
        return new JournalExit(
            Id: string.Create(CultureInfo.InvariantCulture, $"{m.PositionId}:{m.Sequence}"),
            PositionId: m.PositionId,
            Sequence: m.Sequence,
            Subject: subject,
            Payload: m.Payload.ToArray(),
            DecidedAtNs: m.TimeNs,
            TranchesFiredMask: m.State.TranchesFired,
            PositionStateJson: Streamer.Stream.Pipeline.PositionStateJson.Write(m.State),
            ClosesPosition: m.State.ContractsRemaining == 0)
        {
            DecidedTimestamp = m.DecidedTimestamp,
        };
    }

    private void SnapshotLoop()
    {
        var reader = _snapshots.Reader;
        while (true)
        {
            while (reader.TryRead(out var snapshot))
            {
                try
                {
                    if (_snapshotTarget is null) continue;
                    if (!_snapshotSubjects.TryGetValue(snapshot.Underlying, out var subject))
                        _snapshotSubjects[snapshot.Underlying] = subject = NatsSubjects.Snapshots(snapshot.Underlying);
                    _snapshotTarget.Publish(subject, snapshot.Payload.ToArray());
                    Interlocked.Increment(ref _snapshotsPublished);
                }
#pragma warning disable CA1031 // a failed snapshot publish is not worth a thread: snapshots are state, the next one follows
                catch (Exception)
#pragma warning restore CA1031
                {
                    Interlocked.Increment(ref _snapshotsDropped);
                }
                finally
                {
                    snapshot.GiveBack();
                }
            }
            if (reader.Completion.IsCompleted) return;
            _snapshotSignal.Sleep(1000, static r => r.TryPeek(out _) || r.Completion.IsCompleted, reader);
        }
    }
}
