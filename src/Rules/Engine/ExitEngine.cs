using System.Diagnostics;
using Streamer.Rules.Books;
using Streamer.Rules.Calendar;
using Streamer.Rules.Instruments;
using Streamer.Rules.Positions;

namespace Streamer.Rules.Engine;

/// <summary>
/// The exit engine of one shard: it owns the positions of its underlyings and is driven by one
/// thread (not thread-safe by design: a single writer, no locks on the tick path).
/// <list type="bullet">
/// <item><see cref="OnTick{TSink}"/>: a quote/trade updates the symbol's market state, reprices the
/// legs holding it (mark, IV, Greeks) or, for an underlying, every option leg on it (new spot, last
/// IV), and evaluates only the positions that hold that symbol.</item>
/// <item><see cref="OnClock{TSink}"/> and <see cref="NextWakeNs"/>: time rules and deferred exits
/// fire from the clock; the caller arms a timer (live) or advances a virtual clock (replay) to
/// <see cref="NextWakeNs"/>. OnTick first runs any clock event due at or before the tick's time,
/// so a replay that only feeds ticks still fires time rules at their exact instants.</item>
/// </list>
/// The engine clock is the latest time seen (tick or clock event); it never goes back. Nothing on
/// the tick path allocates.
/// </summary>
public sealed partial class ExitEngine
{
    internal const double YearNs = 365.0 * 24 * 3600 * 1e9;
    private static readonly double TicksToNs = 1e9 / Stopwatch.Frequency;

    private readonly SymbolTable _symbols;
    private readonly BookSet _books;
    private readonly MarketCalendar _calendar;
    private readonly Dictionary<string, int> _byId = new(StringComparer.Ordinal);
    private PositionRuntime[] _positions = new PositionRuntime[16];
    private int _positionCount;
    private SymbolQuote[] _quotes = [];
    private int[]?[] _subscribers = [];     // symbol id → indices of the positions holding it (as a leg or as the underlying); closed ones are skipped
    private ExitDecision _decision;
    private EngineCounters _counters;

    private long _clock = long.MinValue;
    private readonly WakeQueue _wakes = new();
    private int[] _due = new int[16];     // RunDue's scratch: the slots due at one instant

    // the session segment the clock is in: [start, end) is either one regular session or a gap between two
    private long _segStart = long.MaxValue;
    private long _segEnd = long.MinValue;
    private bool _inSession;
    private long _sessionCloseNs;

    public ExitEngine(SymbolTable symbols, BookSet? books = null, MarketCalendar? calendar = null)
    {
        _symbols = symbols ?? throw new ArgumentNullException(nameof(symbols));
        _books = books ?? BookSet.BuiltIn;
        _calendar = calendar ?? MarketCalendar.Nyse;
    }

    public SymbolTable Symbols => _symbols;

    public BookSet Books => _books;

    /// <summary>The engine clock: the latest tick or clock-event time seen (UTC ns); long.MinValue before any.</summary>
    public long ClockNs => _clock;

    public EngineCounters Counters => _counters;

    /// <summary>Positions added and not removed (open or closed).</summary>
    public int PositionCount => _byId.Count;

    /// <summary>Positions still open.</summary>
    public int OpenPositionCount
    {
        get
        {
            int n = 0;
            for (int i = 0; i < _positionCount; i++) if (_positions[i] is { Closed: false, Removed: false }) n++;
            return n;
        }
    }

    /// <summary>
    /// The earliest instant at which a time rule could fire or a deferred exit could fire at a session
    /// open (long.MaxValue when nothing is scheduled). Call <see cref="OnClock{TSink}"/> with it.
    /// </summary>
    public long NextWakeNs
    {
        get
        {
            DropStaleWakes();
            return _wakes.TopWake;
        }
    }

    // ---------------------------------------------------------------- positions (cold)

    /// <summary>
    /// Adds a position (its book is resolved and its overrides applied now). Throws
    /// <see cref="ConfigException"/> naming the position on an unknown book, a bad override, a
    /// duplicate id or levels it cannot use.
    /// </summary>
    public void AddPosition(PositionSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (_byId.ContainsKey(spec.Id)) throw new ConfigException($"position '{spec.Id}' is already monitored");
        RuleBook book;
        try { book = _books.Get(spec.Book); }
        catch (ConfigException ex) { throw new ConfigException($"position '{spec.Id}': {ex.Message}", ex); }
        var rt = PositionRuntime.Create(spec, book, _books.Pricing, _symbols);
        EnsureSymbolCapacity();
        if (rt.OpenedNs == long.MinValue && _clock != long.MinValue) rt.SetOpenedAt(_clock);

        if (_positionCount == _positions.Length) Array.Resize(ref _positions, _positionCount * 2);
        int index = _positionCount++;
        rt.Slot = index;
        _positions[index] = rt;
        // room for a live entry per position plus as many stale ones before a compaction, and the due list
        _wakes.EnsureCapacity(2 * _positionCount + 17);
        if (_due.Length < _positionCount) Array.Resize(ref _due, Math.Max(_positionCount, _due.Length * 2));
        _byId.Add(spec.Id, index);
        Subscribe(rt.UnderlyingId, index);
        foreach (var leg in rt.Legs) Subscribe(leg.SymbolId, index);
        // marks already known (the symbol traded before the position arrived) count at once
        RepriceAll(rt);
        UpdateWake(rt);
    }

    /// <summary>Stops monitoring a position. False when the id is unknown.</summary>
    public bool RemovePosition(string id)
    {
        if (!_byId.Remove(id, out int index)) return false;
        var rt = _positions[index];
        rt.Removed = true;
        rt.WakeNs = long.MaxValue; // its entries in the wake queue are stale from now
        Unsubscribe(rt.UnderlyingId, index);
        foreach (var leg in rt.Legs) Unsubscribe(leg.SymbolId, index);
        return true;
    }

    public bool Contains(string id) => _byId.ContainsKey(id);

    public IEnumerable<string> PositionIds => _byId.Keys;

    /// <summary>The persistent state of a position (for the journal).</summary>
    public bool TryGetState(string id, out PositionState state)
    {
        if (_byId.TryGetValue(id, out int index)) { state = _positions[index].State; return true; }
        state = default;
        return false;
    }

    /// <summary>
    /// Restores a position's persistent state (after <see cref="AddPosition"/>, before the first tick):
    /// remaining contracts, fired tranches, trailing peak, next exit sequence, realized P&amp;L, fill
    /// watermark and (for a position given without one) the opened_at it took. A state
    /// with nothing remaining closes the position: it is never evaluated again.
    /// </summary>
    public void RestoreState(string id, in PositionState state)
    {
        if (!_byId.TryGetValue(id, out int index)) throw new KeyNotFoundException($"position '{id}' is not monitored");
        var rt = _positions[index];
        if (state.ContractsOriginal != rt.OriginalUnits)
            throw new ArgumentException($"position '{id}': the saved state is for {state.ContractsOriginal} contracts, the position has {rt.OriginalUnits}", nameof(state));
        if (state.ContractsRemaining < 0 || state.ContractsRemaining > rt.OriginalUnits)
            throw new ArgumentException($"position '{id}': remaining {state.ContractsRemaining} is outside 0..{rt.OriginalUnits}", nameof(state));
        if (state.NextSequence < 1) throw new ArgumentException($"position '{id}': next sequence must be ≥ 1", nameof(state));
        rt.OpenUnits = state.ContractsRemaining;
        rt.TranchesFired = state.TranchesFired;
        rt.TrailActive = state.TrailingActive;
        rt.TrailPeakPerUnit = state.TrailingPeakPerContract;
        rt.NextSequence = state.NextSequence;
        rt.RealizedPnl = state.RealizedPnl;
        rt.FillWatermark = state.FillWatermark;
        // a position given without opened_at keeps the instant it first opened at (its spec's own opened_at wins)
        if (rt.Spec.OpenedAtNs == long.MinValue && state.OpenedNs != long.MinValue) rt.SetOpenedAt(state.OpenedNs);
        rt.Basket = null;
        rt.Closed = state.ContractsRemaining == 0;
        rt.Pending = false;
        UpdateWake(rt);
    }

    /// <summary>
    /// What a position holds now, per leg: signed quantity (ratio × open units; 0 once closed) and
    /// entry price. Cold: reconciliation against the broker and the control API. Null when unknown.
    /// </summary>
    public IReadOnlyList<(string Symbol, long Qty, double EntryPrice)>? OpenLegs(string id) => LegsOf(id, original: false);

    /// <summary>Per leg: symbol, ratio × (original or open) units, entry price; null when the id is unknown.</summary>
    private (string Symbol, long Qty, double EntryPrice)[]? LegsOf(string id, bool original)
    {
        if (!_byId.TryGetValue(id, out int index)) return null;
        var rt = _positions[index];
        long units = original ? rt.OriginalUnits : rt.OpenUnits;
        var legs = new (string, long, double)[rt.Legs.Length];
        for (int i = 0; i < legs.Length; i++)
            legs[i] = (rt.ExitLegs[i].Symbol, rt.Legs[i].Ratio * units, rt.Legs[i].EntryPrice);
        return legs;
    }

    /// <summary>A position's current valuation (cold: for snapshots and the control API).</summary>
    public bool TryGetSnapshot(string id, out PositionSnapshot snapshot)
    {
        snapshot = default;
        if (!_byId.TryGetValue(id, out int index)) return false;
        var rt = _positions[index];
        Value(rt, _clock, out double vUnit, out bool marked, out _);
        bool hasSpot = _quotes[rt.UnderlyingId].TryGetPrice(out double spot, out _);
        double gain = marked ? (vUnit - rt.EntryValuePerUnit) / Math.Abs(rt.EntryValuePerUnit) : double.NaN;
        snapshot = new PositionSnapshot(rt.Id, rt.Underlying, rt.Strategy, rt.Spec.Book, rt.Closed ? "closed" : "open",
            rt.OriginalUnits, rt.OpenUnits, hasSpot ? spot : double.NaN,
            marked ? vUnit * rt.OpenUnits : double.NaN,
            marked ? (vUnit - rt.EntryValuePerUnit) * rt.OpenUnits : double.NaN,
            rt.IsCredit ? gain : rt.IsDebit ? gain : double.NaN,
            rt.IsCredit ? gain : double.NaN,
            rt.RealizedPnl, GreeksOf(rt, cache: false), _clock);
        return true;
    }

    // subscriptions (cold)

    private void EnsureSymbolCapacity()
    {
        int needed = _symbols.Count + 1;
        if (_quotes.Length >= needed) return;
        int size = Math.Max(needed, _quotes.Length * 2);
        int old = _quotes.Length;
        Array.Resize(ref _quotes, size);
        Array.Resize(ref _subscribers, size);
        for (int i = old; i < size; i++) _quotes[i] = SymbolQuote.Empty;
    }

    private void Subscribe(int symbolId, int index)
    {
        var subs = _subscribers[symbolId];
        if (subs is null) { _subscribers[symbolId] = [index]; return; }
        if (Array.IndexOf(subs, index) >= 0) return;
        Array.Resize(ref subs, subs.Length + 1);
        subs[^1] = index;
        _subscribers[symbolId] = subs;
    }

    private void Unsubscribe(int symbolId, int index)
    {
        var subs = _subscribers[symbolId];
        if (subs is null) return;
        int at = Array.IndexOf(subs, index);
        if (at < 0) return;
        var copy = new int[subs.Length - 1];
        Array.Copy(subs, 0, copy, 0, at);
        Array.Copy(subs, at + 1, copy, at, subs.Length - at - 1);
        _subscribers[symbolId] = copy.Length == 0 ? null : copy;
    }
}
