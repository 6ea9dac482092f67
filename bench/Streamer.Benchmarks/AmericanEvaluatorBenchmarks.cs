using BenchmarkDotNet.Attributes;
using Streamer.Rules.Books;
using Streamer.Rules.Calendar;
using Streamer.Rules.Engine;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;
using Streamer.Rules.Positions;

namespace Streamer.Benchmarks;

/// <summary>
/// One tick through the exit engine for a short put on a dividend payer (a cash dividend before
/// expiry, American: the finite-difference model) in a delta_stop book, against the same position
/// priced European (style: european: Black–Scholes on the spot net of the dividend). Option quotes
/// alternate between two prices so each one re-solves the IV (and, American, the leg's mesh);
/// underlying ticks read delta off the cached mesh. The same put with no dividend configured (KON)
/// is American by ALO (its early-exercise premium is material). Nothing fires; 0 B per tick.
/// </summary>
[Config(typeof(BenchmarkConfig))]
public class AmericanEvaluatorBenchmarks
{
    private const string Books = """
        books:
          t:
            rules:
              credit_stop: { debit_multiple: 3 }
              delta_stop: { short_delta: 0.9 }
              touch: {}
        pricing:
          underlyings:
            KO: { dividends: [ { ex_date: 2026-02-13, amount: 0.51 } ] }
            KOE: { style: european, dividends: [ { ex_date: 2026-02-13, amount: 0.51 } ] }
        """;

    private ExitEngine _american = null!;
    private ExitEngine _european = null!;
    private ExitEngine _alo = null!;
    private Tick[] _aloQuotes = null!, _aloSpot = null!;
    private Tick[] _americanQuotes = null!, _americanSpot = null!, _europeanQuotes = null!, _europeanSpot = null!;
    private NullSink _sink;
    private int _i;

    [GlobalSetup]
    public void Setup()
    {
        var books = BookSet.Parse(Books, "bench-books");
        long t = MarketCalendar.NewYorkToUtc(new DateOnly(2026, 1, 21), new TimeOnly(11, 0));
        (_american, _americanQuotes, _americanSpot) = Build(books, "KO", t);
        (_european, _europeanQuotes, _europeanSpot) = Build(books, "KOE", t);
        (_alo, _aloQuotes, _aloSpot) = Build(books, "KON", t);
        if (_sink.Exits != 0) throw new InvalidOperationException("an exit fired during setup");
    }

    private (ExitEngine, Tick[], Tick[]) Build(BookSet books, string underlying, long t)
    {
        var symbols = new SymbolTable();
        var engine = new ExitEngine(symbols, books);
        string put = underlying + "260320P00070000";
        engine.AddPosition(PositionsFile.ParseOne($$"""
            { "id": "P", "book": "t", "underlying": "{{underlying}}", "legs": [ { "symbol": "{{put}}", "qty": -5, "entry_price": 1.40 } ] }
            """));
        int spot = symbols.Lookup(underlying), leg = symbols.Lookup(put);
        Tick[] quotes = [Tick.Quote(t, leg, 1.38, 1.42), Tick.Quote(t, leg, 1.40, 1.44)];
        Tick[] spots = [Tick.Quote(t, spot, 71.98, 72.02), Tick.Quote(t, spot, 72.08, 72.12)];
        var warm = spots[0];
        engine.OnTick(in warm, ref _sink);
        warm = quotes[0];
        engine.OnTick(in warm, ref _sink);
        return (engine, quotes, spots);
    }

    [Benchmark(Description = "American + dividend: option quote → IV + mesh + rules")]
    public void AmericanOptionQuote() => _american.OnTick(in _americanQuotes[_i++ & 1], ref _sink);

    [Benchmark(Description = "American + dividend: underlying tick → delta off the mesh + rules")]
    public void AmericanUnderlyingTick() => _american.OnTick(in _americanSpot[_i++ & 1], ref _sink);

    [Benchmark(Description = "European + dividend: option quote → IV + Greeks + rules")]
    public void EuropeanOptionQuote() => _european.OnTick(in _europeanQuotes[_i++ & 1], ref _sink);

    [Benchmark(Description = "European + dividend: underlying tick → Greeks + rules")]
    public void EuropeanUnderlyingTick() => _european.OnTick(in _europeanSpot[_i++ & 1], ref _sink);

    [Benchmark(Description = "American, no dividend (ALO): option quote → IV + Greeks + rules")]
    public void AloOptionQuote() => _alo.OnTick(in _aloQuotes[_i++ & 1], ref _sink);

    [Benchmark(Description = "American, no dividend (ALO): underlying tick → Greeks + rules")]
    public void AloUnderlyingTick() => _alo.OnTick(in _aloSpot[_i++ & 1], ref _sink);

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
