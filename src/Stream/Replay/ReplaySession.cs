using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
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

    /// <summary>The single-thread replay: this thread reads the tape and runs the engine, tick by tick.</summary>
    public ReplayResult Run(TapeReader tape)
    {
        ArgumentNullException.ThrowIfNull(tape);
        var sink = new CollectingSink { Session = this };
        int next = 0;
        long ticks = 0;
        long started = Stopwatch.GetTimestamp();
        while (tape.TryRead(out Tick tick))
        {
            Step(in tick, ref sink, ref next);
            ticks++;
        }
        return Finish(ref sink, next, ticks, started);
    }

    /// <summary>
    /// Ring slots of the two-thread hand-off: 65,536 × 48 B, 3 MiB. A ring in L2 (2,048 slots) was measured
    /// at 360 ns a tick on this shared 2-core VM against 12-17 ns for this one (TickHandoffBenchmarks): when
    /// the two threads do not run at once, each full or empty ring costs a scheduler hand-over, and a larger
    /// ring needs 32× fewer of them.
    /// </summary>
    public const int DefaultHandoffCapacity = 65_536;

    /// <summary>
    /// Text tapes from this size up replay on two threads when the machine has two cores (<c>streamer replay</c>):
    /// below it the thread's start and the hand-off cost more than parsing a few thousand rows alongside saves.
    /// </summary>
    public const long TwoThreadMinimumTapeBytes = 1 << 20;

    /// <summary>
    /// Whether a tape is worth the two-thread replay on this machine: a CSV or JSONL tape of at least
    /// <see cref="TwoThreadMinimumTapeBytes"/> (parsing is 100-400 ns a row, a share of the replay worth
    /// moving to the other core). Not a binary tape: it reads in ~7-50 ns a tick, so at most that is saved
    /// (replay-throughput measured it slower on two threads with a 2,048-slot ring, 0.98-1.24x with
    /// the 65,536-slot one: README "Performance"; worth revisiting once the engine is faster).
    /// </summary>
    public static bool PrefersTwoThreads(long tapeBytes, TapeFormat? format) =>
        Environment.ProcessorCount >= 2 && tapeBytes >= TwoThreadMinimumTapeBytes && format != TapeFormat.Binary;

    /// <summary>
    /// The two-thread replay: a parser thread reads the tape into a preallocated ring
    /// (<see cref="TickHandoff"/>) while this thread runs the engine over it; the same exits, report and
    /// recorder calls as <see cref="Run"/>, byte for byte, and the same failure at a bad row after the
    /// same ticks. <paramref name="openTape"/> opens the tape on the table it is given: the parser interns
    /// into its own copy of <see cref="Symbols"/>, and this thread brings <see cref="Symbols"/> to the
    /// parser's count as of each tick before taking it. The engine sizes its per-symbol state from that
    /// count when a position joins (a tick past it is ignored, uncounted), so the table must grow as it
    /// would under one thread, not as far ahead as the parser happens to be. The session disposes the tape.
    /// </summary>
    public ReplayResult RunTwoThreads(Func<SymbolTable, TapeReader> openTape, int handoffCapacity = DefaultHandoffCapacity)
    {
        ArgumentNullException.ThrowIfNull(openTape);
        var parserSymbols = CopyOfSymbols();
        using var tape = openTape(parserSymbols);
        using var handoff = new TickHandoff(handoffCapacity);
        var parser = new Thread(() => Parse(tape, parserSymbols, handoff)) { IsBackground = true, Name = "replay-parser" };
        var sink = new CollectingSink { Session = this };
        int next = 0;
        long ticks = 0;
        int known = Symbols.Count;
        long started = Stopwatch.GetTimestamp();
        parser.Start();
        try
        {
            long sequence = 0;
            while (handoff.TryTakeBatch(sequence, out int count))
            {
                long end = sequence + count;
                for (; sequence < end; sequence++)
                {
                    ref readonly var slot = ref handoff.At(sequence);
                    if (slot.SymbolCount > known) known = CatchUpSymbols(parserSymbols, slot.SymbolCount);
                    Step(in slot.Tick, ref sink, ref next);
                }
                ticks += count;
                handoff.Release(end);
            }
            if (handoff.FinalSymbolCount > known) CatchUpSymbols(parserSymbols, handoff.FinalSymbolCount);
            handoff.ThrowIfProducerFailed();
        }
        catch
        {
            handoff.Abandon();
            throw;
        }
        finally
        {
            parser.Join();
        }
        return Finish(ref sink, next, ticks, started);
    }

    /// <summary>The parser thread: every tick of the tape into the hand-off, then the end (with what stopped it, if anything).</summary>
    private static void Parse(TapeReader tape, SymbolTable parserSymbols, TickHandoff handoff)
    {
        ExceptionDispatchInfo? failure = null;
        try
        {
            while (tape.TryRead(out Tick tick))
            {
                if (!handoff.Write(in tick, parserSymbols.Count)) break; // the engine thread failed: stop
            }
        }
#pragma warning disable CA1031 // every failure crosses to the engine thread, which rethrows it
        catch (Exception e)
#pragma warning restore CA1031
        {
            failure = ExceptionDispatchInfo.Capture(e);
        }
        handoff.Complete(parserSymbols.Count, failure);
    }

    /// <summary>The parser's table, seeded with the same symbols in the same order: the same ids.</summary>
    private SymbolTable CopyOfSymbols()
    {
        var copy = new SymbolTable();
        int count = Symbols.Count;
        for (int id = 1; id <= count; id++)
        {
            if (copy.Intern(Symbols[id]) != id) ThrowIdsDiverged(Symbols[id], id);
        }
        return copy;
    }

    /// <summary>The engine's table to the parser's <paramref name="target"/> count, in id order (cold: a tick with a new symbol).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private int CatchUpSymbols(SymbolTable parserSymbols, int target)
    {
        for (int id = Symbols.Count + 1; id <= target; id++)
        {
            string symbol = parserSymbols[id];
            if (Symbols.Intern(symbol) != id) ThrowIdsDiverged(symbol, id);
        }
        return Symbols.Count;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowIdsDiverged(string symbol, int id) =>
        throw new InvalidOperationException($"replay: symbol '{symbol}' did not get id {id} in the engine's table (something else interned into it during the replay)");

    /// <summary>One tick: the positions it opens join first, then the engine takes it, then the recorder sees it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Step(in Tick tick, ref CollectingSink sink, ref int next)
    {
        while (next < _pending.Count && _pending[next].OpenedAtNs <= tick.TimeNs)
            Open(_pending[next++], tick.TimeNs, ref sink);
        long t0 = Stopwatch.GetTimestamp();
        _engine.OnTick(in tick, ref sink);
        _tickLatency.Record(Stopwatch.GetTimestamp() - t0);
        Recorder?.OnTick(in tick, _engine);
    }

    /// <summary>After the last tick: the clock runs on, late positions join, the result is assembled.</summary>
    private ReplayResult Finish(ref CollectingSink sink, int next, long ticks, long started)
    {
        var recorder = Recorder;
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
