using Streamer.Stream.Contracts;

namespace Streamer.Stream.Service.Gateway;

/// <summary>
/// The <c>Gateway</c> section of an engine fed through the gateway (<c>Feed:Source = gateway</c>):
/// <c>Gateway:EngineId</c> (default <c>engine-&lt;pid&gt;</c>; one subject token, unique per running engine)
/// and <c>Gateway:LeaseSeconds</c> (10, 1..300); <c>streamer gateway</c> reads <c>Gateway:GraceMilliseconds</c>.
/// </summary>
public sealed record GatewaySectionOptions : ISettingsSection
{
    public string? EngineId { get; init; }

    public double LeaseSeconds { get; init; } = 10;

    /// <summary><c>Gateway:GraceMilliseconds</c> (2000, 0..600000), the gateway's: how long a symbol no engine holds stays subscribed upstream.</summary>
    public double GraceMilliseconds { get; init; } = 2000;

    public void Validate()
    {
        if (EngineId is not null && !DemandMessage.IsEngineId(EngineId))
            throw new SettingsException($"Gateway:EngineId: '{EngineId}' must be 1 to {DemandMessage.MaxEngineIdLength} letters, digits, '-' or '_' (it is a NATS subject token)");
        ISettingsSection.InRange("Gateway:LeaseSeconds", LeaseSeconds, DemandMessage.MinLeaseMs / 1000.0, DemandMessage.MaxLeaseMs / 1000.0);
        ISettingsSection.InRange("Gateway:GraceMilliseconds", GraceMilliseconds, 0, 600_000);
    }

    public GatewayFeedOptions ToFeedOptions() =>
        new(EngineId ?? "engine-" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), TimeSpan.FromSeconds(LeaseSeconds));
}
