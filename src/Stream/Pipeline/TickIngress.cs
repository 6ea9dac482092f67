using System.Diagnostics;
using System.Runtime.CompilerServices;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;

namespace Streamer.Stream.Pipeline;

/// <summary>
/// Where every source's ticks enter (any number of source threads at once: the merge). Per tick,
/// by hand and without allocating: note the feed is alive, drop an insane quote's quote part
/// (counted per symbol; rules.md: insane quotes never reach the marks), and route the tick by its
/// underlying (stable hash) into that shard's bounded channel, waiting (measured) when it is full.
/// With a tape clock it also keeps replay's order of things: positions join when the tape reaches
/// their opened_at, and (virtual clock) every shard's engine is stepped to tape time each tape second
/// and at the end, so time rules on a quiet shard fire too.
/// <para>
/// Tape time with several sources: the latest tick time any source has reached (a max, raised with a
/// compare-and-swap, never lowered). A slower source's older tick does not move it back: it still
/// reaches its engine (per-symbol order is each source's own), which prices it at the engine's clock.
/// The tape ends when the last running source ends (<see cref="SourceEnded"/>), not the first.
/// </para>
/// </summary>
public sealed class TickIngress
{
    private static readonly long BroadcastStepNs = Streamer.Rules.Time.NanoTime.PerSecond;

    private readonly Shard[] _shards;
    private readonly SymbolTable _symbols;
    private readonly FeedMonitor _feed;
    private readonly PipelineClock _clock;
    private readonly Lock _gate = new();
    private int[] _shardOf = new int[64];          // symbol id → shard + 1; 0: not resolved yet
    private long[] _insaneBySymbol = new long[64];
    private readonly StripedCounter _ticks = new(); // every source thread bumps it per tick: striped, never one shared line
    private long _insane;
    private long _unknownSymbols;
    private long _badTimes;

    // tape clock: any number of sources raise it (max); the cold events (deferred joins, clock steps) run under _gate
    private readonly bool _tapeClock;
    private readonly bool _broadcast;
    private long _tapeNow = long.MinValue;
    private long _nextBroadcastNs;
    private long _nextDeferredNs = long.MaxValue;
    private readonly List<AddPositionCommand> _deferred = [];
    private long _order;
    private int _runningSources;
    private long _lastTickNs = long.MinValue; // wall clock only: the feed's own time, to notice a feed that is not "now"
    private volatile bool _tapeFinished;

    public TickIngress(Shard[] shards, SymbolTable symbols, FeedMonitor feed, PipelineClock clock)
    {
        _shards = shards;
        _symbols = symbols;
        _feed = feed;
        _clock = clock;
        _tapeClock = clock.Mode != ClockMode.Wall;
        _broadcast = clock.Mode == ClockMode.Virtual;
        _nextBroadcastNs = _broadcast ? long.MinValue : long.MaxValue;
    }

    public PipelineClock Clock => _clock;

    public long Ticks => _ticks.Value;

    /// <summary>Quotes that failed bid ≥ 0, ask &gt; 0, bid ≤ ask (their quote part never reached a shard).</summary>
    public long InsaneQuotes => Interlocked.Read(ref _insane);

    /// <summary>Ticks stamped outside <see cref="Streamer.Rules.Time.NanoTime.MinYear"/>..<see cref="Streamer.Rules.Time.NanoTime.MaxYear"/> (year 0001, 2262+): counted and dropped whole, like an insane quote, before any clock or calendar sees them.</summary>
    public long OutOfRangeTimes => Interlocked.Read(ref _badTimes);

    /// <summary>Ticks naming no interned symbol (a parser bug upstream): counted and not routed.</summary>
    public long UnknownSymbolTicks => Interlocked.Read(ref _unknownSymbols);

    /// <summary>The tape's time (tape clocks), long.MinValue before its first tick or without a tape.</summary>
    public long TapeNowNs => Volatile.Read(ref _tapeNow);

    /// <summary>On the wall clock: the time stamped on the latest tick (long.MinValue before any).</summary>
    public long LastTickNs => Volatile.Read(ref _lastTickNs);

    public long InsaneQuotesOf(int symbolId)
    {
        var counts = _insaneBySymbol;
        return (uint)symbolId < (uint)counts.Length ? Interlocked.Read(ref counts[symbolId]) : 0;
    }

    /// <summary>The shard that owns a symbol's underlying: FNV-1a of the underlying's UTF-8 bytes, mod the shard count (stable across runs).</summary>
    public static int ShardFor(SymbolTable symbols, int symbolId, int shards)
    {
        var utf8 = symbols.Utf8(symbols.UnderlyingOf(symbolId));
        uint h = 2166136261;
        foreach (var b in utf8) h = (h ^ b) * 16777619;
        return (int)(h % (uint)shards);
    }

    // ------------------------------------------------------------------ the tick path

    /// <summary>One tick from a source. Thread-safe; allocates nothing; waits (measured) when the shard is full.</summary>
    public void Publish(in Tick tick)
    {
        long ts = Stopwatch.GetTimestamp();
        _feed.OnTick(ts);
        _ticks.Increment();
        Tick t = tick;
        if (!Streamer.Rules.Time.NanoTime.InRange(t.TimeNs))
        {
            Interlocked.Increment(ref _badTimes);
            return;
        }
        if ((t.Fields & TickFields.Quote) != 0 && !t.IsSaneQuote)
        {
            CountInsane(t.SymbolId);
            // the trade part (if any) and the time still count: the engine's clock moves as in replay
            t.Fields &= ~TickFields.Quote;
        }
        int shard = ShardOf(t.SymbolId);
        if (shard < 0) return;
        if (_tapeClock) TapeStep(t.TimeNs);
        else Volatile.Write(ref _lastTickNs, t.TimeNs);
        _shards[shard].Post(ShardItem.ForTick(in t, ts));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int ShardOf(int symbolId)
    {
        var map = _shardOf;
        int s;
        if ((uint)symbolId < (uint)map.Length && (s = map[symbolId]) != 0) return s - 1;
        return ResolveShard(symbolId);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private int ResolveShard(int symbolId)
    {
        if (symbolId <= 0 || symbolId > _symbols.Count)
        {
            Interlocked.Increment(ref _unknownSymbols);
            return -1;
        }
        int shard = ShardFor(_symbols, symbolId, _shards.Length);
        lock (_gate)
        {
            var map = _shardOf;
            if (symbolId >= map.Length) Array.Resize(ref map, Math.Max(symbolId + 1, map.Length * 2));
            map[symbolId] = shard + 1;
            _shardOf = map;
        }
        return shard;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void CountInsane(int symbolId)
    {
        Interlocked.Increment(ref _insane);
        if (symbolId <= 0) return;
        lock (_gate)
        {
            if (symbolId >= _insaneBySymbol.Length) Array.Resize(ref _insaneBySymbol, Math.Max(symbolId + 1, _insaneBySymbol.Length * 2));
            _insaneBySymbol[symbolId]++;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void TapeStep(long t)
    {
        long now = Volatile.Read(ref _tapeNow);
        if (t > now)
        {
            // an event is due (the first tick, a position's opened_at, the next clock step): cold, under the lock
            if (now == long.MinValue || t >= Volatile.Read(ref _nextDeferredNs) || t >= Volatile.Read(ref _nextBroadcastNs)) TapeEvents(t);
            else RaiseTapeNow(t);
        }
    }

    /// <summary>Tape time := max(tape time, <paramref name="t"/>): sources race here, so compare-and-swap, and never down.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void RaiseTapeNow(long t)
    {
        long now = Volatile.Read(ref _tapeNow);
        while (t > now)
        {
            long seen = Interlocked.CompareExchange(ref _tapeNow, t, now);
            if (seen == now) return;
            now = seen;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void TapeEvents(long t)
    {
        lock (_gate)
        {
            long before = Volatile.Read(ref _tapeNow);
            if (t <= before) return; // another source got the tape past t (and ran the events) first
            if (before == long.MinValue && _clock.Mode == ClockMode.Scaled) _clock.Anchor(t);
            // positions join before the tick that reaches their opened_at, the shard's clock at the tape time before it (replay's order)
            if (t >= _nextDeferredNs) ReleaseDeferred(t, before);
            if (_broadcast && t >= _nextBroadcastNs)
            {
                // replay's single engine starts its clock at the first tick and is at tape time on every tick:
                // step every shard there (each tape second), so their clocks start together and quiet shards keep up
                BroadcastClock(t);
                Volatile.Write(ref _nextBroadcastNs, _nextBroadcastNs == long.MinValue ? t + BroadcastStepNs : Math.Max(_nextBroadcastNs + BroadcastStepNs, t));
            }
            RaiseTapeNow(t);
        }
    }

    private void BroadcastClock(long t)
    {
        long ts = Stopwatch.GetTimestamp();
        foreach (var shard in _shards) shard.Post(ShardItem.ForClock(t, ts));
    }

    // ------------------------------------------------------------------ positions joining (cold)

    /// <summary>
    /// Routes an add to the shard of the position's underlying. With a tape clock and the tape still
    /// running, a position whose opened_at is ahead of the tape waits until the tape reaches it
    /// (replay's rule); otherwise (no opened_at, one the tape has passed, or the tape ended) it is
    /// posted now, its shard stepping to the tape's time first.
    /// </summary>
    public void Add(AddPositionCommand command, int shard)
    {
        if (_tapeClock && !_tapeFinished)
        {
            lock (_gate)
            {
                long now = Volatile.Read(ref _tapeNow);
                // the tape can place it already: no opened_at (it opens at its engine's first time, as in replay)
                // or an opened_at the tape has passed. It joins now, at tape time: waiting for the next tick
                // would never complete for a caller who feeds the tape once the add has completed.
                if (command.Spec.OpenedAtNs == long.MinValue || (now != long.MinValue && command.Spec.OpenedAtNs <= now))
                {
                    command.TapeClockNs = now;
                }
                else if (!_tapeFinished)
                {
                    command.Order = _order++;
                    int at = _deferred.Count;
                    while (at > 0 && _deferred[at - 1].Spec.OpenedAtNs > command.Spec.OpenedAtNs) at--;
                    _deferred.Insert(at, command);
                    Volatile.Write(ref _nextDeferredNs, _deferred[0].Spec.OpenedAtNs);
                    command.ShardIndex = shard;
                    return;
                }
            }
        }
        _shards[shard].PostCommand(command);
    }

    /// <summary>Takes a position that has not joined yet off the waiting list; false when it is not waiting.</summary>
    public bool TryCancelDeferred(string positionId)
    {
        lock (_gate)
        {
            int i = _deferred.FindIndex(c => c.Spec.Id == positionId);
            if (i < 0) return false;
            _deferred.RemoveAt(i);
            Volatile.Write(ref _nextDeferredNs, _deferred.Count == 0 ? long.MaxValue : _deferred[0].Spec.OpenedAtNs);
            return true;
        }
    }

    public int DeferredCount
    {
        get { lock (_gate) return _deferred.Count; }
    }

    /// <summary>Under <see cref="_gate"/>: posts the waiting positions whose opened_at the tape has reached.</summary>
    private void ReleaseDeferred(long upTo, long tapeClock)
    {
        int n = 0;
        while (n < _deferred.Count && _deferred[n].Spec.OpenedAtNs <= upTo)
        {
            var c = _deferred[n];
            c.TapeClockNs = tapeClock;
            _shards[c.ShardIndex].PostCommand(c);
            n++;
        }
        _deferred.RemoveRange(0, n);
        Volatile.Write(ref _nextDeferredNs, _deferred.Count == 0 ? long.MaxValue : _deferred[0].Spec.OpenedAtNs);
    }

    /// <summary>A source starts publishing (the pipeline calls it): the tape ends only when every source has ended.</summary>
    public void SourceStarted() => Interlocked.Increment(ref _runningSources);

    /// <summary>A source ended (or failed): when it was the last one running, the tape is finished (<see cref="FinishTape"/>).</summary>
    public void SourceEnded()
    {
        if (Interlocked.Decrement(ref _runningSources) <= 0) FinishTape();
    }

    /// <summary>
    /// The tape ended (all of it: the last source, or a caller publishing by hand): (virtual clock) every shard steps to the last tick's time, as replay's clock
    /// stops there; positions whose opened_at the tape never reached join now (replay reports them
    /// open). Later adds go straight to their shard.
    /// </summary>
    public void FinishTape()
    {
        if (!_tapeClock) return;
        lock (_gate)
        {
            if (_tapeFinished) return;
            if (_broadcast && _tapeNow != long.MinValue) BroadcastClock(_tapeNow);
            foreach (var c in _deferred)
            {
                c.TapeClockNs = long.MinValue;
                _shards[c.ShardIndex].PostCommand(c);
            }
            _deferred.Clear();
            Volatile.Write(ref _nextDeferredNs, long.MaxValue);
            _tapeFinished = true;
        }
    }
}
