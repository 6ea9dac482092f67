using System.Diagnostics.Metrics;
using BenchmarkDotNet.Attributes;
using Streamer.Rules.Books;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;
using Streamer.Rules.Positions;
using Streamer.Rules.Time;
using Streamer.Stream.Journal.Outbox;
using Streamer.Stream.Pipeline;
using Streamer.Stream.Alpaca.MarketData;
using Streamer.Stream.Service;
namespace Streamer.Benchmarks;

/// <summary>
/// Tick in → decision out through the live pipeline: the ingress (sanity filter, route by
/// underlying), the shard's bounded channel, the shard thread's engine (reprice both legs of a
/// put credit spread: IV solve, Greeks, P&amp;L, every rule). Per operation: one tick, from the
/// benchmark thread's Publish until the shard thread has processed it (the benchmark spins until
/// the shard's tick count reaches the batch, so queueing and the hand-off are included). The
/// MemoryDiagnoser counts every thread's allocations: it must show 0 B.
/// <see cref="Metrics"/> = true: the pipeline's instruments (docs/metrics.md) exist and a
/// <see cref="MeterListener"/> (what the OpenTelemetry SDK is built on) listens to every one of them
/// and collects the observable ones every 100 ms, ten times what a dashboard's scrape does: the
/// per-tick path must cost the same with it as without (0 B, the same ns within noise).
/// </summary>
[Config(typeof(BenchmarkConfig))]
public class PipelineBenchmarks
{
    private const int Batch = 10_000;
    private TickPipeline _pipeline = null!;
    private Tick[] _ticks = [];
    private long _processed;
    private long _time;

    [Params(1, 2)]
    public int Shards { get; set; }

    [Params(false, true)]
    public bool Metrics { get; set; }

    private Meter? _meter;
    private MeterListener? _listener;
    private Timer? _scrape;
    private long _observed;

    [GlobalSetup]
    public void Setup()
    {
        var symbols = new SymbolTable();
        _pipeline = new TickPipeline(new PipelineOptions { Shards = Shards, Clock = ClockMode.Virtual, SnapshotInterval = TimeSpan.Zero }, symbols, BookSet.BuiltIn, new DiscardTarget());
        if (Metrics)
        {
            _meter = new Meter(Streamer.Stream.Contracts.StreamerMetricNames.Meter);
            _ = new PipelineMetrics(_meter, _pipeline);
            _listener = new MeterListener
            {
                InstrumentPublished = (instrument, listener) =>
                {
                    if (ReferenceEquals(instrument.Meter, _meter)) listener.EnableMeasurementEvents(instrument);
                },
            };
            _listener.SetMeasurementEventCallback<long>((_, v, _, _) => Interlocked.Add(ref _observed, v));
            _listener.SetMeasurementEventCallback<int>((_, v, _, _) => Interlocked.Add(ref _observed, v));
            _listener.SetMeasurementEventCallback<double>((_, _, _, _) => Interlocked.Increment(ref _observed));
            _listener.Start();
            _scrape = new Timer(_ => _listener.RecordObservableInstruments(), null, 100, 100);
        }
        _pipeline.Start();
        string[] roots = ["SPY", "QQQ"];
        var ticks = new List<Tick>();
        foreach (var root in roots)
        {
            var spec = PositionsFile.ParseOne($$"""
                { "id": "{{root}}-PCS", "book": "primary",
                  "legs": [ { "symbol": "{{root}}260220P00580000", "qty": -10, "entry_price": 2.10 },
                            { "symbol": "{{root}}260220P00575000", "qty": 10, "entry_price": 0.90 } ] }
                """, "bench");
            _ = _pipeline.AddPositionAsync(spec);
        }
        _time = NanoTime.ParseRfc3339("2026-01-06T15:00:00Z");
        for (int i = 0; i < 64; i++)
        {
            foreach (var root in roots)
            {
                double w = (i % 8) * 0.01;
                ticks.Add(Tick.Quote(0, symbols.Intern(root), 600 + w, 600.02 + w));
                ticks.Add(Tick.Quote(0, symbols.Intern(root + "260220P00580000"), 2.05 + w, 2.08 + w));
                ticks.Add(Tick.Quote(0, symbols.Intern(root + "260220P00575000"), 0.88 + w, 0.90 + w));
            }
        }
        _ticks = [.. ticks];
        Run(); // positions join at the first tick; every path warm
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _scrape?.Dispose();
        _pipeline.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _listener?.Dispose();
        _meter?.Dispose();
        if (Metrics && Interlocked.Read(ref _observed) == 0) throw new InvalidOperationException("the listener observed nothing: the with-metrics run measured no metrics");
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public void TickThroughShard() => Run();

    private void Run()
    {
        var ingress = _pipeline.Ingress;
        for (int i = 0; i < Batch; i++)
        {
            var tick = _ticks[i % _ticks.Length];
            tick.TimeNs = _time += 1_000; // 1 µs apart: stays inside one session for ~10^9 ticks
            ingress.Publish(in tick);
        }
        _processed += Batch;
        var shards = _pipeline.Shards;
        while (true)
        {
            long done = 0;
            for (int s = 0; s < shards.Count; s++) done += shards[s].Ticks;
            if (done >= _processed) return;
            Thread.SpinWait(20);
        }
    }

    private sealed class DiscardTarget : IExitTarget
    {
        public ExitSubmitOutcome Submit(Streamer.Stream.Pipeline.PendingExit exit) => ExitSubmitOutcome.Accepted;

        public void Record(Streamer.Stream.Pipeline.PositionChange change) { }
    }
}
