using Streamer.Rules.Books;
using Streamer.Rules.Engine;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;
using Streamer.Rules.Positions;

namespace Streamer.Stream.Replay;

/// <summary>
/// A time series kept at a bounded size while it is recorded: values fall into buckets of equal
/// width (min, max, first, last of each); when a sample lands past the last bucket, neighbouring
/// buckets are merged in pairs and the width doubles. Any tape length ends in at most
/// <see cref="Capacity"/> buckets per series, each still holding its true extremes, so a chart drawn
/// from it (min/max per pixel column) shows every spike of a 1M-tick tape. Adding allocates only
/// while the arrays grow to their cap.
/// </summary>
public sealed class MinMaxSeries
{
    public const int Capacity = 1024;
    private const long FirstWidthNs = 1_000_000; // 1 ms

    private long _origin = long.MinValue;
    private long _width = FirstWidthNs;
    private double[] _min = [];
    private double[] _max = [];
    private double[] _first = [];
    private double[] _last = [];
    private int _count;             // buckets in use: [0, _count)

    public int Count => _count;
    public bool IsEmpty => _count == 0;
    public long Origin => _origin;
    public long WidthNs => _width;
    public long LastNs { get; private set; } = long.MinValue;

    public long BucketStart(int i) => _origin + i * _width;
    public bool Has(int i) => !double.IsNaN(_first[i]);
    public double Min(int i) => _min[i];
    public double Max(int i) => _max[i];
    public double First(int i) => _first[i];
    public double Last(int i) => _last[i];

    public void Add(long timeNs, double value)
    {
        if (!double.IsFinite(value)) return;
        if (_origin == long.MinValue) _origin = timeNs;
        if (timeNs < _origin) timeNs = _origin;
        if (timeNs < LastNs) timeNs = LastNs; // the tape's out-of-order ticks are ignored by the engine; never go back
        LastNs = timeNs;
        long idx = (timeNs - _origin) / _width;
        while (idx >= Capacity)
        {
            Compact();
            idx = (timeNs - _origin) / _width;
        }
        int i = (int)idx;
        if (i >= _min.Length) Grow(i + 1);
        if (i >= _count)
        {
            for (int k = _count; k <= i; k++) _first[k] = double.NaN;
            _count = i + 1;
        }
        if (double.IsNaN(_first[i]))
        {
            _first[i] = _last[i] = _min[i] = _max[i] = value;
            return;
        }
        if (value < _min[i]) _min[i] = value;
        if (value > _max[i]) _max[i] = value;
        _last[i] = value;
    }

    /// <summary>The last value recorded at or before <paramref name="timeNs"/>'s bucket (NaN when none).</summary>
    public double LastAtOrBefore(long timeNs)
    {
        if (_count == 0 || timeNs < _origin) return double.NaN;
        int i = (int)Math.Min(_count - 1, (timeNs - _origin) / _width);
        for (; i >= 0; i--) if (!double.IsNaN(_first[i])) return _last[i];
        return double.NaN;
    }

    private void Grow(int needed)
    {
        int size = Math.Min(Capacity, Math.Max(needed, Math.Max(16, _min.Length * 2)));
        Array.Resize(ref _min, size);
        Array.Resize(ref _max, size);
        Array.Resize(ref _first, size);
        Array.Resize(ref _last, size);
    }

    private void Compact()
    {
        int n = (_count + 1) / 2;
        for (int j = 0; j < n; j++)
        {
            int a = 2 * j, b = 2 * j + 1;
            bool ha = a < _count && !double.IsNaN(_first[a]);
            bool hb = b < _count && !double.IsNaN(_first[b]);
            double mn = double.NaN, mx = double.NaN, f = double.NaN, l = double.NaN;
            if (ha) { mn = _min[a]; mx = _max[a]; f = _first[a]; l = _last[a]; }
            if (hb)
            {
                mn = ha ? Math.Min(mn, _min[b]) : _min[b];
                mx = ha ? Math.Max(mx, _max[b]) : _max[b];
                if (!ha) f = _first[b];
                l = _last[b];
            }
            _min[j] = mn; _max[j] = mx; _first[j] = f; _last[j] = l;
        }
        for (int j = n; j < _count; j++) _first[j] = double.NaN;
        _count = n;
        _width *= 2;
    }
}

/// <summary>An exit as the report draws it: the record and the position's mark (net per contract) at that instant.</summary>
public sealed record RecordedExit(ExitRecord Exit, double NetMark);

/// <summary>One position's recorded series: its underlying, each leg's mark, its net mark per contract, its trigger levels, its P&amp;L.</summary>
public sealed class PositionTrack
{
    internal PositionTrack(PositionSpec spec, int index, int units, MarkMode mark, double multiplier, bool credit)
    {
        Spec = spec;
        Index = index;
        Units = Math.Max(1, units);
        OpenUnits = Units;
        Mark = mark;
        Multiplier = multiplier;
        Sign = credit ? -1 : 1;
        Legs = [.. spec.Legs.Select(_ => new MinMaxSeries())];
        LegIds = new int[spec.Legs.Count];
        _qty = [.. spec.Legs.Select(l => l.Qty)];
        _entryNet = Sign * spec.Legs.Sum(l => l.Qty * l.EntryPrice) / Units;
        LegMarks = new double[spec.Legs.Count];
        Array.Fill(LegMarks, double.NaN);
    }

    public PositionSpec Spec { get; }
    internal int Index { get; }
    public int Units { get; }
    public int OpenUnits { get; internal set; }
    internal MarkMode Mark { get; }
    /// <summary>Contract multiplier the net mark is divided by (100 when any leg is an option).</summary>
    public double Multiplier { get; }
    /// <summary>+1 for a debit position (net = value), −1 for a credit (net = the debit to close).</summary>
    public int Sign { get; }
    public long OpenedNs { get; internal set; } = long.MinValue;
    public long ClosedNs { get; internal set; } = long.MaxValue;
    public double RealizedPnl { get; internal set; }
    internal double[] LegMarks { get; }
    private readonly long[] _qty;
    private readonly double _entryNet;
    internal int UnderlyingId;
    internal int[] LegIds { get; }
    internal double Spot = double.NaN;

    public MinMaxSeries Underlying { get; } = new();
    public MinMaxSeries[] Legs { get; }
    public MinMaxSeries Net { get; } = new();
    public MinMaxSeries StopLevel { get; } = new();
    public MinMaxSeries TargetLevel { get; } = new();
    public MinMaxSeries PremiumTarget { get; } = new();
    public MinMaxSeries PremiumStop { get; } = new();
    public MinMaxSeries TrailingStop { get; } = new();
    public MinMaxSeries CreditStop { get; } = new();
    public MinMaxSeries NextTranche { get; } = new();
    public MinMaxSeries Pnl { get; } = new();
    public List<RecordedExit> Exits { get; } = [];

    /// <summary>Realized + open P&amp;L now (open from the recorded marks; 0 open while a leg has no mark).</summary>
    public double CurrentPnl { get; internal set; }

    /// <summary>The net mark per contract from the leg marks: Σ qty × mark × multiplier / units / multiplier, sign-adjusted; NaN until every leg has a mark.</summary>
    internal double NetNow()
    {
        double v = 0;
        for (int i = 0; i < LegMarks.Length; i++)
        {
            if (double.IsNaN(LegMarks[i])) return double.NaN;
            v += _qty[i] * LegMarks[i];
        }
        return Sign * v / Units;
    }

    internal double EntryNet() => _entryNet;

    internal long Qty(int leg) => _qty[leg];
}

/// <summary>
/// The HTML report's recorder: per position, the underlying and each leg's mark (the book's mark
/// mode), the net mark, the trigger levels as the engine moves them, realized + open P&amp;L; and the
/// whole book's equity curve. Every series is a <see cref="MinMaxSeries"/> (bounded, extremes kept);
/// exits are kept whole.
/// </summary>
public sealed class ReplayRecording : IReplayRecorder
{
    private readonly BookSet _books;
    private readonly List<PositionTrack> _tracks = [];
    private int[]?[] _bySymbol = [];   // symbol id → indices of tracks holding it (as a leg or the underlying)
    private readonly Dictionary<string, PositionTrack> _byId = new(StringComparer.Ordinal);
    private double _equity;

    public ReplayRecording(BookSet books) => _books = books;

    public IReadOnlyList<PositionTrack> Tracks => _tracks;

    /// <summary>Realized + open P&amp;L of every position, recorded whenever any of it moves.</summary>
    public MinMaxSeries Equity { get; } = new();

    public long FirstNs { get; private set; } = long.MinValue;
    public long LastNs { get; private set; } = long.MinValue;

    public PositionTrack? Track(string id) => _byId.GetValueOrDefault(id);

    public void OnPositionAdded(PositionSpec spec, ExitEngine engine)
    {
        var book = _books.Get(spec.Book);
        var mark = spec.ApplyOverrides(book).Mark;
        engine.TryGetState(spec.Id, out var state);
        engine.TryGetTriggers(spec.Id, out var trig);
        var symbols = engine.Symbols;
        bool anyOption = spec.Legs.Any(l => symbols.IsOption(symbols.Intern(l.Symbol)));
        var track = new PositionTrack(spec, _tracks.Count, state.ContractsOriginal, mark, anyOption ? 100 : 1, trig.EntryValuePerUnit < 0)
        {
            OpenedNs = state.OpenedNs != long.MinValue ? state.OpenedNs : engine.ClockNs,
        };
        _tracks.Add(track);
        _byId[spec.Id] = track;
        track.UnderlyingId = symbols.Intern(spec.Underlying);
        Watch(track.UnderlyingId, track.Index);
        for (int i = 0; i < spec.Legs.Count; i++)
        {
            track.LegIds[i] = symbols.Intern(spec.Legs[i].Symbol);
            Watch(track.LegIds[i], track.Index);
        }
    }

    public void OnTick(in Tick tick, ExitEngine engine)
    {
        if (FirstNs == long.MinValue) FirstNs = tick.TimeNs;
        if (tick.TimeNs > LastNs) LastNs = tick.TimeNs;
        int id = tick.SymbolId;
        if ((uint)id >= (uint)_bySymbol.Length) return;
        var subs = _bySymbol[id];
        if (subs is null) return;
        long t = Math.Max(tick.TimeNs, LastNs);
        foreach (int k in subs)
        {
            var tr = _tracks[k];
            if (tr.OpenUnits == 0 || t < tr.OpenedNs) continue;
            var spec = tr.Spec;
            bool moved = false;
            // a tick older than the series' last is one the engine ignores as out of order: so does the chart
            if (tr.UnderlyingId == id && tick.TimeNs >= tr.Underlying.LastNs && SpotPrice(in tick, out double spot))
            {
                tr.Spot = spot;
                tr.Underlying.Add(t, spot);
                moved = true;
            }
            for (int i = 0; i < spec.Legs.Count; i++)
            {
                if (tr.LegIds[i] != id || tick.TimeNs < tr.Legs[i].LastNs) continue;
                if (!Price(in tick, tr.Mark, tr.Qty(i), out double m)) continue;
                tr.LegMarks[i] = m;
                tr.Legs[i].Add(t, m);
                moved = true;
            }
            if (moved) Sample(tr, t, engine);
        }
    }

    public void OnExit(ExitRecord exit, ExitEngine engine)
    {
        if (!_byId.TryGetValue(exit.PositionId, out var tr)) return;
        // the marks the exit was decided on (the tick that fired it reaches OnTick after the exit)
        using (var doc = System.Text.Json.JsonDocument.Parse(exit.Json))
        {
            if (doc.RootElement.TryGetProperty("legs", out var legs))
            {
                foreach (var leg in legs.EnumerateArray())
                {
                    if (!leg.TryGetProperty("mark", out var m) || !m.TryGetDouble(out double mark)) continue;
                    int i = tr.Spec.Legs.ToList().FindIndex(l => l.Symbol == leg.GetProperty("symbol").GetString());
                    if (i < 0) continue;
                    tr.LegMarks[i] = mark;
                    tr.Legs[i].Add(exit.TimeNs, mark);
                }
            }
        }
        double net = tr.NetNow();
        tr.Net.Add(exit.TimeNs, net);
        tr.Exits.Add(new RecordedExit(exit, net));
        tr.RealizedPnl += exit.Pnl;
        tr.OpenUnits = exit.ContractsRemaining;
        if (double.IsFinite(exit.UnderlyingPrice)) tr.Underlying.Add(exit.TimeNs, exit.UnderlyingPrice);
        if (exit.ContractsRemaining == 0) tr.ClosedNs = exit.TimeNs;
        Sample(tr, exit.TimeNs, engine);
    }

    public void OnEnd(ExitEngine engine)
    {
        foreach (var tr in _tracks)
        {
            if (tr.OpenUnits > 0 && LastNs != long.MinValue && LastNs >= tr.OpenedNs) Sample(tr, LastNs, engine);
        }
    }

    private void Sample(PositionTrack tr, long t, ExitEngine engine)
    {
        double net = tr.NetNow();
        double open = double.IsNaN(net) || tr.OpenUnits == 0 ? 0 : (net - tr.EntryNet()) * tr.Sign * tr.Multiplier * tr.OpenUnits;
        double pnl = tr.RealizedPnl + open;
        _equity += pnl - tr.CurrentPnl;
        tr.CurrentPnl = pnl;
        tr.Pnl.Add(t, pnl);
        Equity.Add(t, _equity);
        if (tr.OpenUnits == 0) return;
        tr.Net.Add(t, net);
        if (!engine.TryGetTriggers(tr.Spec.Id, out var g)) return;
        tr.StopLevel.Add(t, g.UnderlyingStopLevel);
        tr.TargetLevel.Add(t, g.UnderlyingTargetLevel);
        double m = tr.Multiplier * tr.Sign;
        tr.PremiumTarget.Add(t, g.PremiumTargetValue / m);
        tr.PremiumStop.Add(t, g.PremiumStopValue / m);
        tr.TrailingStop.Add(t, g.TrailingStopValue / m);
        tr.CreditStop.Add(t, g.CreditStopValue / m);
        tr.NextTranche.Add(t, g.NextTrancheValue / m);
    }

    /// <summary>The tick's price in a mark mode: mid, the closing side (bid for a long, ask for a short), or the last trade.</summary>
    private static bool Price(in Tick tick, MarkMode mode, long qty, out double price)
    {
        price = double.NaN;
        if (mode == MarkMode.Last)
        {
            if (!tick.HasTrade || !tick.IsSaneTrade) return false;
            price = tick.Last;
            return true;
        }
        if (!tick.HasQuote || !tick.IsSaneQuote) return false;
        price = mode == MarkMode.Conservative ? (qty > 0 ? tick.Bid : tick.Ask) : 0.5 * (tick.Bid + tick.Ask);
        return true;
    }

    /// <summary>The underlying: its quote's mid, or its last trade when the tick has no quote.</summary>
    private static bool SpotPrice(in Tick tick, out double price)
    {
        if (tick.HasQuote && tick.IsSaneQuote) { price = 0.5 * (tick.Bid + tick.Ask); return true; }
        if (!tick.HasQuote && tick.HasTrade && tick.IsSaneTrade) { price = tick.Last; return true; }
        price = double.NaN;
        return false;
    }

    private void Watch(int symbolId, int track)
    {
        if (symbolId >= _bySymbol.Length) Array.Resize(ref _bySymbol, Math.Max(symbolId + 1, _bySymbol.Length * 2));
        var subs = _bySymbol[symbolId];
        if (subs is null) { _bySymbol[symbolId] = [track]; return; }
        if (Array.IndexOf(subs, track) >= 0) return;
        Array.Resize(ref subs, subs.Length + 1);
        subs[^1] = track;
        _bySymbol[symbolId] = subs;
    }
}
