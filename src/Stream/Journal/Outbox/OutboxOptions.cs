using Streamer.Stream.Contracts;

namespace Streamer.Stream.Journal.Outbox;

/// <summary>The <c>Outbox</c> section; the rest of <see cref="ExitOutboxOptions"/> is not a setting.</summary>
public sealed record OutboxOptions : ISettingsSection
{
    /// <summary><c>Outbox:Capacity</c> (10000): unpublished exits allowed while NATS is down.</summary>
    public int Capacity { get; init; } = 10_000;

    /// <summary><c>Outbox:ParkAfterFailures</c> (5): refusals in a row of one exit, NATS up, before its position is parked (docs/journal.md "Parking").</summary>
    public int ParkAfterFailures { get; init; } = 5;

    /// <summary><c>Outbox:ParkedRetrySeconds</c> (10): how often a parked exit is tried again, alone.</summary>
    public double ParkedRetrySeconds { get; init; } = 10;

    public void Validate()
    {
        if (ParkAfterFailures < 1) throw new SettingsException("Outbox:ParkAfterFailures: must be a whole number, 1 or more");
        if (!(ParkedRetrySeconds > 0)) throw new SettingsException("Outbox:ParkedRetrySeconds: must be more than 0");
        if (Capacity < 1) throw new SettingsException("Outbox:Capacity: must be a whole number, 1 or more");
    }
}
