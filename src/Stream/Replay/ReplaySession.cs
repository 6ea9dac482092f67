using System.Diagnostics;
using Streamer.Feed.Tapes;
using Streamer.Rules.Books;
using Streamer.Rules.Diagnostics;
using Streamer.Rules.Engine;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;
using Streamer.Rules.Positions;

namespace Streamer.Stream.Replay;

/// <summary>
/// A backtest: one engine over a tape on a virtual clock that is the tape's own time. Positions
/// join when the tape reaches their <c>opened_at</c> (before that they did not exist); time rules
/// fire at their exact instants between ticks (the engine runs due clock events before each tick),
/// and the clock stops at the tape's last tick. Same input, same exits, byte for byte.
/// </summary>
public sealed class ReplaySession
{
    private readonly List<PositionSpec> _pending;
    private readonly ExitEngine _engine;
    private readonly List<ExitRecord> _exits = [];
    private readonly LatencyHistogram _tickLatency = new();

    public ReplaySession(IReadOnlyList<PositionSpec> positions, BookSet books, SymbolTable symbols)
    {
        Symbols = symbols;
        _engine = new ExitEngine(symbols, books);
        // stable order: by opened_at, then file order
        _pending = positions.Select((p, i) => (p, i)).OrderBy(x => x.p.OpenedAtNs).ThenBy(x => x.i).Select(x => x.p).ToList();
        Positions = positions;
        foreach (var p in positions)
        {
            // fail before the tape starts on a position the engine cannot take (unknown book, bad override)
            p.Validate();
            books.Get(p.Book);
            foreach (var leg in p.Legs) symbols.Intern(leg.Symbol);
        }
    }

    public SymbolTable Symbols { get; }

    public IReadOnlyList<PositionSpec> Positions { get; }

    public ExitEngine Engine => _engine;

    /// <summary>Put each exit's measured latency into its event (off by default: it breaks byte-identical replays).</summary>
    public bool MeasureLatencyInEvents { get; init; }

    /// <summary>Called as each exit fires (the demo and replay print them live).</summary>
    public Action<ExitRecord>? OnExit { get; init; }

    /// <summary>
    /// Sees every tick after the engine, each position as it joins and each exit (the HTML report's
    /// time series). Null (the default): the tick loop only tests it, nothing is recorded or allocated.
    /// </summary>
    public IReplayRecorder? Recorder { get; init; }

    public ReplayResult Run(TapeReader tape)
    {
        var sink = new CollectingSink { Session = this };
        var recorder = Recorder;
        int next = 0;
        long ticks = 0;
        long started = Stopwatch.GetTimestamp();
        while (tape.TryRead(out Tick tick))
        {
            while (next < _pending.Count && _pending[next].OpenedAtNs <= tick.TimeNs)
                Open(_pending[next++], tick.TimeNs, ref sink);
            long t0 = Stopwatch.GetTimestamp();
            _engine.OnTick(in tick, ref sink);
            _tickLatency.Record(Stopwatch.GetTimestamp() - t0);
            recorder?.OnTick(in tick, _engine);
            ticks++;
        }
        // rules.md: after the last tick the clock runs on to the close of that tick's session (or to --until),
        // so a time rule due in that span (a 15:55 close, a max hold) fires at its own instant with the last marks
        long end = EndOfClock(_engine.ClockNs);
        if (end != long.MinValue && end > _engine.ClockNs)
        {
            while (next < _pending.Count && _pending[next].OpenedAtNs <= end)
                Open(_pending[next++], end, ref sink);
            _engine.OnClock(end, ref sink);
        }
        long elapsedTicks = Stopwatch.GetTimestamp() - started;
        // positions opened after the clock's end never saw it; they are still reported (open)
        while (next < _pending.Count)
        {
            var late = _pending[next++];
            _engine.AddPosition(late);
            recorder?.OnPositionAdded(late, _engine);
        }
        recorder?.OnEnd(_engine);

        double elapsedMs = elapsedTicks * 1000.0 / Stopwatch.Frequency;
        var positions = Positions.Select(p =>
        {
            _engine.TryGetState(p.Id, out var s);
            return new ReplayPositionResult(p.Id, p.Book, s.Closed ? "closed" : "open", s.ContractsOriginal, s.ContractsRemaining, s.RealizedPnl);
        }).ToList();
        double toNs = 1e9 / Stopwatch.Frequency;
        var stats = new ReplayStats(
            Ticks: ticks,
            Exits: _exits.Count,
            ElapsedMs: elapsedMs,
            TicksPerSecond: elapsedMs > 0 ? ticks / (elapsedMs / 1000.0) : 0,
            InsaneQuotes: _engine.Counters.InsaneQuotes,
            OutOfOrder: _engine.Counters.OutOfOrder,
            IvFailures: _engine.Counters.IvFailures,
            Deferred: _engine.Counters.Deferred,
            TickP50Ns: (long)(_tickLatency.ValueAtQuantile(0.5) * toNs),
            TickP99Ns: (long)(_tickLatency.ValueAtQuantile(0.99) * toNs),
            TickP999Ns: (long)(_tickLatency.ValueAtQuantile(0.999) * toNs),
            TickMaxNs: (long)(_tickLatency.Max * toNs),
            Positions: Positions.Count,
            Symbols: Symbols.Count);
        return new ReplayResult(_exits, positions, stats);
    }

    /// <summary>
    /// <c>replay --until</c>: the instant the clock runs on to after the last tick (instead of that
    /// tick's session close). An instant before the last tick changes nothing: the clock never goes back.
    /// </summary>
    public long? UntilNs { get; init; }

    /// <summary>Where the clock stops: <see cref="UntilNs"/>, else the close of the last tick's regular session (none on a closed day, or after the close).</summary>
    private long EndOfClock(long lastNs)
    {
        if (lastNs == long.MinValue) return long.MinValue; // an empty tape: no clock at all
        if (UntilNs is { } until) return until;
        return Streamer.Rules.Calendar.MarketCalendar.Nyse.TryGetSession(Streamer.Rules.Calendar.MarketCalendar.Nyse.NewYorkDate(lastNs), out _, out long close) && close > lastNs
            ? close
            : long.MinValue;
    }

    private void Open(PositionSpec spec, long now, ref CollectingSink sink)
    {
        // let the clock reach the opening instant first, so time rules of earlier positions fire in order
        if (spec.OpenedAtNs != long.MinValue && _engine.ClockNs != long.MinValue && spec.OpenedAtNs > _engine.ClockNs)
            _engine.OnClock(spec.OpenedAtNs, ref sink);
        _engine.AddPosition(spec);
        Recorder?.OnPositionAdded(spec, _engine);
        _ = now;
    }

    private struct CollectingSink : IExitSink
    {
        public ReplaySession Session;

        public readonly void OnExit(in ExitDecision exit)
        {
            var record = ExitRecord.From(exit, Session.MeasureLatencyInEvents);
            Session._exits.Add(record);
            Session.Recorder?.OnExit(record, Session._engine);
            Session.OnExit?.Invoke(record);
        }
    }
}
