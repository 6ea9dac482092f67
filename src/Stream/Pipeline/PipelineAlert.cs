namespace Streamer.Stream.Pipeline;

/// <summary>
/// Something an operator must hear about. The host publishes it with its AlertPublisher on
/// <c>streamer.alerts.&lt;Kind&gt;</c> (<see cref="Key"/> feeds its repeat window; <see cref="Details"/> go into the payload).
/// </summary>
public sealed record PipelineAlert(string Kind, string Message, string? Key, IReadOnlyList<KeyValuePair<string, string>> Details)
{
    /// <summary>Kinds the pipeline raises; the host's AlertPublisher.Kinds refers to these.</summary>
    public static class Kinds
    {
        public const string UnmonitoredPosition = "unmonitored"; // issue 4 and formats.md: streamer.alerts.unmonitored
        public const string StaleFeed = "stale_feed";
        public const string FeedDown = "feed_down";
        /// <summary>zero positions, or positions but no ticks at all: a monitor with nothing to monitor.</summary>
        public const string NothingMonitored = "nothing_monitored";
        /// <summary>a shard's channel (or the exits channel) was full: a writer waited (never dropped).</summary>
        public const string Backpressure = "backpressure";
        /// <summary>the outbox refused an exit (too many unpublished): it is held and retried.</summary>
        public const string OutboxFull = "outbox_full";
        /// <summary>a position the engine refused (unknown book, bad override) or a command that failed.</summary>
        public const string RejectedInput = "rejected_input";
        /// <summary>the journal refused or failed a write (an exit, a resize): retried unless it is a conflict.</summary>
        public const string JournalError = "journal_error";

        /// <summary>a shard skipped an item whose processing threw (a bug or an input no check caught): the shard went on.</summary>
        public const string EngineError = "engine_error";
    }

    public override string ToString() => $"{Kind}: {Message}";
}
