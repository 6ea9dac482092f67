using System.Diagnostics.Metrics;
using Streamer.Feed.Tapes;
using Streamer.Rules.Books;
using Streamer.Rules.Instruments;
using Streamer.Rules.Positions;
using Streamer.Stream.Contracts;
using Streamer.Stream.Pipeline;

namespace Streamer.Stream.Tests.Pipeline;

/// <summary>
/// The pipeline's instruments (docs/metrics.md) read through a <see cref="MeterListener"/> on the
/// demo tape: each number is checked against one worked out without the pipeline (the tape's rows,
/// the shard each row's underlying routes to, replay's exits by rule).
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class PipelineMetricsTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Ticks_in_ticks_per_shard_and_exits_by_rule_match_the_tape_and_replay(int shards)
    {
        var symbols = new SymbolTable();
        var target = new CollectingExitTarget();
        var options = new PipelineOptions { Shards = shards, Clock = ClockMode.Virtual, LatencyInPayload = false, SnapshotInterval = TimeSpan.Zero };
        // a meter of this test's own: the listener below hears nothing another test's pipeline records
        using var meter = new Meter(StreamerMetricNames.Meter);
        await using var pipeline = new TickPipeline(options, symbols, BookSet.BuiltIn, target);
        _ = new PipelineMetrics(meter, pipeline);
        using var collected = new Collected(meter);
        pipeline.Start();
        foreach (var p in Demo.Positions()) _ = pipeline.AddPositionAsync(p);
        await pipeline.RunSourceAsync(new TapeTickSource(Demo.File("ticks.csv"), symbols));
        await pipeline.StopAsync();

        // what the tape says, read on its own: rows, and the shard of each row's underlying
        long rows = 0;
        var perShard = new long[shards];
        using (var tape = TapeReader.Open(Demo.File("ticks.csv"), symbols))
        {
            while (tape.TryRead(out var tick))
            {
                rows++;
                perShard[TickIngress.ShardFor(symbols, tick.SymbolId, shards)]++;
            }
        }
        var replayByRule = Demo.ReplayExits().GroupBy(e => e.Rule).ToDictionary(g => g.Key, g => (long)g.Count());
        Assert.NotEmpty(replayByRule);

        collected.Observe();
        Assert.True(rows > 100, $"the demo tape has {rows} rows");
        Assert.Equal(rows, collected.Single(StreamerMetricNames.TicksIn));
        for (int i = 0; i < shards; i++)
            Assert.Equal(perShard[i], collected.Tagged(StreamerMetricNames.ShardTicks, StreamerMetricNames.ShardTag)[i.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        Assert.Equal(shards, collected.Tagged(StreamerMetricNames.ShardTicks, StreamerMetricNames.ShardTag).Count);
        Assert.Equal(replayByRule, collected.Tagged(StreamerMetricNames.Exits, StreamerMetricNames.RuleTag));

        // one tick → decision per exit (the exit thread records them); one commit per batch handed over
        Assert.Equal(target.Exits.Count, collected.Count(StreamerMetricNames.TickToDecision));
        Assert.Equal(replayByRule.Values.Sum(), target.Exits.Count);
        Assert.InRange(collected.Count(StreamerMetricNames.JournalCommit), 1, target.Exits.Count);
        Assert.Equal(pipeline.Exits.ExitBatches, collected.Count(StreamerMetricNames.JournalCommit));
        Assert.All(collected.Values(StreamerMetricNames.TickToDecision), v => Assert.InRange(v, 0, 60));
    }

    [Fact]
    public async Task Positions_monitored_counts_the_open_positions_and_drops_when_one_is_removed()
    {
        var symbols = new SymbolTable();
        using var meter = new Meter(StreamerMetricNames.Meter);
        await using var pipeline = new TickPipeline(new PipelineOptions { Shards = 2, Clock = ClockMode.Virtual, SnapshotInterval = TimeSpan.Zero }, symbols, BookSet.BuiltIn, new CollectingExitTarget());
        _ = new PipelineMetrics(meter, pipeline);
        using var collected = new Collected(meter);
        pipeline.Start();
        // no opened_at: each joins at once (a demo position would wait for its tape to reach its opened_at)
        var positions = new[] { "SPY", "QQQ", "IWM" }.Select(root => PositionsFile.ParseOne($$"""
            { "id": "{{root}}-1", "book": "day_trade", "stop_underlying": 90, "legs": [ { "symbol": "{{root}}", "qty": 100, "entry_price": 100 } ] }
            """, "test")).ToList();
        foreach (var p in positions) Assert.Null(await pipeline.AddPositionAsync(p).WaitAsync(TimeSpan.FromSeconds(10)));
        await pipeline.FlushAsync(); // each shard has counted its open positions after its adds (a barrier behind them)
        collected.Observe();
        Assert.Equal(positions.Count, collected.Single(StreamerMetricNames.PositionsMonitored));
        Assert.True(await pipeline.RemovePositionAsync(positions[0].Id).WaitAsync(TimeSpan.FromSeconds(10)));
        await pipeline.FlushAsync();
        collected.Observe();
        Assert.Equal(positions.Count - 1, collected.Single(StreamerMetricNames.PositionsMonitored));
        await pipeline.StopAsync();
    }

    /// <summary>The measurements of one meter's instruments: the last observed value per instrument and tag, every histogram value.</summary>
    private sealed class Collected : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly Lock _gate = new();
        private readonly Dictionary<(string Name, string? Tag), long> _last = [];
        private readonly Dictionary<string, List<double>> _recorded = [];

        public Collected(Meter meter)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (ReferenceEquals(instrument.Meter, meter)) listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Keep(instrument, value, tags));
            _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Keep(instrument, value, tags));
            _listener.SetMeasurementEventCallback<double>((instrument, value, _, _) =>
            {
                lock (_gate)
                {
                    if (!_recorded.TryGetValue(instrument.Name, out var list)) _recorded[instrument.Name] = list = [];
                    list.Add(value);
                }
            });
            _listener.Start();
        }

        private void Keep(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            string? tag = tags.Length == 0 ? null : tags[0].Value as string;
            lock (_gate) _last[(instrument.Name, tag)] = value;
        }

        /// <summary>Runs the observable instruments' callbacks now (what an exporter's collection does).</summary>
        public void Observe() => _listener.RecordObservableInstruments();

        public long Single(string name)
        {
            lock (_gate) return _last[(name, null)];
        }

        public Dictionary<string, long> Tagged(string name, string tagKey)
        {
            Assert.False(string.IsNullOrEmpty(tagKey));
            lock (_gate) return _last.Where(e => e.Key.Name == name && e.Key.Tag is not null).ToDictionary(e => e.Key.Tag!, e => e.Value);
        }

        public int Count(string name)
        {
            lock (_gate) return _recorded.TryGetValue(name, out var list) ? list.Count : 0;
        }

        public IReadOnlyList<double> Values(string name)
        {
            lock (_gate) return _recorded.TryGetValue(name, out var list) ? [.. list] : [];
        }

        public void Dispose() => _listener.Dispose();
    }
}
