using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Streamer.Rules.Books;
using Streamer.Rules.Engine;
using Streamer.Rules.Instruments;
using Streamer.Rules.Positions;
using Streamer.Stream.Contracts;
namespace Streamer.Stream.Pipeline;

/// <summary>
/// One shard: a bounded lock-free ring (<see cref="ShardRing"/>: ticks, virtual clock steps and intake commands, in arrival order)
/// drained by one dedicated thread that alone owns an <see cref="ExitEngine"/> with the positions of
/// its underlyings, so the tick path takes no lock. Between items the thread fires the engine's time
/// rules from the clock (wall or scaled: it sleeps until <see cref="ExitEngine.NextWakeNs"/>; virtual:
/// ticks and clock items carry the time). Exits leave serialized into pooled buffers for the
/// dispatcher; snapshots leave throttled per underlying. Nothing here allocates per tick.
/// </summary>
public sealed class Shard
{
    private static readonly double NsPerStopwatchTick = 1e9 / Stopwatch.Frequency;
    private const int BatchLimit = 256;

    private readonly ExitEngine _engine;
    private readonly ShardRing _ring;
    private readonly PipelineClock _clock;
    private readonly ExitDispatcher _dispatcher;
    private readonly PipelineOptions _options;
    private readonly Action<PipelineAlert> _alert;
    private readonly SymbolTable _symbols;
    private readonly Thread _thread;
    private readonly IdleSignal _signal = new();

    // per-tick diagnostics (single writer: this thread; status and heartbeat read them from others)
    private readonly SharedLatencyHistogram _tickToDone = new();
    private readonly SharedLatencyHistogram _exitLatency = new();
    private ShardCounters _counters; // written per tick by this thread only, padded off the fields posting threads read
    private long _stalls;
    private long _failures;
    private long _stallTicks;
    private long _allocatedOnTicks;
    private long _lastStallAlert;
    // exits decided per rule (index = RuleId): written per exit by this thread, read by the metrics' callbacks
    private readonly long[] _exitsByRule = new long[Enum.GetValues<RuleId>().Length];

    // exit serialization (reused)
    private readonly ArrayBufferWriter<byte> _json = new(64 * 1024); // sized once: exits and snapshots of ~150 positions per underlying
    private readonly Utf8JsonWriter _jsonWriter;
    private long _currentIngress;

    // what the shard monitors, for snapshots and unmonitored detection (cold structures, read per tick by index)
    private long[] _lastSeen = new long[64];                  // symbol id → Stopwatch ts of its last tick (0: never)
    private long[] _nextSnapshot = [];                       // underlying id → Stopwatch ts of the next snapshot allowed (MaxValue: none)
    private readonly Dictionary<int, SnapshotSlot> _snapshotSlots = [];
    private readonly Dictionary<int, List<string>> _byUnderlying = [];
    private readonly Dictionary<string, Tracked> _tracked = new(StringComparer.Ordinal);
    private readonly long _snapshotIntervalTicks;
    private readonly long _unmonitoredTicks;
    private readonly long _housekeepingTicks;
    private readonly IdleWait _wait;
    private long _nextHousekeeping;
    private int _openPositions;
    private int _unmonitored;

    private sealed class Tracked(PositionSpec spec, int underlyingId, int[] symbolIds, long addedTs)
    {
        public PositionSpec Spec => spec;
        public int UnderlyingId => underlyingId;
        public int[] SymbolIds => symbolIds;
        public long AddedTs => addedTs;
        public bool Confirmed;
        public bool Alerted;
    }

    public Shard(int index, SymbolTable symbols, BookSet books, PipelineClock clock, ExitDispatcher dispatcher, PipelineOptions options, Action<PipelineAlert> alert)
    {
        Index = index;
        _symbols = symbols;
        _engine = new ExitEngine(symbols, books);
        _clock = clock;
        _dispatcher = dispatcher;
        _options = options;
        _alert = alert;
        _ring = new ShardRing(options.ShardCapacity);
        _jsonWriter = new Utf8JsonWriter(_json);
        _snapshotIntervalTicks = options.SnapshotInterval > TimeSpan.Zero ? (long)(options.SnapshotInterval.TotalSeconds * Stopwatch.Frequency) : long.MaxValue;
        _unmonitoredTicks = (long)(options.UnmonitoredAfter.TotalSeconds * Stopwatch.Frequency);
        _housekeepingTicks = (long)(options.HousekeepingInterval.TotalSeconds * Stopwatch.Frequency);
        _wait = options.Wait;
        _thread = new Thread(Run) { IsBackground = true, Name = $"streamer-shard-{index}" };
    }

    public int Index { get; }

    /// <summary>The shard's engine: touch it only from the shard thread (commands, the exit sink).</summary>
    internal ExitEngine Engine => _engine;

    /// <summary>Measure allocations on the shard thread around tick processing (tests, diagnostics).</summary>
    public bool MeasureAllocations { get; set; }

    public long Ticks => Volatile.Read(ref _counters.Ticks);
    public long ClockEvents => Volatile.Read(ref _counters.ClockEvents);
    public long Exits => Volatile.Read(ref _counters.Exits);
    /// <summary>exits this shard decided by <paramref name="rule"/> (any thread).</summary>
    public long ExitsOf(RuleId rule) => (int)rule < _exitsByRule.Length ? Volatile.Read(ref _exitsByRule[(int)rule]) : 0;
    public int QueueLength => _ring.Count;
    /// <summary>Writers that found this shard's channel full and waited.</summary>
    public long Stalls => Interlocked.Read(ref _stalls);
    public TimeSpan StallTime => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _stallTicks));
    /// <summary>Bytes allocated on the shard thread while processing ticks (only when <see cref="MeasureAllocations"/>).</summary>
    public long AllocatedBytesOnTicks => Volatile.Read(ref _allocatedOnTicks);
    /// <summary>Positions whose symbols had no data within <see cref="PipelineOptions.UnmonitoredAfter"/> of being added.</summary>
    public int UnmonitoredPositions => Volatile.Read(ref _unmonitored);
    public int Positions { get; private set; }

    /// <summary>Adds the shard's tick → decision latency (ingress to processed, queueing included) into <paramref name="into"/> (any thread).</summary>
    public void CopyTickLatency(HdrHistogram.HistogramBase into) => _tickToDone.AddTo(into);

    /// <summary>Tick (or clock event) in → exit decision out, per exit (any thread).</summary>
    public void CopyExitLatency(HdrHistogram.HistogramBase into) => _exitLatency.AddTo(into);

    public void Start() => _thread.Start();

    // ------------------------------------------------------------------ writers (any thread)

    /// <summary>Posts a command; when the shard is stopped the command is abandoned (its caller's task completes).</summary>
    public void PostCommand(ShardCommand command)
    {
        long waited = _ring.WriteCommand(ShardItem.ForCommand(command));
        if (waited < 0)
        {
            command.Abandon();
            return;
        }
        if (waited > 0) OnStall(waited);
        _signal.Wake();
    }

    /// <summary>Posts an item; waits (measured, counted) while the ring is full. False once the shard is stopping.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Post(in ShardItem item)
    {
        long waited = _ring.Write(item);
        if (waited != 0)
        {
            if (waited < 0) return false;
            OnStall(waited);
        }
        _signal.Wake();
        return true;
    }

    /// <summary>No more items; the thread drains what is queued and ends. Returns when it has.</summary>
    public void Stop()
    {
        _ring.Complete();
        _signal.WakeAlways();
        if (_thread.IsAlive) _thread.Join();
        // a command that raced the stop is abandoned (its caller's task completes), never left waiting
        _ring.ReaderEnded(static item => item.Command?.Abandon());
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void OnStall(long ticks)
    {
        long n = Interlocked.Increment(ref _stalls);
        Interlocked.Add(ref _stallTicks, ticks);
        long now = Stopwatch.GetTimestamp();
        long last = Interlocked.Read(ref _lastStallAlert);
        if ((last == 0 || now - last > Stopwatch.Frequency * 5) && Interlocked.CompareExchange(ref _lastStallAlert, now, last) == last)
            _alert(new PipelineAlert(PipelineAlert.Kinds.Backpressure,
                $"shard {Index} channel full (capacity {_options.ShardCapacity}): a writer waited {Stopwatch.GetElapsedTime(0, ticks).TotalMilliseconds:0.###} ms ({n} waits so far, {StallTime.TotalMilliseconds:0.###} ms in all)",
                "shard-" + Index.ToString(CultureInfo.InvariantCulture),
                [new("shard", Index.ToString(CultureInfo.InvariantCulture)), new("waits", n.ToString(CultureInfo.InvariantCulture))]));
    }

    // ------------------------------------------------------------------ the shard thread

    private void Run()
    {
        var sink = new ShardSink(this);
        _nextHousekeeping = Stopwatch.GetTimestamp() + _housekeepingTicks;
        while (true)
        {
            int n = 0;
            long allocBefore = MeasureAllocations ? GC.GetAllocatedBytesForCurrentThread() : 0;
            long commandAlloc = 0;
            while (n < BatchLimit && _ring.TryRead(out var item))
            {
                n++;
                try
                {
                    switch (item.Kind)
                    {
                        case ShardItemKind.Tick:
                            OnTick(in item, ref sink);
                            break;
                        case ShardItemKind.Clock:
                            _currentIngress = item.IngressTimestamp;
                            _engine.OnClock(item.Tick.TimeNs, ref sink);
                            _counters.ClockEvents++;
                            break;
                        default:
                            long before = MeasureAllocations ? GC.GetAllocatedBytesForCurrentThread() : 0;
                            item.Command!.Execute(this);
                            Volatile.Write(ref _openPositions, _engine.OpenPositionCount); // an add, a remove or a fill may change it
                            if (MeasureAllocations) commandAlloc += GC.GetAllocatedBytesForCurrentThread() - before;
                            break;
                    }
                }
#pragma warning disable CA1031 // nothing one item does may end the shard (and with it the process): it is alerted and the next item goes on
                catch (Exception e)
#pragma warning restore CA1031
                {
                    OnItemFailed(in item, e);
                }
            }
            if (MeasureAllocations && n > 0) Volatile.Write(ref _allocatedOnTicks, _allocatedOnTicks + GC.GetAllocatedBytesForCurrentThread() - allocBefore - commandAlloc);

            long nowNs = _clock.NowNs();
            long nowTs = Stopwatch.GetTimestamp();
            try
            {
                if (nowNs != long.MinValue && nowNs >= _engine.NextWakeNs) FireClock(nowNs, ref sink);
                if (nowTs >= _nextHousekeeping) Housekeeping(nowTs);
            }
#pragma warning disable CA1031 // the time rules' or housekeeping's failure is alerted; the shard goes on
            catch (Exception e)
#pragma warning restore CA1031
            {
                OnItemFailed(ShardItem.ForClock(nowNs, nowTs), e);
                _nextHousekeeping = nowTs + _housekeepingTicks;
            }
            if (n > 0) continue;
            if (_ring.IsDone) return;
            Sleep(nowNs, nowTs);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void OnTick(in ShardItem item, ref ShardSink sink)
    {
        ref readonly var tick = ref item.Tick;
        _currentIngress = item.IngressTimestamp;
        _engine.OnTick(in tick, ref sink);
        long done = Stopwatch.GetTimestamp();
        _tickToDone.Record((long)((done - item.IngressTimestamp) * NsPerStopwatchTick));
        Volatile.Write(ref _counters.Ticks, _counters.Ticks + 1);
        int id = tick.SymbolId;
        if ((uint)id >= (uint)_lastSeen.Length) GrowSeen(id);
        _lastSeen[id] = done;
        int underlying = _symbols.UnderlyingOf(id);
        if ((uint)underlying < (uint)_nextSnapshot.Length && done >= _nextSnapshot[underlying]) WriteSnapshot(underlying, done);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void FireClock(long nowNs, ref ShardSink sink)
    {
        _currentIngress = Stopwatch.GetTimestamp();
        _engine.OnClock(nowNs, ref sink);
        _counters.ClockEvents++;
    }

    private void Sleep(long nowNs, long nowTs)
    {
        // spin (then yield) first: a tick arriving meanwhile is taken without a wake-up (tens of µs)
        if (_wait.AwaitWork(static r => r.HasItem() || r.IsCompleted, _ring)) return;
        nowTs = Stopwatch.GetTimestamp();
        int timeout = _clock.MillisecondsUntil(_engine.NextWakeNs, nowNs);
        int housekeeping = (int)Math.Max(1, (_nextHousekeeping - nowTs) * 1000 / Stopwatch.Frequency);
        timeout = Math.Min(timeout, housekeeping);
        _signal.Sleep(timeout, static r => r.HasItem() || r.IsCompleted, _ring);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void OnItemFailed(in ShardItem item, Exception e)
    {
        long n = Interlocked.Increment(ref _failures);
        string what = item.Kind switch
        {
            ShardItemKind.Tick => $"a tick of {(item.Tick.SymbolId > 0 && item.Tick.SymbolId <= _symbols.Count ? _symbols[item.Tick.SymbolId] : "symbol #" + item.Tick.SymbolId.ToString(CultureInfo.InvariantCulture))} at {item.Tick.TimeNs.ToString(CultureInfo.InvariantCulture)} ns",
            ShardItemKind.Clock => $"the clock step to {item.Tick.TimeNs.ToString(CultureInfo.InvariantCulture)} ns",
            _ => $"the command {item.Command?.GetType().Name}",
        };
        if (item.Command is { } command) command.Abandon();
        _alert(new PipelineAlert(PipelineAlert.Kinds.EngineError,
            $"shard {Index}: {what} failed and was skipped ({e.GetType().Name}: {e.Message}); the shard goes on ({n} so far)",
            "shard-" + Index.ToString(CultureInfo.InvariantCulture), [new("shard", Index.ToString(CultureInfo.InvariantCulture)), new("error", e.GetType().Name)]));
    }

    /// <summary>Items whose processing threw (skipped and alerted; the shard went on).</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>Positions on this shard still open (not closed by exits or fills, not removed): as of its last command or housekeeping round.</summary>
    public int OpenPositions => Volatile.Read(ref _openPositions);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void GrowSeen(int id) => Array.Resize(ref _lastSeen, Math.Max(id + 1, _lastSeen.Length * 2));

    // ------------------------------------------------------------------ exits (shard thread, from the engine's sink)

    internal void Emit(in ExitDecision d)
    {
        long decided = Stopwatch.GetTimestamp();
        long latencyNs = (long)((decided - _currentIngress) * NsPerStopwatchTick);
        _exitLatency.Record(latencyNs);
        _json.ResetWrittenCount();
        _jsonWriter.Reset(_json);
        ExitEventJson.Write(_jsonWriter, d, _options.LatencyInPayload ? latencyNs : 0);
        _jsonWriter.Flush();
        var written = _json.WrittenSpan;
        var buffer = _dispatcher.Buffers.Rent(written.Length);
        written.CopyTo(buffer);
        var state = d.StateAfter;
        Volatile.Write(ref _counters.Exits, _counters.Exits + 1);
        if ((int)d.Rule < _exitsByRule.Length) Volatile.Write(ref _exitsByRule[(int)d.Rule], _exitsByRule[(int)d.Rule] + 1);
        _dispatcher.PostExit(new ExitMessage
        {
            Buffer = buffer,
            Length = written.Length,
            PositionId = d.PositionId,
            Sequence = d.Sequence,
            Underlying = d.Underlying,
            TimeNs = d.TimeNs,
            Rule = d.Rule,
            State = state,
            LatencyNs = latencyNs,
            Shard = Index,
            DecidedTimestamp = decided,
        });
    }

    // ------------------------------------------------------------------ intake (shard thread, cold)

    internal void Add(PositionSpec spec, PositionState? state, long tapeClockNs, bool paused = false)
    {
        // replay's rule: a position joins when the tape reaches its opened_at, and the clock gets there first
        if (tapeClockNs != long.MinValue)
        {
            long target = Math.Max(tapeClockNs, spec.OpenedAtNs);
            if (_engine.ClockNs == long.MinValue || target > _engine.ClockNs)
            {
                var sink = new ShardSink(this);
                _currentIngress = Stopwatch.GetTimestamp();
                _engine.OnClock(target, ref sink);
                _counters.ClockEvents++;
            }
        }
        _engine.AddPosition(spec);
        if (paused) _engine.SetPaused(spec.Id, paused: true);
        if (state is { } s)
        {
            try
            {
                _engine.RestoreState(spec.Id, s);
            }
            catch
            {
                _engine.RemovePosition(spec.Id);
                throw;
            }
        }
        int underlying = _symbols.Intern(spec.Underlying);
        var ids = new List<int> { underlying };
        foreach (var leg in spec.Legs)
        {
            int id = _symbols.Intern(leg.Symbol);
            if (!ids.Contains(id)) ids.Add(id);
        }
        _tracked[spec.Id] = new Tracked(spec, underlying, [.. ids], Stopwatch.GetTimestamp());
        if (!_byUnderlying.TryGetValue(underlying, out var list)) _byUnderlying[underlying] = list = [];
        list.Add(spec.Id);
        if (underlying >= _nextSnapshot.Length)
        {
            int old = _nextSnapshot.Length;
            Array.Resize(ref _nextSnapshot, Math.Max(underlying + 1, old * 2));
            Array.Fill(_nextSnapshot, long.MaxValue, old, _nextSnapshot.Length - old);
        }
        if (_snapshotIntervalTicks != long.MaxValue && _nextSnapshot[underlying] == long.MaxValue) _nextSnapshot[underlying] = 0;
        Positions = _tracked.Count;
    }

    /// <summary>
    /// The operator's close now: the engine catches up to the shard's clock (time rules due by then fire
    /// first), then decides a <c>manual</c> exit for what is open, dispatched as any exit is.
    /// </summary>
    internal CloseNowResult CloseNow(string id, string actor)
    {
        var sink = new ShardSink(this);
        _currentIngress = Stopwatch.GetTimestamp();
        var outcome = _engine.CloseNow(id, _clock.NowNs(), actor, ref sink, out int sequence);
        // no tick made it: a snapshot now, so whoever watches sees the position closed without waiting for its underlying's next tick
        if (outcome == CloseNowOutcome.Closed && _tracked.TryGetValue(id, out var tracked) && _snapshotIntervalTicks != long.MaxValue)
            WriteSnapshot(tracked.UnderlyingId, Stopwatch.GetTimestamp());
        return new CloseNowResult(outcome, outcome == CloseNowOutcome.Closed ? string.Create(CultureInfo.InvariantCulture, $"{id}:{sequence}") : null);
    }

    internal bool Remove(string id)
    {
        if (!_engine.RemovePosition(id)) return false;
        if (_tracked.Remove(id, out var t))
        {
            if (t.Alerted && !t.Confirmed) _unmonitored--;
            if (_byUnderlying.TryGetValue(t.UnderlyingId, out var list))
            {
                list.Remove(id);
                if (list.Count == 0)
                {
                    _byUnderlying.Remove(t.UnderlyingId);
                    _nextSnapshot[t.UnderlyingId] = long.MaxValue;
                }
            }
        }
        Positions = _tracked.Count;
        return true;
    }

    internal FillResult ApplyFill(Streamer.Stream.Pipeline.FillRecord fill, long quantity)
    {
        var result = _engine.ApplyFill(fill.PositionId, fill.Symbol, quantity, fill.Price, fill.Ordinal);
        if (result.Effect != FillEffect.Resized) return result;
        _engine.TryGetState(fill.PositionId, out var state);
        var legs = _engine.DefinitionLegs(fill.PositionId)!;
        var underlying = _tracked.TryGetValue(fill.PositionId, out var t) ? t.Spec.Underlying : "";
        long at = _engine.ClockNs == long.MinValue ? fill.TimeNs : Math.Max(_engine.ClockNs, fill.TimeNs);
        _dispatcher.PostExit(ExitMessage.ForChange(new Streamer.Stream.Pipeline.PositionChange(fill.PositionId, state, legs, at), underlying, Index));
        return result;
    }

    internal void RaiseRejected(string positionId, string message) =>
        _alert(new PipelineAlert(PipelineAlert.Kinds.RejectedInput, $"position '{positionId}' not monitored: {message}", positionId, [new("position_id", positionId)]));

    // ------------------------------------------------------------------ slow signals (shard thread)

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Housekeeping(long nowTs)
    {
        _nextHousekeeping = nowTs + _housekeepingTicks;
        // an exit closes a position on the tick path; counted here, off it (the heartbeat's positions_monitored)
        Volatile.Write(ref _openPositions, _engine.OpenPositionCount);
        foreach (var t in _tracked.Values)
        {
            if (t.Confirmed) continue;
            // closed (by an exit or a fill) before its data came: it needs none, and its symbols may have left the feed
            if (_engine.TryGetState(t.Spec.Id, out var state) && state.Closed)
            {
                t.Confirmed = true;
                if (t.Alerted) _unmonitored--;
                continue;
            }
            bool all = true;
            foreach (int id in t.SymbolIds)
                if (id >= _lastSeen.Length || _lastSeen[id] < t.AddedTs) { all = false; break; }
            if (all)
            {
                t.Confirmed = true;
                if (t.Alerted) _unmonitored--;
                continue;
            }
            if (t.Alerted || nowTs - t.AddedTs < _unmonitoredTicks) continue;
            t.Alerted = true;
            _unmonitored++;
            var missing = new List<string>();
            foreach (int id in t.SymbolIds)
                if (id >= _lastSeen.Length || _lastSeen[id] < t.AddedTs) missing.Add(_symbols[id]);
            _alert(new PipelineAlert(PipelineAlert.Kinds.UnmonitoredPosition,
                $"position '{t.Spec.Id}' has had no market data for {_options.UnmonitoredAfter.TotalSeconds:0.#} s since it was added: no ticks for {string.Join(", ", missing)}; its price rules cannot fire",
                t.Spec.Id, [new("position_id", t.Spec.Id), new("underlying", t.Spec.Underlying), new("missing_symbols", string.Join(",", missing))]));
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void WriteSnapshot(int underlying, long nowTs)
    {
        if (!_byUnderlying.TryGetValue(underlying, out var ids) || ids.Count == 0) return;
        if (!_snapshotSlots.TryGetValue(underlying, out var slot)) _snapshotSlots[underlying] = slot = new SnapshotSlot(_symbols[underlying]);
        if (slot.InFlight) return; // the last one is still being published: try again on the next tick
        _nextSnapshot[underlying] = nowTs + _snapshotIntervalTicks;
        _json.ResetWrittenCount();
        _jsonWriter.Reset(_json);
        SnapshotJson.Write(_jsonWriter, _engine, slot.Underlying, ids);
        _jsonWriter.Flush();
        var written = _json.WrittenSpan;
        // grown with headroom (a snapshot grows a little as numbers gain digits), so it settles after the first few
        if (slot.Buffer.Length < written.Length) slot.Buffer = new byte[System.Numerics.BitOperations.RoundUpToPowerOf2((uint)written.Length * 2)];
        written.CopyTo(slot.Buffer);
        slot.Length = written.Length;
        _dispatcher.PostSnapshot(slot);
    }

    private struct ShardSink(Shard shard) : IExitSink
    {
        public readonly void OnExit(in ExitDecision exit) => shard.Emit(in exit);
    }
}
