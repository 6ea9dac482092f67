using System.Diagnostics;
using System.Diagnostics.Metrics;
using Streamer.Rules.Books;
using Streamer.Stream.Contracts;

namespace Streamer.Stream.Pipeline;

/// <summary>
/// The pipeline's instruments in the <c>Streamer</c> meter (docs/metrics.md). The per-tick path is
/// never touched: ticks in, ticks per shard, positions monitored and exits by rule are observable
/// instruments whose callbacks read, at collection time, the counters the ingress and the shards
/// already keep. Only the histograms are recorded, and only per exit or per journal transaction, on
/// the exit and journal threads (never a shard thread; decision → published is the outbox's, in the service's metrics): <see cref="System.Diagnostics.Metrics.Histogram{T}.Record(T)"/>
/// with no listener is a flag check; with one it is the listener's work, once per exit.
/// </summary>
public sealed class PipelineMetrics
{
    /// <summary>
    /// Seconds, 10 µs to 5 s: a decision is tens of µs on a warm shard, ms when the box is busy;
    /// the default buckets (0 to 10 000, made for ms) would put every exit in the first one.
    /// </summary>
    public static IReadOnlyList<double> LatencyBuckets { get; } =
        [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

    private static readonly double SecondsPerStopwatchTick = 1.0 / Stopwatch.Frequency;
    private static readonly RuleId[] Rules = [.. Enum.GetValues<RuleId>().Where(r => r != RuleId.None)];

    private readonly TickPipeline _pipeline;
    private readonly Histogram<double> _tickToDecision;
    private readonly Histogram<double> _journalCommit;

    /// <summary>Creates the instruments in <paramref name="meter"/> and has <paramref name="pipeline"/>'s exit and journal threads record into them.</summary>
    public PipelineMetrics(Meter meter, TickPipeline pipeline)
    {
        ArgumentNullException.ThrowIfNull(meter);
        ArgumentNullException.ThrowIfNull(pipeline);
        _pipeline = pipeline;
        meter.CreateObservableCounter(StreamerMetricNames.TicksIn, () => pipeline.Ingress.Ticks, "{tick}",
            "ticks entered the pipeline from every source");
        meter.CreateObservableCounter(StreamerMetricNames.ShardTicks, ShardTicks, "{tick}",
            "ticks processed by each shard's engine");
        meter.CreateObservableUpDownCounter(StreamerMetricNames.PositionsMonitored, () => pipeline.OpenPositionCount, "{position}",
            "positions monitored and still open");
        meter.CreateObservableCounter(StreamerMetricNames.Exits, ExitsByRule, "{exit}",
            "exits decided, by the rule that fired");
        var advice = new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets };
        _tickToDecision = meter.CreateHistogram(StreamerMetricNames.TickToDecision, "s",
            "tick (or clock event) entering the pipeline to the exit decided on its shard, queueing included", advice: advice);
        _journalCommit = meter.CreateHistogram(StreamerMetricNames.JournalCommit, "s",
            "one journal transaction of exits (group commit, fsync included)", advice: advice);
        pipeline.Exits.Metrics = this;
    }

    private IEnumerable<Measurement<long>> ShardTicks()
    {
        var shards = _pipeline.Shards;
        var list = new Measurement<long>[shards.Count];
        for (int i = 0; i < shards.Count; i++)
            list[i] = new Measurement<long>(shards[i].Ticks, new KeyValuePair<string, object?>(StreamerMetricNames.ShardTag, ShardLabel(i)));
        return list;
    }

    /// <summary>every rule any shard has fired so far (a rule that never fired is left out, not reported as 0).</summary>
    private IEnumerable<Measurement<long>> ExitsByRule()
    {
        var list = new List<Measurement<long>>();
        foreach (var rule in Rules)
        {
            long n = 0;
            foreach (var shard in _pipeline.Shards) n += shard.ExitsOf(rule);
            if (n > 0) list.Add(new Measurement<long>(n, new KeyValuePair<string, object?>(StreamerMetricNames.RuleTag, rule.Name())));
        }
        return list;
    }

    private static readonly string[] ShardLabels = [.. Enumerable.Range(0, 256).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    private static string ShardLabel(int i) => i < ShardLabels.Length ? ShardLabels[i] : i.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>exit thread, per exit.</summary>
    internal void RecordTickToDecision(long ns) => _tickToDecision.Record(ns / 1e9);

    /// <summary>journal thread, per transaction: Stopwatch timestamps around it.</summary>
    internal void RecordJournalCommit(long startTs, long endTs) => _journalCommit.Record((endTs - startTs) * SecondsPerStopwatchTick);
}
