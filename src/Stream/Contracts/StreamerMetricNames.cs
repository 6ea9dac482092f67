namespace Streamer.Stream.Contracts;

/// <summary>
/// The one spelling of the <c>Streamer</c> meter and its instruments (docs/metrics.md): the layers
/// that create the instruments, the exporter that subscribes to the meter, the tests and the
/// Grafana dashboard all read these. Prometheus sees them with dots as underscores, the unit as a
/// suffix (<c>_seconds</c>) and <c>_total</c> on counters (docs/metrics.md lists the exposed names).
/// </summary>
public static class StreamerMetricNames
{
    /// <summary>The <see cref="System.Diagnostics.Metrics.Meter"/> every instrument lives in; exporters subscribe to it by this name.</summary>
    public const string Meter = "Streamer";

    /// <summary>ticks entered the pipeline (every source, before the sanity filter); observable counter.</summary>
    public const string TicksIn = "streamer.ticks";

    /// <summary>ticks a shard's engine processed, label <see cref="ShardTag"/>; observable counter.</summary>
    public const string ShardTicks = "streamer.shard.ticks";

    /// <summary>positions monitored and still open (the heartbeat's <c>positions_monitored</c>); observable up-down counter.</summary>
    public const string PositionsMonitored = "streamer.positions.monitored";

    /// <summary>exits decided, label <see cref="RuleTag"/> (the rule's snake_case name); observable counter.</summary>
    public const string Exits = "streamer.exits";

    /// <summary>exits acked by JetStream this run; observable counter.</summary>
    public const string ExitsPublished = "streamer.exits.published";

    /// <summary>alerts raised (past the repeat window: what NATS subscribers get), label <see cref="KindTag"/>; observable counter.</summary>
    public const string Alerts = "streamer.alerts";

    /// <summary>tick (or clock event) in → exit decided, per exit, seconds; histogram.</summary>
    public const string TickToDecision = "streamer.exit.tick_to_decision";

    /// <summary>exit decided on its shard → acked by JetStream (as the outbox marks it), per exit, seconds; histogram.</summary>
    public const string DecisionToPublished = "streamer.exit.decision_to_published";

    /// <summary>one journal transaction of exits (group commit, fsync included), seconds; histogram.</summary>
    public const string JournalCommit = "streamer.journal.commit";

    /// <summary>exits journaled and not yet acked by JetStream; observable up-down counter.</summary>
    public const string OutboxDepth = "streamer.outbox.depth";

    /// <summary>NATS connections after the first (reconnects); observable counter.</summary>
    public const string NatsReconnects = "streamer.nats.reconnects";

    /// <summary>the Alpaca executor's exits by outcome, label <see cref="StatusTag"/> (<c>filled</c>, <c>failed</c>); observable counter.</summary>
    public const string ExecutorOrders = "streamer.executor.orders";

    /// <summary>the Alpaca executor's exits whose orders are not done; observable up-down counter.</summary>
    public const string ExecutorOrdersWorking = "streamer.executor.orders.working";

    public const string ShardTag = "shard";
    public const string RuleTag = "rule";
    public const string KindTag = "kind";
    public const string StatusTag = "status";
}
