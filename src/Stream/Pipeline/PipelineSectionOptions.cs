using Streamer.Stream.Contracts;

namespace Streamer.Stream.Pipeline;

/// <summary>
/// The <c>Pipeline</c> section (docs/pipeline.md). Not <see cref="PipelineOptions"/>: that is the
/// built pipeline's shape, which also takes the clock from <c>Feed</c> and the snapshot interval
/// from <c>Snapshots</c>.
/// </summary>
public sealed record PipelineSectionOptions : ISettingsSection
{
    /// <summary><c>Pipeline:Shards</c> (min(cores, 4)).</summary>
    public int Shards { get; init; } = Math.Min(Environment.ProcessorCount, 4);

    /// <summary><c>Pipeline:ShardCapacity</c> (8192).</summary>
    public int ShardCapacity { get; init; } = 8192;

    /// <summary><c>Pipeline:UnmonitoredAfter</c> (60 s).</summary>
    public TimeSpan UnmonitoredAfter { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// <c>Pipeline:Wait</c> (spin): how idle shards and the exit thread wait. <c>block</c>: sleep at once;
    /// <c>spin</c>: spin <c>SpinMicroseconds</c> (50), then sleep; <c>yield</c>: spin, then yield
    /// <c>YieldMicroseconds</c> (500), then sleep; <c>busy</c>: spin, then yield, never sleep (a core each).
    /// </summary>
    public string Wait { get; init; } = "spin";

    /// <summary><c>Pipeline:SpinMicroseconds</c> (50): how long an idle shard spins before it yields or sleeps.</summary>
    public double SpinMicroseconds { get; init; } = 50;

    /// <summary><c>Pipeline:YieldMicroseconds</c> (500, with <c>Wait = yield</c>): how long it then yields before it sleeps.</summary>
    public double YieldMicroseconds { get; init; } = 500;

    public TimeSpan WaitSpin => Wait == "block" ? TimeSpan.Zero : TimeSpan.FromMicroseconds(SpinMicroseconds);

    public TimeSpan WaitYield => Wait switch
    {
        "yield" => TimeSpan.FromMicroseconds(YieldMicroseconds),
        "busy" => TimeSpan.MaxValue,
        _ => TimeSpan.Zero,
    };

    /// <summary>
    /// <c>Pipeline:PublishFrom</c> (shard): which thread puts a decided exit on the wire (publish-first).
    /// <c>shard</c>: the shard that decided it, with no hand-off; <c>exit-thread</c>: one exit thread that
    /// every shard hands its exits to (one more wake-up per exit, but a shard never waits on the NATS client).
    /// </summary>
    public string PublishFrom { get; init; } = "shard";

    /// <summary><c>Pipeline:LatencyInPayload</c> (true): the measured tick→decision ns in each exit's latency_ns.</summary>
    public bool LatencyInPayload { get; init; } = true;

    public void Validate()
    {
        ISettingsSection.InRange("Pipeline:Shards", Shards, 1, 256);
        ISettingsSection.InRange("Pipeline:ShardCapacity", ShardCapacity, 1, 1 << 24);
        ISettingsSection.InRange("Pipeline:UnmonitoredAfter", UnmonitoredAfter.TotalSeconds, 0.001, 86_400);
        ISettingsSection.InRange("Pipeline:SpinMicroseconds", SpinMicroseconds, 0, 1_000_000);
        ISettingsSection.InRange("Pipeline:YieldMicroseconds", YieldMicroseconds, 0, 1_000_000);
        if (Wait is not ("block" or "spin" or "yield" or "busy"))
            throw new SettingsException($"Pipeline:Wait: '{Wait}' is not one of block, spin, yield, busy");
        if (PublishFrom is not ("shard" or "exit-thread"))
            throw new SettingsException($"Pipeline:PublishFrom: '{PublishFrom}' is not one of shard, exit-thread");
    }
}
