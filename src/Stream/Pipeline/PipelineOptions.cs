namespace Streamer.Stream.Pipeline;

/// <summary>How the pipeline is built. Validated by <see cref="Validate"/> (the pipeline calls it).</summary>
public sealed record PipelineOptions
{
    /// <summary>Shard workers (one thread and one engine each); underlyings are spread by a stable hash.</summary>
    public int Shards { get; init; } = 1;

    /// <summary>Items (ticks and commands) each shard's channel holds before writers wait (and the stall is counted).</summary>
    public int ShardCapacity { get; init; } = 8192;

    /// <summary>Exits waiting for the journal before shards wait.</summary>
    public int OutboundCapacity { get; init; } = 1024;

    /// <summary>Snapshot messages waiting for the bus; beyond it the oldest is dropped (counted): snapshots are state, not events.</summary>
    public int SnapshotCapacity { get; init; } = 1024;

    public ClockMode Clock { get; init; } = ClockMode.Wall;

    /// <summary>For <see cref="ClockMode.Scaled"/>: tape seconds per wall second.</summary>
    public double Speed { get; init; } = 1;

    /// <summary><c>Feed:StaleAfter</c>: no tick for this long → the feed is stale (alert); the next tick makes it live again.</summary>
    public TimeSpan StaleAfter { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A position whose symbols had no market data this long after it was added → <c>unmonitored</c> alert.</summary>
    public TimeSpan UnmonitoredAfter { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>At most one snapshot message per underlying per interval (zero or less: none).</summary>
    public TimeSpan SnapshotInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How often shards and the monitor look at slow things (unmonitored, staleness) when idle.</summary>
    public TimeSpan HousekeepingInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// <c>Pipeline:SpinMicroseconds</c>: how long an idle shard spins (watching its channel) before it
    /// sleeps. Waking a sleeping thread costs tens of µs; spinning costs a core. 0: sleep at once.
    /// </summary>
    public TimeSpan SpinBeforeSleep { get; init; } = TimeSpan.FromMicroseconds(50);

    /// <summary><c>Pipeline:YieldMicroseconds</c>: after the spin, how long an idle shard (and the exit thread) yields before it sleeps. 0: no yield phase.</summary>
    public TimeSpan YieldBeforeSleep { get; init; } = TimeSpan.Zero;

    /// <summary>
    /// <c>Pipeline:PublishFrom</c> (shard): the shard that decides an exit puts it on the wire itself
    /// (publish-first), with no hand-off to the exit thread; false: the exit thread does (one more wake-up).
    /// </summary>
    public bool PublishOnShard { get; init; } = true;

    /// <summary>the wait of idle shards and of the exit thread: spin, yield, block.</summary>
    public IdleWait Wait => new(SpinBeforeSleep, YieldBeforeSleep);

    /// <summary>
    /// Write the measured tick-in → decision-out latency into each exit's <c>latency_ns</c>. Off gives
    /// byte-identical payloads across runs (backtests compare them), as replay does.
    /// </summary>
    public bool LatencyInPayload { get; init; } = true;

    public void Validate()
    {
        if (Shards is < 1 or > 256) throw new ArgumentOutOfRangeException(nameof(Shards), Shards, "Pipeline:Shards must be 1..256");
        if (ShardCapacity < 1) throw new ArgumentOutOfRangeException(nameof(ShardCapacity), ShardCapacity, "Pipeline:ShardCapacity must be 1 or more");
        if (OutboundCapacity < 1) throw new ArgumentOutOfRangeException(nameof(OutboundCapacity), OutboundCapacity, "Pipeline:OutboundCapacity must be 1 or more");
        if (SnapshotCapacity < 1) throw new ArgumentOutOfRangeException(nameof(SnapshotCapacity), SnapshotCapacity, "Pipeline:SnapshotCapacity must be 1 or more");
        if (Clock == ClockMode.Scaled && !(Speed > 0 && double.IsFinite(Speed))) throw new ArgumentOutOfRangeException(nameof(Speed), Speed, "Feed:Speed must be more than 0 for a scaled clock");
        if (StaleAfter <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(StaleAfter), StaleAfter, "Feed:StaleAfter must be more than 0");
        if (UnmonitoredAfter <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(UnmonitoredAfter), UnmonitoredAfter, "Pipeline:UnmonitoredAfter must be more than 0");
        if (SpinBeforeSleep < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(SpinBeforeSleep), SpinBeforeSleep, "Pipeline:SpinMicroseconds must be 0 or more");
        if (YieldBeforeSleep < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(YieldBeforeSleep), YieldBeforeSleep, "Pipeline:YieldMicroseconds must be 0 or more");
        if (HousekeepingInterval <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(HousekeepingInterval), HousekeepingInterval, "must be more than 0");
    }

    /// <summary><c>Feed:Speed</c> → clock: 0 follows the tape as fast as possible, N scales it; no tape → wall clock.</summary>
    public static ClockMode ClockFor(bool tape, double speed) =>
        !tape ? ClockMode.Wall : speed == 0 ? ClockMode.Virtual : ClockMode.Scaled;
}
