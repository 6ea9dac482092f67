using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Threading.Channels;
using Streamer.Rules.Books;
using Streamer.Stream.Nats;
using Streamer.Stream.Outbox;
using JournalExit = Streamer.Stream.Journal.ExitDecision;

namespace Streamer.Stream.Pipeline;

/// <summary>
/// The outbound side: shards post exits (and snapshots) into bounded channels; one loop hands each
/// exit to the <see cref="IExitTarget"/> (journal first, then NATS) in the order shards decided them,
/// another publishes snapshots. An exit is never dropped: when the outbox says Full the exit is held
/// and retried (alerting), and the channel backs up into the shards, whose waits are measured.
/// Snapshots are state, not events: when their channel is full the oldest is dropped and counted.
/// </summary>
internal sealed class ExitDispatcher : IAsyncDisposable
{
    private readonly Channel<ExitMessage> _exits;
    private readonly Channel<SnapshotMessage> _snapshots;
    private readonly IExitTarget _target;
    private readonly ISnapshotTarget? _snapshotTarget;
    private readonly Action<PipelineAlert> _alert;
    private readonly BufferPool _buffers;
    private readonly Dictionary<string, string> _exitSubjects = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _snapshotSubjects = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private Task? _exitLoop;
    private Task? _snapshotLoop;
    private long _stalls;
    private long _stallTicks;
    private long _delivered;
    private long _alreadyDecided;
    private long _snapshotsPublished;
    private long _snapshotsDropped;

    public ExitDispatcher(int exitCapacity, int snapshotCapacity, IExitTarget target, ISnapshotTarget? snapshots, Action<PipelineAlert> alert)
    {
        _buffers = new BufferPool(4096, exitCapacity + snapshotCapacity + 64);
        _target = target ?? throw new ArgumentNullException(nameof(target));
        _snapshotTarget = snapshots;
        _alert = alert;
        _exits = Channel.CreateBounded<ExitMessage>(new BoundedChannelOptions(exitCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
        });
        _snapshots = Channel.CreateBounded<SnapshotMessage>(new BoundedChannelOptions(snapshotCapacity)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
            SingleWriter = false,
        }, dropped =>
        {
            Interlocked.Increment(ref _snapshotsDropped);
            _buffers.Return(dropped.Buffer);
        });
    }

    /// <summary>Raised after the target took an exit (dispatcher thread): its journal record and the outcome.</summary>
    public event Action<JournalExit, OutboxSubmitOutcome>? Delivered;

    public long ExitsDelivered => Interlocked.Read(ref _delivered);

    public long ExitsAlreadyDecided => Interlocked.Read(ref _alreadyDecided);

    /// <summary>Times a shard found the exits channel full and waited.</summary>
    public long Stalls => Interlocked.Read(ref _stalls);

    public TimeSpan StallTime => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _stallTicks));

    public long SnapshotsPublished => Interlocked.Read(ref _snapshotsPublished);

    public long SnapshotsDropped => Interlocked.Read(ref _snapshotsDropped);

    public int Pending => _exits.Reader.Count;

    /// <summary>The buffers shards serialize exits and snapshots into (returned here after delivery).</summary>
    public BufferPool Buffers => _buffers;

    public void Start()
    {
        _exitLoop ??= Task.Factory.StartNew(ExitLoop, TaskCreationOptions.LongRunning).Unwrap();
        _snapshotLoop ??= Task.Run(SnapshotLoop);
    }

    /// <summary>From a shard thread. Waits (measured) when the channel is full; false after shutdown.</summary>
    public bool PostExit(in ExitMessage exit)
    {
        long waited = BoundedWrite.Write(_exits.Writer, exit);
        if (waited == 0) return true;
        if (waited < 0)
        {
            _buffers.Return(exit.Buffer);
            return false;
        }
        OnStall(waited);
        return true;
    }

    public void PostSnapshot(in SnapshotMessage snapshot)
    {
        if (!_snapshots.Writer.TryWrite(snapshot)) _buffers.Return(snapshot.Buffer);
    }

    /// <summary>No more exits will be posted (all shards stopped): the loops drain what is queued and end.</summary>
    public Task CompleteAsync()
    {
        _exits.Writer.TryComplete();
        _snapshots.Writer.TryComplete();
        return Task.WhenAll(_exitLoop ?? Task.CompletedTask, _snapshotLoop ?? Task.CompletedTask);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _exits.Writer.TryComplete();
        _snapshots.Writer.TryComplete();
        try
        {
            await Task.WhenAll(_exitLoop ?? Task.CompletedTask, _snapshotLoop ?? Task.CompletedTask).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
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

    private async Task ExitLoop()
    {
        var reader = _exits.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var exit))
            {
                try
                {
                    await DeliverAsync(exit).ConfigureAwait(false);
                }
                finally
                {
                    _buffers.Return(exit.Buffer);
                }
            }
        }
    }

    private async Task DeliverAsync(ExitMessage m)
    {
        var record = ToJournal(m);
        var delay = TimeSpan.FromMilliseconds(20);
        for (int attempt = 1; ; attempt++)
        {
            OutboxSubmitOutcome outcome;
            try
            {
                outcome = _target.Submit(record);
            }
            catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or IOException or Streamer.Stream.Journal.JournalConflictException)
            {
                // the journal failed: the exit stays here and is tried again (never dropped)
                _alert(new PipelineAlert("journal_error", $"exit '{record.Id}' not journaled (attempt {attempt}): {e.Message}", record.Id, [new("exit_id", record.Id)]));
                if (e is Streamer.Stream.Journal.JournalConflictException) return; // a bug upstream; retrying cannot help
                outcome = OutboxSubmitOutcome.Full;
            }
            if (outcome != OutboxSubmitOutcome.Full)
            {
                if (outcome == OutboxSubmitOutcome.AlreadyDecided) Interlocked.Increment(ref _alreadyDecided);
                Interlocked.Increment(ref _delivered);
                Delivered?.Invoke(record, outcome);
                return;
            }
            if (attempt == 1 || attempt % 50 == 0)
                _alert(new PipelineAlert(PipelineAlert.Kinds.OutboxFull,
                    $"exit '{record.Id}' held: the outbox is full (NATS down?); retrying (attempt {attempt})", record.Id, [new("exit_id", record.Id)]));
            if (_stop.IsCancellationRequested) return; // stopping: the position state in the journal says what was not decided
            try
            {
                await Task.Delay(delay, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.TicksPerSecond));
        }
    }

    private JournalExit ToJournal(in ExitMessage m)
    {
        if (!_exitSubjects.TryGetValue(m.Underlying, out var subject)) _exitSubjects[m.Underlying] = subject = NatsSubjects.Exits(m.Underlying);
        int? tranche = m.Rule == RuleId.ScaleOut && m.State.TranchesFired != 0
            ? 31 - BitOperations.LeadingZeroCount((uint)m.State.TranchesFired)
            : null;
        return new JournalExit(
            Id: string.Create(CultureInfo.InvariantCulture, $"{m.PositionId}:{m.Sequence}"),
            PositionId: m.PositionId,
            Sequence: m.Sequence,
            Subject: subject,
            Payload: m.Payload.ToArray(),
            DecidedAtNs: m.TimeNs,
            TrancheIndex: tranche,
            PositionStateJson: PositionStateJson.Write(m.State),
            ClosesPosition: m.State.ContractsRemaining == 0);
    }

    private async Task SnapshotLoop()
    {
        var reader = _snapshots.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var s))
            {
                try
                {
                    if (_snapshotTarget is null) continue;
                    if (!_snapshotSubjects.TryGetValue(s.Underlying, out var subject))
                        _snapshotSubjects[s.Underlying] = subject = NatsSubjects.SnapshotsPrefix + s.Underlying;
                    _snapshotTarget.Publish(subject, s.Payload.ToArray());
                    Interlocked.Increment(ref _snapshotsPublished);
                }
                finally
                {
                    _buffers.Return(s.Buffer);
                }
            }
        }
    }
}
