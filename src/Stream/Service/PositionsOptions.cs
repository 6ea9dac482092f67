using Streamer.Stream.Contracts;

namespace Streamer.Stream.Service;

/// <summary>The <c>Positions</c> section; the file itself is read (and its books checked) by <see cref="LiveServiceOptions"/>.</summary>
public sealed record PositionsOptions : ISettingsSection
{
    /// <summary><c>Positions:File</c>: positions to monitor at start (those the journal has never seen).</summary>
    public string? File { get; init; }

    public void Validate() { }
}
