using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Streamer.Stream.Contracts;
using Streamer.Stream.Journal.Outbox;
using Streamer.Stream.Nats;

namespace Streamer.Stream.Service.Metrics;

/// <summary>
/// The <c>Streamer</c> meter of one running service (docs/metrics.md), made by the host's
/// <see cref="IMeterFactory"/> (so it lives and dies with the host, and two services in one process,
/// as in the tests, keep apart) and the service layer's observable instruments: alerts by kind,
/// outbox depth, exits acked, NATS reconnects. Their callbacks read counters the service already
/// keeps, when a listener collects; the one histogram here (decision → published) is recorded per
/// exit acked, on the outbox's marking thread. The pipeline's instruments
/// (<see cref="Pipeline.PipelineMetrics"/>) and the executor's join the same meter. Live whenever the
/// service runs, exporter or not: an exporter (src/Stream/Metrics, <c>AddStreamerMetrics</c>)
/// subscribes to the meter by name. A hosted service only so the host creates it when it starts
/// (after the journal has opened; nothing to start or stop).
/// </summary>
public sealed class StreamerMetrics : IHostedService
{
    public StreamerMetrics(IMeterFactory meters, AlertPublisher alerts, ExitOutbox outbox, IMessageBus bus)
    {
        ArgumentNullException.ThrowIfNull(meters);
        ArgumentNullException.ThrowIfNull(alerts);
        ArgumentNullException.ThrowIfNull(outbox);
        ArgumentNullException.ThrowIfNull(bus);
        Meter = meters.Create(StreamerMetricNames.Meter);
        Meter.CreateObservableCounter(StreamerMetricNames.Alerts, () => Alerts(alerts), "{alert}",
            "alerts raised, by kind (repeats inside the 30 s window are not counted)");
        Meter.CreateObservableUpDownCounter(StreamerMetricNames.OutboxDepth, () => outbox.Backlog, "{exit}",
            "exits journaled and not yet acked by JetStream");
        Meter.CreateObservableCounter(StreamerMetricNames.ExitsPublished, () => outbox.Published, "{exit}",
            "exits acked by JetStream since start");
        var decisionToPublished = Meter.CreateHistogram(StreamerMetricNames.DecisionToPublished, "s",
            "exit decided on its shard to acked by JetStream (as the outbox marks it published)",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = Pipeline.PipelineMetrics.LatencyBuckets });
        // per exit, on the outbox's marking thread: a flag check when nothing listens
        outbox.AckedAfterDecision += t => decisionToPublished.Record(t.TotalSeconds);
        // the first connection is not a reconnect; before it there is none either
        Meter.CreateObservableCounter(StreamerMetricNames.NatsReconnects, () => (long)Math.Max(0, bus.Connections - 1), "{reconnect}",
            "NATS connections opened after the first");
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The meter the pipeline and the executor add their instruments to.</summary>
    public Meter Meter { get; }

    private static IEnumerable<Measurement<long>> Alerts(AlertPublisher alerts)
    {
        var raised = alerts.RaisedByKind();
        var list = new Measurement<long>[raised.Count];
        for (int i = 0; i < raised.Count; i++)
            list[i] = new Measurement<long>(raised[i].Value, new KeyValuePair<string, object?>(StreamerMetricNames.KindTag, raised[i].Key));
        return list;
    }
}
