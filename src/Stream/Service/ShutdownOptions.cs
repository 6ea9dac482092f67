using Streamer.Stream.Contracts;

namespace Streamer.Stream.Service;

/// <summary>The <c>Shutdown</c> section.</summary>
public sealed record ShutdownOptions : ISettingsSection
{
    /// <summary><c>Shutdown:DrainSeconds</c> (5): how long a stop waits for NATS to ack what is still unpublished.</summary>
    public double DrainSeconds { get; init; } = 5;

    public void Validate()
    {
        if (DrainSeconds < 0) throw new SettingsException("Shutdown:DrainSeconds: must be 0 or more");
    }
}
