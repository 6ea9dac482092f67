using Streamer.Stream.Contracts;

namespace Streamer.Stream.Service;

/// <summary>The <c>Heartbeat</c> section.</summary>
public sealed record HeartbeatOptions : ISettingsSection
{
    /// <summary><c>Heartbeat:IntervalSeconds</c> (5): how often <c>streamer.heartbeat</c> is published.</summary>
    public double IntervalSeconds { get; init; } = 5;

    public void Validate()
    {
        if (IntervalSeconds <= 0) throw new SettingsException("Heartbeat:IntervalSeconds: must be more than 0");
    }
}
