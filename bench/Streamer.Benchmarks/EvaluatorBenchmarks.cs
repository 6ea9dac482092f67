using BenchmarkDotNet.Attributes;
using Streamer.Rules.Books;
using Streamer.Rules.Calendar;
using Streamer.Rules.Engine;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;
using Streamer.Rules.Positions;

namespace Streamer.Benchmarks;

/// <summary>
/// One tick through the exit engine with no exit firing: an option quote (mark → IV solve → Greeks →
/// every rule of the book) or an underlying tick (Greeks repriced at the new spot with the last IV →
/// rules), for a single-leg and a two-leg position. Targets: ≤ 250 ns single-leg, ≤ 500 ns two-leg, 0 B.
/// The quotes alternate between two prices so every option tick really re-solves the IV. Both
/// positions hold a short option leg in a book with delta_stop, so Greeks are recomputed on every
/// tick (the engine's most expensive path; books without delta_stop compute Greeks on demand).
/// </summary>
[Config(typeof(BenchmarkConfig))]
public class EvaluatorBenchmarks
{
    private const string Books = """
        books:
          single:
            rules:
              underlying_stop: {}
              underlying_target: {}
              premium_stop: { loss_pct: 0.9 }
              premium_target: { gain_pct: 5 }
              credit_stop: { debit_multiple: 3 }
              delta_stop: { short_delta: 0.9 }
              touch: {}
              day_trade_close: {}
              max_hold: { minutes: 100000 }
              expiry_risk: { hours: 24 }
          spread:
            rules:
              scale_out: { min_contracts: 3 }
              credit_stop: { debit_multiple: 3 }
              delta_stop: { short_delta: 0.9 }
              touch: {}
              dte_stop: { dte: 1 }
        """;

    private ExitEngine _single = null!;
    private ExitEngine _spread = null!;
    private Tick[] _callQuotes = null!;
    private Tick[] _singleSpot = null!;
    private Tick[] _shortPutQuotes = null!;
    private Tick[] _spreadSpot = null!;
    private NullSink _sink;
    private int _i;

    [GlobalSetup]
    public void Setup()
    {
        var books = BookSet.Parse(Books, "bench-books");
        long t = MarketCalendar.NewYorkToUtc(new DateOnly(2026, 1, 21), new TimeOnly(11, 0));

        var symbols = new SymbolTable();
        _single = new ExitEngine(symbols, books);
        _single.AddPosition(PositionsFile.ParseOne("""
            { "id": "C", "book": "single", "stop_underlying": 700, "target_underlying": 500,
              "legs": [ { "symbol": "SPY260220C00620000", "qty": -2, "entry_price": 3.00 } ] }
            """));
        int spy = symbols.Lookup("SPY"), call = symbols.Lookup("SPY260220C00620000");
        _callQuotes = [Tick.Quote(t, call, 3.00, 3.10), Tick.Quote(t, call, 3.05, 3.15)];
        _singleSpot = [Tick.Quote(t, spy, 599.98, 600.02), Tick.Quote(t, spy, 600.08, 600.12)];

        var symbols2 = new SymbolTable();
        _spread = new ExitEngine(symbols2, books);
        _spread.AddPosition(PositionsFile.ParseOne("""
            { "id": "P", "book": "spread",
              "legs": [ { "symbol": "SPY260220P00580000", "qty": -10, "entry_price": 4.10 },
                        { "symbol": "SPY260220P00575000", "qty": 10, "entry_price": 3.10 } ] }
            """));
        int spy2 = symbols2.Lookup("SPY"), sp = symbols2.Lookup("SPY260220P00580000"), lp = symbols2.Lookup("SPY260220P00575000");
        _shortPutQuotes = [Tick.Quote(t, sp, 4.05, 4.15), Tick.Quote(t, sp, 4.10, 4.20)];
        _spreadSpot = [Tick.Quote(t, spy2, 599.98, 600.02), Tick.Quote(t, spy2, 600.08, 600.12)];

        // warm: spots, marks and IVs known; nothing may fire
        Feed(_single, _singleSpot[0]);
        Feed(_single, _callQuotes[0]);
        Feed(_spread, _spreadSpot[0]);
        Feed(_spread, Tick.Quote(t, lp, 3.05, 3.15));
        Feed(_spread, _shortPutQuotes[0]);
        if (_sink.Exits != 0) throw new InvalidOperationException("an exit fired during setup: the benchmark would measure a closed position");
    }

    private void Feed(ExitEngine engine, Tick tick) => engine.OnTick(in tick, ref _sink);

    [Benchmark(Description = "single leg: option quote → IV + Greeks + rules")]
    public void SingleLegOptionQuote() => _single.OnTick(in _callQuotes[_i++ & 1], ref _sink);

    [Benchmark(Description = "single leg: underlying tick → reprice + rules")]
    public void SingleLegUnderlyingTick() => _single.OnTick(in _singleSpot[_i++ & 1], ref _sink);

    [Benchmark(Description = "2-leg: option quote → IV + Greeks + rules")]
    public void TwoLegOptionQuote() => _spread.OnTick(in _shortPutQuotes[_i++ & 1], ref _sink);

    [Benchmark(Description = "2-leg: underlying tick → reprice both legs + rules")]
    public void TwoLegUnderlyingTick() => _spread.OnTick(in _spreadSpot[_i++ & 1], ref _sink);

    [GlobalCleanup]
    public void Cleanup()
    {
        if (_sink.Exits != 0) throw new InvalidOperationException($"{_sink.Exits} exits fired: the benchmark did not measure the no-exit path");
    }

    private struct NullSink : IExitSink
    {
        public int Exits;

        public void OnExit(in ExitDecision exit) => Exits++;
    }
}
