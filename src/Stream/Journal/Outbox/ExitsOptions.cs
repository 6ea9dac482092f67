using Streamer.Stream.Contracts;

namespace Streamer.Stream.Journal.Outbox;

/// <summary>The <c>Exits</c> section (docs/journal.md "Durability").</summary>
public sealed record ExitsOptions : ISettingsSection
{
    /// <summary><c>Exits:Durability</c>: <c>publish-first</c> (default) or <c>journal-first</c>.</summary>
    public string Durability { get; init; } = "publish-first";

    public ExitDurability Mode => Durability switch
    {
        "journal-first" => ExitDurability.JournalFirst,
        _ => ExitDurability.PublishFirst,
    };

    public void Validate()
    {
        if (Durability is not ("publish-first" or "journal-first"))
            throw new SettingsException($"Exits:Durability: '{Durability}' is not one of publish-first (on the wire at once, journaled beside it), journal-first (fsynced, then published)");
    }
}
