using Streamer.Stream.Contracts;
using Streamer.Stream.Nats;

namespace Streamer.Stream.Service.Gateway;

/// <summary>
/// The <c>Gateway</c> section of an engine fed through the gateway (<c>Feed:Source = gateway</c>):
/// <c>Gateway:EngineId</c> (default <c>engine-&lt;pid&gt;</c>; one subject token, unique per running engine)
/// and <c>Gateway:LeaseSeconds</c> (10, 1..300); <c>streamer gateway</c> reads <c>Gateway:GraceMilliseconds</c>
/// and the <c>Gateway:TickStream*</c> keys (docs/cluster.md "Durable ticks").
/// </summary>
public sealed record GatewaySectionOptions : ISettingsSection
{
    public string? EngineId { get; init; }

    public double LeaseSeconds { get; init; } = 10;

    /// <summary><c>Gateway:GraceMilliseconds</c> (2000, 0..600000), the gateway's: how long a symbol no engine holds stays subscribed upstream.</summary>
    public double GraceMilliseconds { get; init; } = 2000;

    /// <summary>
    /// <c>Gateway:TickStream</c>, the gateway's: the JetStream stream that keeps every tick it publishes
    /// (subjects <c>streamer.ticks.&gt;</c>), so an engine taking a partition over reads the ticks it missed.
    /// Empty (the default): none, ticks are core messages only.
    /// </summary>
    public string? TickStream { get; init; }

    /// <summary><c>Gateway:TickStreamMaxAgeHours</c> (24, 0.01..8760): how long the stream keeps a tick.</summary>
    public double TickStreamMaxAgeHours { get; init; } = 24;

    /// <summary><c>Gateway:TickStreamReplicas</c> (1, 1..5): copies in a clustered JetStream (3 for a 3-node cluster).</summary>
    public int TickStreamReplicas { get; init; } = 1;

    public void Validate()
    {
        if (EngineId is not null && !DemandMessage.IsEngineId(EngineId))
            throw new SettingsException($"Gateway:EngineId: '{EngineId}' must be 1 to {DemandMessage.MaxEngineIdLength} letters, digits, '-' or '_' (it is a NATS subject token)");
        ISettingsSection.InRange("Gateway:LeaseSeconds", LeaseSeconds, DemandMessage.MinLeaseMs / 1000.0, DemandMessage.MaxLeaseMs / 1000.0);
        ISettingsSection.InRange("Gateway:GraceMilliseconds", GraceMilliseconds, 0, 600_000);
        if (!string.IsNullOrEmpty(TickStream) && !IsStreamName(TickStream))
            throw new SettingsException($"Gateway:TickStream: '{TickStream}' is not a JetStream stream name (1 to 64 characters, none of '.', '*', '>', '/', '\\', blanks or controls)");
        ISettingsSection.InRange("Gateway:TickStreamMaxAgeHours", TickStreamMaxAgeHours, 0.01, 8760);
        ISettingsSection.InRange("Gateway:TickStreamReplicas", TickStreamReplicas, 1, 5);
    }

    /// <summary>The stream the gateway keeps its ticks in, or null when <c>Gateway:TickStream</c> is empty.</summary>
    public JetStreamStreamSpec? ToTickStream() => string.IsNullOrEmpty(TickStream) ? null
        : new JetStreamStreamSpec(TickStream, [NatsSubjects.TicksWildcard], MaxAge: TimeSpan.FromHours(TickStreamMaxAgeHours), Replicas: TickStreamReplicas);

    // what nats-server accepts as a stream name (it becomes a subject token of the JetStream API and a directory)
    private static bool IsStreamName(string name) =>
        name.Length <= 64 && !name.Any(c => c is '.' or '*' or '>' or '/' or '\\' || char.IsWhiteSpace(c) || char.IsControl(c));

    public GatewayFeedOptions ToFeedOptions() =>
        new(EngineId ?? "engine-" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), TimeSpan.FromSeconds(LeaseSeconds));
}
