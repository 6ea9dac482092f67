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

    /// <summary><c>Pipeline:SpinMicroseconds</c> (50): how long an idle shard spins before it sleeps.</summary>
    public double SpinMicroseconds { get; init; } = 50;

    /// <summary><c>Pipeline:LatencyInPayload</c> (true): the measured tick→decision ns in each exit's latency_ns.</summary>
    public bool LatencyInPayload { get; init; } = true;

    public void Validate()
    {
        ISettingsSection.InRange("Pipeline:Shards", Shards, 1, 256);
        ISettingsSection.InRange("Pipeline:ShardCapacity", ShardCapacity, 1, 1 << 24);
        ISettingsSection.InRange("Pipeline:UnmonitoredAfter", UnmonitoredAfter.TotalSeconds, 0.001, 86_400);
        ISettingsSection.InRange("Pipeline:SpinMicroseconds", SpinMicroseconds, 0, 1_000_000);
    }
}
