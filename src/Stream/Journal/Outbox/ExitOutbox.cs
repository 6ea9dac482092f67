using Streamer.Rules.Time;
using Streamer.Stream.Pipeline;
using Streamer.Stream.Nats;
namespace Streamer.Stream.Journal.Outbox;

/// <summary>
/// The transactional outbox for exits: <see cref="Submit"/> / <see cref="SubmitBatch"/> journal
/// decisions (a batch in one transaction: group commit), one publisher loop takes unpublished exits
/// from the journal in decision order and publishes them to JetStream with up to
/// <see cref="ExitOutboxOptions.MaxInFlight"/> acks pending, all on one connection (so they reach the
/// stream in order), and marks them published as acks arrive (many per transaction). When a publish
/// fails or its connection goes, nothing new is sent until what is in flight has settled, then
/// publishing resumes from the first unacked exit, in order, with bounded backoff, forever: no exit
/// is lost to a NATS outage or a crash, none overtakes another. Delivery is at-least-once: an exit
/// whose ack was lost, or that was published just before a crash, goes out again with the same id
/// as <c>Nats-Msg-Id</c>, and the stream drops it within its duplicate window (docs/nats.md), so
/// subscribers see it once. With <see cref="ExitDurability.PublishFirst"/> an exit can also go on the
/// wire before its commit (<see cref="TryPublishFirst"/>, ExitOutbox.PublishFirst.cs); the loop then
/// only awaits and marks its ack. docs/journal.md "Durability".
/// </summary>
public sealed partial class ExitOutbox : IAsyncDisposable
{
    private readonly ExitStore _journal;
    private readonly JetStreamClient _js;
    private readonly ExitOutboxOptions _options;
    private readonly Func<long> _clock;
    private readonly Lock _submitGate = new();
    private readonly CancellationTokenSource _stop = new();
    private TaskCompletionSource _signal = NewSignal();
    private readonly System.Collections.Concurrent.ConcurrentQueue<(JournaledExit Exit, PubAck Ack)> _toMark = new();
    // exit id → Stopwatch timestamp of its decision, from its commit to its ack (only while someone listens to AckedAfterDecision)
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _decidedAt = new(StringComparer.Ordinal);
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

    public ExitOutbox(ExitStore journal, JetStreamClient js, ExitOutboxOptions? options = null, Func<long>? clock = null)
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
        _unjournaledAtStart = journal.MayHaveStreamOnlyExits;
        _journaledThrough = new Dictionary<string, long>(journal.LastSequences(), StringComparer.Ordinal);
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
    /// after an exit decided by this process is acked and marked published (marking thread): the time
    /// since its decision on the shard (the metrics' decision → published). Subscribe before exits are submitted.
    /// </summary>
    public event Action<TimeSpan>? AckedAfterDecision;

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
    public ExitSubmitOutcome Submit(PendingExit exit)
    {
        ArgumentNullException.ThrowIfNull(exit);
        var result = SubmitBatch([exit])[0];
        if (result.Conflict is { } conflict) throw conflict;
        return result.Outcome;
    }

    /// <summary>
    /// Journals decisions in order, in one transaction (one fsync) when they fit, then wakes the
    /// publisher once. Each gets what <see cref="Submit"/> would answer, in its slot; a conflicting one
    /// is <see cref="ExitSubmitOutcome.Conflict"/> and the others stand. With
    /// <see cref="ExitOutboxOptions.RefuseWhenFull"/>, the first exit that does not fit is
    /// <see cref="ExitSubmitOutcome.Full"/> and so is everything after it (not journaled, not looked at):
    /// the caller holds them and submits them again, in order. Thread-safe. Throws what the journal throws
    /// (I/O, disk full): then nothing of the batch was written.
    /// </summary>
    public IReadOnlyList<ExitSubmitResult> SubmitBatch(IReadOnlyList<PendingExit> exits)
    {
        ArgumentNullException.ThrowIfNull(exits);
        var results = new ExitSubmitResult[exits.Count];
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
                            results[i++] = new(ExitSubmitOutcome.AlreadyDecided);
                            continue;
                        }
                        (over ??= []).Add((exits[i], true));
                        for (; i < exits.Count; i++) results[i] = new(ExitSubmitOutcome.Full);
                        break;
                    }
                    take = Math.Min(take, _options.Capacity - backlog);
                }
                var slice = i == 0 && take == exits.Count ? exits : Slice(exits, i, take);
                // before the commit: a publish-first exit may be acked and marked the moment its row is visible
                if (AckedAfterDecision is not null)
                    for (int k = i; k < i + take; k++)
                        if (exits[k].DecidedTimestamp != 0) _decidedAt[exits[k].Id] = exits[k].DecidedTimestamp;
                var outcomes = _journal.RecordExitsDecided(slice);
                int recorded = 0;
                for (int k = 0; k < take; k++, i++)
                {
                    var o = outcomes[k];
                    if (o.Conflict is not null)
                    {
                        results[i] = new(ExitSubmitOutcome.Conflict, o.Conflict);
                        Settled(exits[i].Id);
                        _decidedAt.TryRemove(exits[i].Id, out _);
                    }
                    else if (o.Outcome == ExitRecordOutcome.AlreadyDecided)
                    {
                        results[i] = new(ExitSubmitOutcome.AlreadyDecided);
                        Settled(exits[i].Id);
                        _decidedAt.TryRemove(exits[i].Id, out _); // the journal's older decision: no ack of it is this one's
                    }
                    else
                    {
                        bool isOver = backlog + recorded >= _options.Capacity;
                        recorded++;
                        results[i] = new(isOver ? ExitSubmitOutcome.AcceptedOverCapacity : ExitSubmitOutcome.Accepted);
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
        // before anything is sent first: a crash from here on may leave exits on the stream only
        if (_options.Durability == ExitDurability.PublishFirst) _journal.MayHaveStreamOnlyExits = true;
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
