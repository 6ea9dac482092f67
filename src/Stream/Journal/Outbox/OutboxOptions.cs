using Streamer.Stream.Contracts;

namespace Streamer.Stream.Journal.Outbox;

/// <summary>The <c>Outbox</c> section; the rest of <see cref="ExitOutboxOptions"/> is not a setting.</summary>
public sealed record OutboxOptions : ISettingsSection
{
    /// <summary><c>Outbox:Capacity</c> (10000): unpublished exits allowed while NATS is down.</summary>
    public int Capacity { get; init; } = 10_000;

    public void Validate()
    {
        if (Capacity < 1) throw new SettingsException("Outbox:Capacity: must be a whole number, 1 or more");
    }
}
