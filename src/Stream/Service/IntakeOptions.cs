using Streamer.Stream.Contracts;

namespace Streamer.Stream.Service;

/// <summary>The <c>Intake</c> section; that the book exists is checked against the loaded books by <see cref="LiveServiceOptions"/>.</summary>
public sealed record IntakeOptions : ISettingsSection
{
    /// <summary><c>Intake:DefaultBook</c> (day_trade): the book of a position opened by a fill that names none.</summary>
    public string DefaultBook { get; init; } = "day_trade";

    public void Validate() { }
}
