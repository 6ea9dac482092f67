using System.Diagnostics;
using System.Globalization;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using Streamer.Rules.Books;
using Streamer.Rules.Engine;
using Streamer.Rules.Instruments;
using Streamer.Rules.Positions;

namespace Streamer.Stream.Pipeline;

/// <summary>
/// The live tick pipeline the service host composes:
/// sources → <see cref="TickIngress"/> (merge, sanity filter, route by underlying) → one bounded
/// channel and one thread per <see cref="Shard"/> (single owner of its engine; time rules from its
/// clock) → <see cref="ExitDispatcher"/> (exits to the journal/outbox, snapshots to the bus).
/// Rx carries the slow signals: <see cref="FeedStatus"/> and <see cref="Alerts"/>.
/// </summary>
public sealed class TickPipeline : IAsyncDisposable
{
    private readonly PipelineOptions _options;
    private readonly SymbolTable _symbols;
    private readonly BookSet _books;
    private readonly Shard[] _shards;
    private readonly ExitDispatcher _dispatcher;
    private readonly FeedMonitor _feed;
    private readonly TickIngress _ingress;
    private readonly PipelineClock _clock;
    private readonly ISubject<PipelineAlert> _alerts;
    private readonly Subject<PipelineAlert> _alertSubject = new();
    private readonly Lock _gate = new();
    private readonly Dictionary<string, int> _positions = new(StringComparer.Ordinal); // id → shard
    private readonly List<Task> _sources = [];
    private readonly CancellationTokenSource _stopSources = new();
    private readonly long _startedTs = Stopwatch.GetTimestamp();
    private Timer? _timer;
    private bool _started;
    private bool _stopped;
    private string? _nothingMonitored;

    public TickPipeline(PipelineOptions options, SymbolTable symbols, BookSet books, IExitTarget exits, ISnapshotTarget? snapshots = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(symbols);
        ArgumentNullException.ThrowIfNull(books);
        ArgumentNullException.ThrowIfNull(exits);
        options.Validate();
        _options = options;
        _symbols = symbols;
        _books = books;
        _alerts = Subject.Synchronize(_alertSubject);
        Action<PipelineAlert> alert = _alerts.OnNext;
        _clock = new PipelineClock(options.Clock, options.Speed);
        _dispatcher = new ExitDispatcher(options.OutboundCapacity, options.SnapshotCapacity, exits, snapshots, alert, options.Wait, options.PublishOnShard);
        _feed = new FeedMonitor(options.StaleAfter, alert);
        _shards = new Shard[options.Shards];
        for (int i = 0; i < _shards.Length; i++) _shards[i] = new Shard(i, symbols, books, _clock, _dispatcher, options, alert);
        _ingress = new TickIngress(_shards, symbols, _feed, _clock);
    }

    public PipelineOptions Options => _options;

    public SymbolTable Symbols => _symbols;

    /// <summary>Where sources publish ticks (a source may also call it directly).</summary>
    public TickIngress Ingress => _ingress;

    public FeedMonitor Feed => _feed;

    /// <summary>connecting / live / stale / down: the current state, then each change.</summary>
    public IObservable<FeedStatus> FeedStatus => _feed.Changes;

    /// <summary>Alerts (unmonitored positions, stale/down feed, nothing monitored, backpressure, outbox full, rejected positions), from any thread, serialized.</summary>
    public IObservable<PipelineAlert> Alerts => _alerts.AsObservable();

    public ExitDispatcher Exits => _dispatcher;

    internal IReadOnlyList<Shard> Shards => _shards;

    /// <summary>Starts the shard threads, the exit dispatcher and the periodic checks.</summary>
    public void Start()
    {
        lock (_gate)
        {
            if (_started) throw new InvalidOperationException("the pipeline is already started");
            _started = true;
        }
        _dispatcher.Start();
        foreach (var s in _shards) s.Start();
        _timer = new Timer(_ => Check(), null, _options.HousekeepingInterval, _options.HousekeepingInterval);
    }

    /// <summary>Runs a source until it ends (a tape) or the pipeline stops. Its failure is an alert, never a crash.</summary>
    public Task RunSourceAsync(ITickSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        _feed.SourceStarted();
        _ingress.SourceStarted();
        var task = RunSource(source);
        lock (_gate) _sources.Add(task);
        return task;
    }

    private async Task RunSource(ITickSource source)
    {
        string why = "ended";
        try
        {
            await source.RunAsync(_ingress, _feed, _stopSources.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            why = "stopped";
        }
#pragma warning disable CA1031 // a broken source is reported and ends; the service and the other sources go on
        catch (Exception e)
#pragma warning restore CA1031
        {
            why = "failed: " + e.Message;
            _alerts.OnNext(new PipelineAlert(PipelineAlert.Kinds.RejectedInput, $"{source.Name}: {e.Message}", source.Name, [new("source", source.Name)]));
        }
        finally
        {
            _ingress.SourceEnded(); // the last one to end ends the tape
        }
        _feed.SourceStopped(source.Name, why);
    }

    // ------------------------------------------------------------------ positions

    /// <summary>
    /// Validates the position now (throws <see cref="ConfigException"/> naming it: unknown book, bad
    /// leg, duplicate id) and sends it to the shard of its underlying. The task completes when the
    /// shard's engine has it (null) or refused it (the reason; also an alert). With a tape clock it
    /// joins when the tape reaches its opened_at. <paramref name="state"/> restores a journaled state.
    /// </summary>
    public Task<string?> AddPositionAsync(PositionSpec spec, PositionState? state = null, bool paused = false)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        _books.Get(spec.Book);
        int underlying = _symbols.Intern(spec.Underlying);
        foreach (var leg in spec.Legs) _symbols.Intern(leg.Symbol);
        int shard = TickIngress.ShardFor(_symbols, underlying, _shards.Length);
        lock (_gate)
        {
            if (!_positions.TryAdd(spec.Id, shard)) throw new ConfigException($"position '{spec.Id}' is already monitored");
        }
        var command = new AddPositionCommand(spec, state) { ShardIndex = shard, Paused = paused };
        _ingress.Add(command, shard);
        return Forget(command.Completion, spec.Id);
    }

    private async Task<string?> Forget(Task<string?> added, string id)
    {
        var error = await added.ConfigureAwait(false);
        if (error is not null)
        {
            lock (_gate) _positions.Remove(id);
        }
        return error;
    }

    /// <summary>
    /// An operator's close now of a monitored position, on its shard (<see cref="Shard.CloseNow"/>): an exit of
    /// rule <c>manual</c> for what is open, journaled and published as any exit. Unknown: not monitored.
    /// </summary>
    public Task<CloseNowResult> CloseNowAsync(string id, string actor)
    {
        int shard;
        lock (_gate)
        {
            if (!_positions.TryGetValue(id, out shard)) return Task.FromResult(new CloseNowResult(Streamer.Rules.Engine.CloseNowOutcome.UnknownPosition, null));
        }
        var command = new CloseNowCommand(id, actor);
        _shards[shard].PostCommand(command);
        return command.Completion;
    }

    /// <summary>Stops monitoring a position; false when it is not monitored.</summary>
    public async Task<bool> RemovePositionAsync(string id)
    {
        int shard;
        lock (_gate)
        {
            if (!_positions.Remove(id, out shard)) return false;
        }
        if (_ingress.TryCancelDeferred(id)) return true;
        var command = new RemovePositionCommand(id);
        _shards[shard].PostCommand(command);
        return await command.Completion.ConfigureAwait(false);
    }

    /// <summary>
    /// Applies a fill (journaled: it carries its ordinal) to the monitored position it names, on that
    /// position's shard; <paramref name="quantity"/> is the fill's whole signed quantity. Rejected when
    /// the position is not (yet) on a shard.
    /// </summary>
    public Task<FillResult> ApplyFillAsync(Streamer.Stream.Pipeline.FillRecord fill, long quantity)
    {
        ArgumentNullException.ThrowIfNull(fill);
        int shard;
        lock (_gate)
        {
            if (!_positions.TryGetValue(fill.PositionId, out shard))
                return Task.FromResult(new FillResult(FillEffect.Rejected, 0, $"position '{fill.PositionId}' is not monitored"));
        }
        var command = new ApplyFillCommand(fill, quantity);
        _shards[shard].PostCommand(command);
        return command.Completion;
    }

    public int PositionCount
    {
        get { lock (_gate) return _positions.Count; }
    }

    /// <summary>Monitored positions still open: closed ones stay added (their ids are never reused) but are not watched (the heartbeat's <c>positions_monitored</c>).</summary>
    public int OpenPositionCount
    {
        get
        {
            int n = 0;
            foreach (var shard in _shards) n += shard.OpenPositions;
            return n;
        }
    }

    /// <summary>Runs <paramref name="query"/> on every shard's thread (in order with its ticks) and collects the answers.</summary>
    public Task<T[]> QueryAsync<T>(Func<ExitEngine, T> query)
    {
        var tasks = new Task<T>[_shards.Length];
        for (int i = 0; i < _shards.Length; i++)
        {
            var c = new QueryCommand<T>(query);
            _shards[i].PostCommand(c);
            tasks[i] = c.Completion;
        }
        return Task.WhenAll(tasks);
    }

    /// <summary>Every monitored position's snapshot (the control API's list/status).</summary>
    public async Task<IReadOnlyList<PositionSnapshot>> SnapshotsAsync()
    {
        var perShard = await QueryAsync(engine =>
        {
            var list = new List<PositionSnapshot>();
            foreach (var id in engine.PositionIds)
                if (engine.TryGetSnapshot(id, out var s)) list.Add(s);
            return list;
        }).ConfigureAwait(false);
        return [.. perShard.SelectMany(l => l).OrderBy(s => s.Id, StringComparer.Ordinal)];
    }

    /// <summary>Waits until every shard has processed what was posted before the call (a barrier; exits may still be on their way to the journal).</summary>
    public Task FlushAsync() => QueryAsync(_ => true);

    // ------------------------------------------------------------------ stop

    /// <summary>
    /// Stops the sources, lets every shard drain its channel, then delivers every exit already
    /// decided to the target. After it returns nothing is in flight.
    /// </summary>
    /// <summary>True once <see cref="StopAsync"/> has begun: queries and new positions are refused.</summary>
    public bool IsStopped
    {
        get { lock (_gate) return _stopped; }
    }

    public async Task StopAsync()
    {
        lock (_gate)
        {
            if (_stopped) return;
            _stopped = true;
        }
        await _stopSources.CancelAsync().ConfigureAwait(false);
        Task[] sources;
        lock (_gate) sources = [.. _sources];
        try
        {
            await Task.WhenAll(sources).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        if (_timer is not null) await _timer.DisposeAsync().ConfigureAwait(false);
        foreach (var s in _shards) s.Stop();
        await _dispatcher.CompleteAsync().ConfigureAwait(false);
    }

    /// <summary>Waits for every source started so far to end (a tape to its last row).</summary>
    public Task SourcesCompletion()
    {
        lock (_gate) return Task.WhenAll(_sources);
    }

    public async ValueTask DisposeAsync()
    {
        if (_started) await StopAsync().ConfigureAwait(false);
        await _dispatcher.DisposeAsync().ConfigureAwait(false);
        _feed.Dispose();
        _alertSubject.OnCompleted();
        _alertSubject.Dispose();
        _stopSources.Dispose();
    }

    // ------------------------------------------------------------------ status and slow checks

    public PipelineStatus Status()
    {
        long ticks = 0, exits = 0, stalls = 0, clock = 0;
        int unmonitored = 0, engines = 0, queued = 0;
        double stallMs = 0;
        var latency = SharedLatencyHistogram.NewHistogram();
        foreach (var s in _shards)
        {
            ticks += s.Ticks;
            exits += s.Exits;
            stalls += s.Stalls;
            stallMs += s.StallTime.TotalMilliseconds;
            clock += s.ClockEvents;
            unmonitored += s.UnmonitoredPositions;
            engines += s.Positions;
            queued += s.QueueLength;
            s.CopyTickLatency(latency);
        }
        double toNs = 1.0;
        int positions = PositionCount;
        return new PipelineStatus(
            Feed: _feed.Current,
            Monitoring: Monitoring(positions, unmonitored),
            Positions: positions,
            PositionsWaitingForTape: _ingress.DeferredCount,
            UnmonitoredPositions: unmonitored,
            TicksIn: _ingress.Ticks,
            TicksProcessed: ticks,
            InsaneQuotes: _ingress.InsaneQuotes,
            ClockEvents: clock,
            ExitsDecided: exits,
            ExitsDelivered: _dispatcher.ExitsDelivered,
            ShardStalls: stalls,
            ShardStallMs: stallMs,
            ExitStalls: _dispatcher.Stalls,
            Queued: queued,
            SnapshotsPublished: _dispatcher.SnapshotsPublished,
            SnapshotsDropped: _dispatcher.SnapshotsDropped,
            TickToDecisionP50Ns: (long)(SharedLatencyHistogram.ValueAtQuantile(latency, 0.5) * toNs),
            TickToDecisionP99Ns: (long)(SharedLatencyHistogram.ValueAtQuantile(latency, 0.99) * toNs),
            TickToDecisionMaxNs: SharedLatencyHistogram.Max(latency));
    }

    /// <summary>ok | no_positions | no_ticks | unmonitored_positions | feed_stale | feed_down: what a monitor with nothing to monitor says.</summary>
    private string Monitoring(int positions, int unmonitored)
    {
        if (positions == 0) return "no_positions";
        if (!_feed.AnyTick) return "no_ticks";
        if (_feed.Current == Pipeline.FeedStatus.Down) return "feed_down";
        if (_feed.Current == Pipeline.FeedStatus.Stale) return "feed_stale";
        if (unmonitored > 0) return "unmonitored_positions";
        return "ok";
    }

    private void Check()
    {
        try
        {
            long now = Stopwatch.GetTimestamp();
            _feed.Check(now);
            // the seeds' worst failure: a monitor with nothing to monitor. Say so, once per episode.
            if (Stopwatch.GetElapsedTime(_startedTs, now) < _options.UnmonitoredAfter) return;
            int positions = PositionCount;
            string? problem = positions == 0 ? "no_positions"
                : !_feed.AnyTick ? "no_ticks"
                : null;
            if (problem == _nothingMonitored) return;
            _nothingMonitored = problem;
            if (problem is null) return;
            var since = Stopwatch.GetElapsedTime(_startedTs, now).TotalSeconds.ToString("0", CultureInfo.InvariantCulture);
            string message = problem == "no_positions"
                ? $"monitoring nothing: no positions after {since} s (none from the positions file, intake or control API)"
                : $"monitoring nothing: {positions} positions but no market data at all after {since} s";
            _alerts.OnNext(new PipelineAlert(PipelineAlert.Kinds.NothingMonitored, message, problem,
                [new("reason", problem), new("positions", positions.ToString(CultureInfo.InvariantCulture))]));
        }
#pragma warning disable CA1031 // a timer callback must never take the process down
        catch (Exception e)
#pragma warning restore CA1031
        {
            Trace.TraceError("pipeline check failed: " + e);
        }
    }
}
