using Streamer.Stream.Contracts;

namespace Streamer.Stream.Service;

/// <summary>The <c>Intake</c> section; that the book exists is checked against the loaded books by <see cref="LiveServiceOptions"/>.</summary>
public sealed record IntakeOptions : ISettingsSection
{
    public const int MinMessageBytes = 1024;

    /// <summary><c>Intake:DefaultBook</c> (day_trade): the book of a position opened by a fill that names none.</summary>
    public string DefaultBook { get; init; } = "day_trade";

    /// <summary>
    /// <c>Intake:MaxMessageBytes</c> (65,536): the largest execution or control request accepted. A
    /// fill is a few hundred bytes and a position a few KB; anything larger is refused unread (its
    /// bytes are neither journaled nor echoed) with <c>rejected_input</c> (docs/limits.md).
    /// </summary>
    public int MaxMessageBytes { get; init; } = 64 * 1024;

    /// <summary>
    /// <c>Intake:MaxJournalBytesPerMinute</c> (64 MiB): what each outside source (executions, control
    /// adds) may journal per minute; past it a message is refused with <c>rejected_input</c> until the
    /// minute is over (docs/limits.md). 64 MiB is ~200,000 fills a minute.
    /// </summary>
    public long MaxJournalBytesPerMinute { get; init; } = 64L * 1024 * 1024;

    public void Validate()
    {
        if (MaxJournalBytesPerMinute < MaxMessageBytes)
            throw new SettingsException($"Intake:MaxJournalBytesPerMinute must be at least Intake:MaxMessageBytes ({MaxMessageBytes}), got {MaxJournalBytesPerMinute}");
        if (MaxMessageBytes is < MinMessageBytes or > MessageLimits.MaxPayloadCeiling)
            throw new SettingsException($"Intake:MaxMessageBytes must be from {MinMessageBytes} to {MessageLimits.MaxPayloadCeiling} (bytes), got {MaxMessageBytes}");
    }
}

/// <summary>nats-server's hard ceiling on <c>max_payload</c> (64 MiB): no message can be larger.</summary>
public static class MessageLimits
{
    public const int MaxPayloadCeiling = 64 * 1024 * 1024;
}
