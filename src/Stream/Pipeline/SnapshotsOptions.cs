using Streamer.Stream.Contracts;

namespace Streamer.Stream.Pipeline;

/// <summary>The <c>Snapshots</c> section.</summary>
public sealed record SnapshotsOptions : ISettingsSection
{
    /// <summary><c>Snapshots:Interval</c> (1 s; 0 = off): at most one snapshot per underlying per interval.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);

    public void Validate() => ISettingsSection.InRange("Snapshots:Interval", Interval.TotalSeconds, 0, 86_400);
}
