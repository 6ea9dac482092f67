using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Streamer.Rules.Books;
using Streamer.Rules.Engine;
using Streamer.Rules.Instruments;
using Streamer.Rules.Positions;
using Streamer.Rules.Time;
using Streamer.Stream.Journal;
using Streamer.Stream.Pipeline;
using Streamer.Stream.Nats;
using Streamer.Stream.Journal.Outbox;
namespace Streamer.Stream.Service;

/// <summary>
/// The live engine of <c>streamer run</c>: owns the <see cref="TickPipeline"/> and wires it to the
/// host. Positions come back from the journal (and <c>Positions:File</c>, once: a position the
/// journal knows is never re-added from the file); control add/remove and fills on
/// <c>streamer.executions</c> reach the shards; exits go to the outbox (journal, then JetStream);
/// snapshots to <c>streamer.snapshots.&lt;U&gt;</c>; pipeline alerts to <c>streamer.alerts.&lt;kind&gt;</c>;
/// feed state, tick rate and last tick age into the heartbeat.
/// <para>
/// Restart semantics (<c>Journal:RestoreState</c>, auto). With a live feed each open position resumes from its journaled state (remaining
/// contracts, tranches fired, trailing peak, next exit sequence). With <c>Feed:Tape</c> the tape is
/// read again from its first row, so the engine re-derives every position's state from the same ticks
/// (applying the saved state too would count the ticks before the crash twice); the exits it decides
/// again carry the same ids and the journal recognises them (already decided: not journaled or
/// published again). Positions closed before the restart stay closed either way.
/// </para>
/// </summary>
public sealed partial class LivePipelineService : IHostedService, IAsyncDisposable, IRuleControl
{
    private readonly LiveServiceOptions _options;
    private readonly StreamerSettings _settings;
    private readonly ExitStore _exits;
    private readonly FillStore _fills;
    private readonly PositionStore _positions;
    private readonly ControlActionStore _actions;
    private readonly ServiceEvents? _events;
    private readonly ExitOutbox _outbox;
    private readonly IMessageBus _bus;
    private readonly AlertPublisher _alerts;
    private readonly ServiceStatus _status;
    private ExecutionIntakeService? _intake; // resolved at start: it needs the registry, which needs this
    private readonly IHostApplicationLifetime _lifetime;
    private readonly IServiceProvider _services;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly List<IDisposable> _subscriptions = [];
    private readonly CancellationTokenSource _stopping = new();
    private IMarketDataFeed? _alpaca; // a live feed whose subscriptions follow the positions (Alpaca)
    private readonly IMarketDataFeedFactory? _feedFactory;
    private readonly Dictionary<string, PositionSpec> _subscribed = new(StringComparer.Ordinal); // Alpaca: what each position subscribed
    private Task? _source;
    private Task? _finish;
    private Timer? _statusTimer;
    private long _ticksReported;
    private long _syncs;
    private volatile bool _tapeEnded;
    private int _disposed;
    private readonly Lock _fillGate = new(); // the intake's fills vs the restore: held by the restore from start to end
    private long _restoredThrough; // fills at or below this ordinal were fed by the restore; the intake applies only those after it

    public LivePipelineService(LiveServiceOptions options, StreamerSettings settings, JournalDatabase journal, ExitOutbox outbox, IMessageBus bus,
        AlertPublisher alerts, ServiceStatus status, IHostApplicationLifetime lifetime, IServiceProvider services,
        TimeProvider time, ILogger<LivePipelineService> log, IMarketDataFeedFactory? feed = null, ServiceEvents? events = null,
        Metrics.StreamerMetrics? metrics = null)
    {
        _events = events;
        _actions = journal.Actions;
        _feedFactory = feed;
        _options = options;
        _settings = settings;
        _exits = journal.Exits;
        _fills = journal.Fills;
        _positions = journal.Positions;
        _outbox = outbox;
        _bus = bus;
        _alerts = alerts;
        _status = status;
        _lifetime = lifetime;
        _services = services;
        _time = time;
        _log = log;
        Symbols = new SymbolTable();
        Pipeline = new TickPipeline(options.Pipeline,
            Symbols, options.Books, new OutboxExitTarget(outbox, journal.Positions), new BusSnapshotTarget(bus, events));
        // ticks, shards, positions, exits by rule, the exit histograms: read from the pipeline's own counters (docs/metrics.md)
        if (metrics is not null) _ = new PipelineMetrics(metrics.Meter, Pipeline);
        // now, not at start: the heartbeat starts (and beats once) before this service does
        status.ExtraFields = WriteStatus;
    }

    public TickPipeline Pipeline { get; }

    public SymbolTable Symbols { get; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // before any evaluation: what the last run may have left on the stream only
        await AdoptFromStreamAsync(cancellationToken).ConfigureAwait(false);
        if (_outbox.MayHaveUnjournaledExits) return; // stopped while waiting for the stream: nothing may be evaluated
        _subscriptions.Add(Pipeline.Alerts.Subscribe(a => _alerts.Raise(a.Kind, a.Message, a.Key, a.Details)));
        _subscriptions.Add(Pipeline.FeedStatus.Subscribe(s => LogFeed(_log, s.Name())));
        _intake = _services.GetRequiredService<ExecutionIntakeService>();
        _intake.FillRecorded += OnFill;
        _intake.FillDuplicate += OnDuplicateFill;
        Pipeline.Exits.Delivered += OnExitJournaled;
        Pipeline.Exits.ChangeRecorded += OnChangeJournaled;

        Pipeline.Start();
        if (_feedFactory is { } factory)
        {
            _alpaca = factory.Create(Symbols, _options.Pipeline.StaleAfter);
            _alpaca.Alert += a => _alerts.Raise(a.FeedDown ? AlertPublisher.Kinds.FeedDown : "market_data", a.Message, a.Code);
        }
        RestorePositions();

        if (_settings.FeedTape is { } tape)
        {
            _source = Pipeline.RunSourceAsync(new TapeTickSource(tape, Symbols));
            _ = _source.ContinueWith(t => TapeEnded(t), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            if (_options.ExitWhenDone) _finish = FinishWhenDoneAsync(_source);
        }
        else if (_alpaca is not null)
        {
            _source = Pipeline.RunSourceAsync(_alpaca);
        }
        else
        {
            LogNoFeed(_log);
        }
        _statusTimer = new Timer(_ => SyncStatus(), null, TimeSpan.Zero, TimeSpan.FromMilliseconds(200));
        StartStateSaving(_options.StateSaveInterval);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_finish is not null) await _finish.ConfigureAwait(false); // it sees the cancellation and returns
        if (_statusTimer is not null) await _statusTimer.DisposeAsync().ConfigureAwait(false);
        if (_intake is not null)
        {
            _intake.FillRecorded -= OnFill;
            _intake.FillDuplicate -= OnDuplicateFill;
        }
        Pipeline.Exits.Delivered -= OnExitJournaled;
        Pipeline.Exits.ChangeRecorded -= OnChangeJournaled;
        // the sources stop (the Alpaca streams too), and every exit decided reaches the journal (and the outbox) before the host goes on stopping
        await StopStateSavingAsync().ConfigureAwait(false); // the engines' last word before the shards stop
        await Pipeline.StopAsync().ConfigureAwait(false);
        // every exit decided is journaled now (or never will be: the journal failed): the next start need not read the stream
        _outbox.MarkStoppedCleanly();
        if (_alpaca is not null) await _alpaca.DisposeAsync().ConfigureAwait(false);
        SyncStatus();
        var drain = Stopwatch.StartNew();
        while (_outbox.Backlog > 0 && _bus.IsConnected && drain.Elapsed < _options.DrainTimeout)
            await Task.Delay(20, CancellationToken.None).ConfigureAwait(false);
        if (_outbox.Backlog > 0) LogUndelivered(_log, _outbox.Backlog);
        foreach (var s in _subscriptions) s.Dispose();
        _subscriptions.Clear();
    }

    public async ValueTask DisposeAsync()
    {
        // the container holds this twice (the singleton and the hosted service resolved from it)
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await Pipeline.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    // ------------------------------------------------------------------ positions

    /// <summary>Sends a position to its shard (and, live, subscribes its symbols). A refusal is an alert.</summary>
    /// <param name="paused">its rules start paused (the journal's last pause/resume of it was a pause).</param>
    public void Monitor(PositionSpec spec, PositionState? state, string source, bool paused = false)
    {
        Task<string?> added;
        try
        {
            added = Pipeline.AddPositionAsync(spec, state, paused);
        }
        catch (ConfigException e)
        {
            _alerts.Raise(AlertPublisher.Kinds.RejectedInput, $"{source}: {e.Message}", spec.Id, [new("position_id", spec.Id)]);
            return;
        }
        if (_alpaca is not null)
        {
            lock (_subscribed) _subscribed[spec.Id] = spec;
            _ = _alpaca.SubscribeAsync(spec);
            _ = WatchAddAsync(added, spec.Id);
        }
    }

    // a closed position needs no market data: its symbols leave the feed (others holding them keep them: ref-counted)
    private void OnExitJournaled(Streamer.Stream.Pipeline.PendingExit exit, Streamer.Stream.Pipeline.ExitSubmitOutcome outcome)
    {
        if (exit.ClosesPosition) Unsubscribe(exit.PositionId);
        // decided this run (not a tape's replayed decision the journal had already): in-process watchers see it as NATS will
        if (outcome is ExitSubmitOutcome.Accepted or ExitSubmitOutcome.AcceptedOverCapacity) _events?.OnExit(exit.Payload);
    }

    /// <summary>Pauses or resumes a position's rules on its shard (in order with its ticks); false when no shard has it.</summary>
    public async Task<bool> SetPausedAsync(string positionId, bool paused)
    {
        var answers = await Pipeline.QueryAsync(e => e.SetPaused(positionId, paused)).ConfigureAwait(false);
        return Array.IndexOf(answers, true) >= 0;
    }

    /// <summary>An operator's close now, on the position's shard (<see cref="TickPipeline.CloseNowAsync"/>).</summary>
    public Task<CloseNowResult> CloseNowAsync(string positionId, string actor) => Pipeline.CloseNowAsync(positionId, actor);

    private void OnChangeJournaled(PositionChange change)
    {
        if (change.State.Closed) Unsubscribe(change.PositionId);
    }

    private async Task WatchAddAsync(Task<string?> added, string id)
    {
        // the shard raised the alert already; the feed need not carry its symbols any longer
        if (await added.ConfigureAwait(false) is not null) Unsubscribe(id);
    }

    public void StopMonitoring(string id)
    {
        Unsubscribe(id);
        _ = Pipeline.RemovePositionAsync(id);
    }

    private void Unsubscribe(string id)
    {
        if (_alpaca is null) return;
        PositionSpec? spec;
        lock (_subscribed) _subscribed.Remove(id, out spec);
        if (spec is not null) _ = _alpaca.UnsubscribeAsync(spec);
    }

    /// <summary>
    /// The journal's open positions, then the file's positions the journal has never seen (journaled
    /// now, so the next start finds them there). A file position the journal has (open or closed) is
    /// left to the journal.
    /// </summary>
    private void RestorePositions()
    {
        // the executions intake is live already (the client subscribes at once): a fill it journals while the restore runs
        // waits at the gate, and is applied after it, once: by the restore when the restore read it (ordinal <= the cut),
        // else by the intake. A fill for a position the restore has not monitored yet is never turned away.
        lock (_fillGate)
        {
            long through = _fills.LastOrdinal();
            RestorePositions(through);
            _restoredThrough = through;
        }
    }

    private void RestorePositions(long through)
    {
        var known = _positions.LoadOpenPositions().Select(p => p.Id).ToHashSet(StringComparer.Ordinal);
        long now = NowNs();
        foreach (var f in _options.FilePositions)
        {
            if (known.Contains(f.Spec.Id)) continue;
            // a new id is journaled open; an id closed before keeps its status (and is not monitored again)
            _positions.UpsertPosition(f.Id, f.Json, now);
        }
        var fileSpecs = _options.FilePositions.ToDictionary(f => f.Spec.Id, f => f, StringComparer.Ordinal);
        bool restore = _options.RestoreState;
        int restored = 0;
        // an operator's pause outlives a restart: the journal's last pause/resume of each position decides
        var paused = _actions.PausedPositions();
        foreach (var p in _positions.LoadOpenPositions())
        {
            PositionSpec spec;
            try
            {
                spec = fileSpecs.TryGetValue(p.Id, out var f) && f.Json == p.DefinitionJson
                    ? f.Spec
                    : PositionsFile.ParseOne(p.DefinitionJson, $"journal position '{p.Id}'");
            }
            catch (ConfigException e)
            {
                _alerts.Raise(AlertPublisher.Kinds.RejectedInput, $"journal: {e.Message}", p.Id, [new("position_id", p.Id)]);
                continue;
            }
            PositionState? state = null;
            if (restore)
            {
                try
                {
                    state = SavedState(p.Id);
                }
                catch (FormatException e)
                {
                    _alerts.Raise(AlertPublisher.Kinds.JournalError, e.Message, p.Id, [new("position_id", p.Id)]);
                    continue;
                }
            }
            Monitor(spec, state, "journal", paused.Contains(p.Id));
            // fills journaled after the state (a crash before their resize reached the journal, or a spread's basket still filling)
            if (restore)
                foreach (var fill in _fills.FillsToApply(p.Id, state?.FillWatermark ?? 0))
                    if (fill.Ordinal <= through) ApplyToMonitored(fill);
            restored++;
        }
        LogRestored(_log, restored, restore ? "with their journaled state" : "re-derived from the tape");
        // a crash after a fill was journaled and before the position it opens was: open it now (a resend would be a duplicate)
        var registry = _services.GetRequiredService<IPositionRegistry>();
        foreach (var orphan in _fills.OrphanFills().Where(f => f.Ordinal <= through).GroupBy(f => (f.PositionId, ExecutionIntakeService.ExecutionId(f))))
        {
            if (registry.Contains(orphan.Key.PositionId)) ApplyUnconsumed(orphan);
            else OpenFromFills(registry, [.. orphan]);
        }
    }

    /// <summary>The position's journaled state (contracts, tranches, next sequence), or null when it has none.</summary>
    internal PositionState? SavedStateOf(string id) => SavedState(id);

    private PositionState? SavedState(string id)
    {
        if (!_positions.TryLoadPositionState(id, out var json)) return null;
        var state = PositionStateJson.Parse(json, id);
        // the journal's exits are the authority on sequences
        var next = _exits.NextExitSequence(id);
        return next > state.NextSequence ? state with { NextSequence = (int)next } : state;
    }

    /// <summary>
    /// A fill for a position nobody monitors opens it: one leg (symbol, qty, entry price = fill price),
    /// opened at the fill's time, book from the fill's optional <c>book</c> (else <c>Intake:DefaultBook</c>),
    /// optional <c>stop_underlying</c>/<c>target_underlying</c>/<c>underlying_entry</c>. A fill for a
    /// monitored position grows or reduces it on its shard (the engine's fill basket: legs of a spread
    /// add up to whole strategy units first). A fill with <c>exit_id</c> confirms that exit's order:
    /// the engine took those contracts off when it decided the exit, so nothing changes.
    /// </summary>
    private void OnFill(IReadOnlyList<FillRecord> fills)
    {
        var first = fills[0];
        if (first.ExitId is { } exitId)
        {
            var id = ExecutionIntakeService.ExecutionId(first);
            if (_exits.FindExit(exitId) is null)
                _alerts.Raise(AlertPublisher.Kinds.RejectedInput, $"fill '{id}' names exit '{exitId}', which was never decided: journaled, nothing changed", "exit|" + id,
                    [new("fill_id", id), new("exit_id", exitId), new("position_id", first.PositionId)]);
            else LogExitFill(_log, id, exitId);
            return;
        }
        var registry = _services.GetRequiredService<IPositionRegistry>();
        lock (_fillGate)
        {
            if (fills[0].Ordinal <= _restoredThrough) fills = [.. fills.Where(f => f.Ordinal > _restoredThrough)]; // the restore fed these
            if (fills.Count == 0) return;
            first = fills[0];
            if (registry.Contains(first.PositionId))
            {
                ApplyUnconsumed(fills);
                return;
            }
            OpenFromFills(registry, fills);
        }
    }

    // a fill that already opened its position (or was rejected) is part of its definition: never a resize too
    private void ApplyUnconsumed(IEnumerable<FillRecord> fills)
    {
        foreach (var fill in fills)
            if (_fills.FillDisposition(fill.Id) is null) ApplyToMonitored(fill);
    }

    /// <summary>A position nobody monitors, opened by an execution's legs (all of them: a resent multi-leg execution's journaled legs count too).</summary>
    private void OpenFromFills(IPositionRegistry registry, IReadOnlyList<FillRecord> fills)
    {
        var first = fills[0];
        var execution = ExecutionIntakeService.ExecutionId(first);
        if (execution != first.Id)
            fills = [.. _fills.Fills(first.PositionId).Where(f => ExecutionIntakeService.ExecutionId(f) == execution && _fills.FillDisposition(f.Id) is null)];
        string? error;
        try
        {
            var definition = PositionFromFills(fills, _options.DefaultBook);
            error = registry.Add(definition, [.. fills.Select(f => f.Id)]);
        }
        catch (FormatException e)
        {
            error = e.Message;
        }
        if (error is not null)
            foreach (var fill in fills) RejectFill(fill, $"fill '{execution}' cannot open position '{first.PositionId}': {error}");
    }

    private void ApplyToMonitored(FillRecord fill)
    {
        if (fill.Quantity != Math.Floor(fill.Quantity) || Math.Abs(fill.Quantity) > int.MaxValue)
        {
            RejectFill(fill, $"fill '{fill.Id}' for position '{fill.PositionId}': qty {fill.Quantity.ToString(CultureInfo.InvariantCulture)} is not a whole number of contracts/shares");
            return;
        }
        _ = ApplyAsync(fill);
    }

    private async Task ApplyAsync(FillRecord fill)
    {
        FillResult result;
        try
        {
            result = await Pipeline.ApplyFillAsync(fill, (long)fill.Quantity).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // a fill that could not be applied is an alert, never a crash; it stays journaled and is fed again at the next start
        catch (Exception e)
#pragma warning restore CA1031
        {
            _alerts.Raise(AlertPublisher.Kinds.RejectedInput, $"fill '{fill.Id}' for position '{fill.PositionId}' not applied now ({e.Message}): it stays journaled and is applied at the next start", "fill|" + fill.Id,
                [new("fill_id", fill.Id), new("position_id", fill.PositionId)]);
            return;
        }
        switch (result.Effect)
        {
            case FillEffect.Rejected:
                RejectFill(fill, $"fill '{fill.Id}' for position '{fill.PositionId}' not applied: {result.Message}");
                break;
            case FillEffect.Held:
                LogFillHeld(_log, fill.Id, fill.PositionId);
                break;
            case FillEffect.Resized:
                LogFillResized(_log, fill.Id, fill.PositionId, result.Units);
                if (result.Message is { } warning)
                    _alerts.Raise(AlertPublisher.Kinds.PositionMismatch, warning, fill.PositionId, [new("fill_id", fill.Id), new("position_id", fill.PositionId)]);
                break;
        }
    }

    private void RejectFill(FillRecord fill, string message)
    {
        _alerts.Raise(AlertPublisher.Kinds.RejectedInput, message, fill.PositionId, [new("fill_id", fill.Id), new("position_id", fill.PositionId)]);
        try
        {
            _fills.SetFillDisposition(fill.Id, "rejected: " + message);
        }
        catch (Microsoft.Data.Sqlite.SqliteException e)
        {
            // the fill stays without a disposition: the next start feeds it again and rejects it again
            LogDispositionFailed(_log, fill.Id, e.Message);
        }
    }

    private void OnDuplicateFill(FillRecord fill) =>
        _alerts.Raise(AlertPublisher.Kinds.RejectedInput, $"fill '{fill.Id}' was already received: ignored (nothing changed)", "duplicate|" + fill.Id,
            [new("fill_id", fill.Id), new("position_id", fill.PositionId)]);

    /// <summary>
    /// The position opened by fills: one leg per fill (qty, entry price = fill price), opened at the first
    /// fill's time. Written in the journal's form and parsed once here, so the registry gets it typed.
    /// </summary>
    internal static PositionDefinition PositionFromFills(IReadOnlyList<FillRecord> fills, string defaultBook)
    {
        var first = fills[0];
        foreach (var fill in fills)
            if (fill.Quantity != Math.Floor(fill.Quantity)) throw new FormatException($"{fill.Symbol}: qty {fill.Quantity.ToString(CultureInfo.InvariantCulture)} is not a whole number of contracts/shares");
        string book = defaultBook;
        var levels = new List<(string Name, double Value)>();
        if (first.RawJson is { } raw)
        {
            using var doc = JsonDocument.Parse(raw);
            var r = doc.RootElement;
            if (r.TryGetProperty("book", out var b) && b.ValueKind == JsonValueKind.String) book = b.GetString()!;
            foreach (var name in (ReadOnlySpan<string>)["underlying_entry", "stop_underlying", "target_underlying"])
                if (r.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number) levels.Add((name, v.GetDouble()));
        }
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("id"u8, first.PositionId);
            w.WriteString("book"u8, book);
            w.WriteString("opened_at"u8, NanoTime.FormatRfc3339(first.TimeNs));
            foreach (var (name, value) in levels) w.WriteNumber(name, value);
            w.WriteStartArray("legs"u8);
            foreach (var fill in fills)
            {
                w.WriteStartObject();
                w.WriteString("symbol"u8, fill.Symbol);
                w.WriteNumber("qty"u8, (long)fill.Quantity);
                w.WriteNumber("entry_price"u8, fill.Price);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return PositionDefinition.Parse(Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    // ------------------------------------------------------------------ tape end, status

    private void TapeEnded(Task source)
    {
        _tapeEnded = true;
        if (source.Exception?.InnerException is Streamer.Feed.Tapes.TapeFormatException bad)
        {
            // checked whole at start, so the file changed under the run: refused as replay refuses it (exit 2), never a clean end after half of it
            LogTapeRefused(_log, bad.Message);
            Environment.ExitCode = 2;
            _lifetime.StopApplication();
            return;
        }
        LogTapeEnded(_log, Pipeline.Ingress.Ticks, Pipeline.PositionCount);
    }

    /// <summary><c>Feed:ExitWhenDone</c>: the tape consumed, every decided exit journaled and acked on NATS → stop the host.</summary>
    private async Task FinishWhenDoneAsync(Task source)
    {
        try
        {
            // a stop (Ctrl+C) while the tape runs: StopAsync ends the source after this returns
            await source.WaitAsync(_stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }
#pragma warning disable CA1031 // the source's failure is already an alert; stopping is what is asked
        catch (Exception)
#pragma warning restore CA1031
        {
        }
        if (_stopping.IsCancellationRequested) return;
        await StopStateSavingAsync().ConfigureAwait(false); // the peaks reached since the last round, before the engines go
        await Pipeline.StopAsync().ConfigureAwait(false);
        while (_outbox.Backlog > 0 && !_stopping.IsCancellationRequested)
            await Task.Delay(20, CancellationToken.None).ConfigureAwait(false);
        if (_stopping.IsCancellationRequested) return;
        LogDone(_log, _outbox.Published);
        _lifetime.StopApplication();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Feed:Tape: {Error}: the run stops (exit 2); the exits decided before that row stand")]
    private static partial void LogTapeRefused(ILogger logger, string error);

    /// <summary>
    /// "Now" as the feed sees it: the tape's time on a tape (long.MinValue before its first tick), the
    /// latest tick's time on a live feed (on its own clock with Alpaca:MarketClockSpeed, else its stamp), else (connecting) the wall clock; long.MinValue without a feed.
    /// </summary>
    public long FeedNowNs
    {
        get
        {
            if (_settings.FeedTape is not null) return Pipeline.Ingress.TapeNowNs;
            // a live feed on the feed's own clock (Alpaca:MarketClockSpeed, the emulator): its ticks' time, not the wall's
            long fed = Pipeline.Ingress.TapeNowNs;
            if (fed != long.MinValue) return fed;
            long last = Pipeline.Ingress.LastTickNs;
            if (last != long.MinValue) return last;
            return _feedFactory is null ? long.MinValue : NanoTime.FromDateTime(_time.GetUtcNow().UtcDateTime);
        }
    }

    private void SyncStatus()
    {
        try
        {
            if (++_syncs % 25 == 0) CheckFeedTime(); // every 5 s
            long ticks = Pipeline.Ingress.Ticks;
            long delta = ticks - Interlocked.Exchange(ref _ticksReported, ticks);
            if (delta > 0) _status.RecordTicks(delta);
            _status.PositionsMonitored = Pipeline.OpenPositionCount;
        }
#pragma warning disable CA1031 // a timer callback must never take the process down
        catch (Exception e)
#pragma warning restore CA1031
        {
            Trace.TraceError("status sync failed: " + e);
        }
    }

    /// <summary>
    /// On the wall clock, a live feed stamped well behind now (a delayed feed, the emulator replaying a
    /// recorded day) makes every mark look stale the moment a time rule moves the clock to now: price
    /// rules would never fire. Say so, and what to set.
    /// </summary>
    private void CheckFeedTime()
    {
        if (_alpaca is null || Pipeline.Options.Clock != ClockMode.Wall) return;
        long last = Pipeline.Ingress.LastTickNs;
        if (last == long.MinValue) return;
        var behind = TimeSpan.FromTicks((NowNs() - last) / 100);
        if (behind <= Pipeline.Options.StaleAfter + TimeSpan.FromSeconds(30)) return;
        _alerts.Raise(AlertPublisher.Kinds.ClockSkew,
            $"the feed's quotes are stamped {behind.TotalMinutes:0.#} min behind the wall clock: on the wall clock their marks turn stale at the next time-rule wake and price rules stop firing; for a delayed feed or the emulator set Alpaca:MarketClockSpeed (docs/run.md)",
            "feed", [new("behind_seconds", Math.Round(behind.TotalSeconds).ToString(CultureInfo.InvariantCulture))]);
    }

    /// <summary>The heartbeat's pipeline fields: feed, feed_source, last_tick_age_s, ticks_total, monitoring, exits_decided, ...</summary>
    private void WriteStatus(Utf8JsonWriter w)
    {
        var s = Pipeline.Status();
        w.WriteString("feed"u8, _tapeEnded ? "ended" : s.Feed.Name());
        w.WriteString("feed_source"u8, _settings.FeedTape is not null ? "tape" : _alpaca is not null ? "alpaca" : "none");
        // each connection of a feed made of several (Alpaca: stocks and options): which one is down
        if (_alpaca is IFeedStreams streams)
        {
            w.WriteStartObject("feeds"u8);
            foreach (var (name, state) in streams.Streams) w.WriteString(name, state.Name());
            w.WriteEndObject();
        }
        if (Pipeline.Feed.AnyTick) w.WriteNumber("last_tick_age_s"u8, Math.Round(Stopwatch.GetElapsedTime(Pipeline.Feed.LastTickTimestamp).TotalSeconds, 3));
        else w.WriteNull("last_tick_age_s"u8);
        w.WriteNumber("ticks_total"u8, s.TicksIn);
        w.WriteString("monitoring"u8, s.Monitoring);
        w.WriteNumber("positions_waiting_for_tape"u8, s.PositionsWaitingForTape);
        w.WriteNumber("unmonitored_positions"u8, s.UnmonitoredPositions);
        w.WriteNumber("exits_decided"u8, s.ExitsDecided);
        w.WriteNumber("shard_stalls"u8, s.ShardStalls);
        w.WriteNumber("tick_to_decision_p99_ns"u8, s.TickToDecisionP99Ns);
        w.WriteString("exit_durability"u8, _settings.Exits.Durability);
        w.WriteBoolean("publish_first_lane_open"u8, _outbox.LaneOpen);
        w.WriteNumber("exits_sent_first"u8, _outbox.PublishedFirst);
        w.WriteNumber("exits_journal_first"u8, _outbox.FellBackToJournalFirst);
    }

    private long NowNs() => NanoTime.FromDateTime(_time.GetUtcNow().UtcDateTime);

    [LoggerMessage(Level = LogLevel.Information, Message = "feed: {State}")]
    private static partial void LogFeed(ILogger logger, string state);

    [LoggerMessage(Level = LogLevel.Warning, Message = "no market data configured (neither Feed:Tape nor Alpaca:DataUrl): positions are monitored but nothing will tick")]
    private static partial void LogNoFeed(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Count} positions monitored from the journal, {How}")]
    private static partial void LogRestored(ILogger logger, int count, string how);

    [LoggerMessage(Level = LogLevel.Information, Message = "tape ended after {Ticks} ticks; {Positions} positions stay monitored (the tape clock stopped at its last tick)")]
    private static partial void LogTapeEnded(ILogger logger, long ticks, int positions);

    [LoggerMessage(Level = LogLevel.Information, Message = "Feed:ExitWhenDone: tape consumed and every exit acked ({Published} published this run); stopping")]
    private static partial void LogDone(ILogger logger, long published);

    [LoggerMessage(Level = LogLevel.Warning, Message = "stopping with {Backlog} exits not yet acked by NATS: they stay in the journal and are published at the next start")]
    private static partial void LogUndelivered(ILogger logger, int backlog);

    [LoggerMessage(Level = LogLevel.Warning, Message = "fill '{FillId}': its rejection was not journaled ({Reason})")]
    private static partial void LogDispositionFailed(ILogger logger, string fillId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "fill '{FillId}' confirms exit '{ExitId}' (contracts already taken off)")]
    private static partial void LogExitFill(ILogger logger, string fillId, string exitId);

    [LoggerMessage(Level = LogLevel.Information, Message = "fill '{FillId}' held for position '{PositionId}': its legs do not yet add up to whole strategy units")]
    private static partial void LogFillHeld(ILogger logger, string fillId, string positionId);

    [LoggerMessage(Level = LogLevel.Information, Message = "fill '{FillId}' resized position '{PositionId}' by {Units} units")]
    private static partial void LogFillResized(ILogger logger, string fillId, string positionId, int units);
}
