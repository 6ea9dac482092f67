using Streamer.Stream.Contracts;

namespace Streamer.Stream.Nats;

/// <summary>The JetStream stream that keeps every exit (<see cref="NatsSubjects.ExitStream"/> over <c>streamer.exits.&gt;</c>).</summary>
public static class ExitStream
{
    /// <summary>
    /// The header a publish-first exit carries: its position's engine state after the exit
    /// (<c>PositionStateJson</c>), so a restart that finds the exit on the stream but not in its
    /// journal adopts what it did (tranches fired, contracts closed, closing) instead of deciding it again.
    /// </summary>
    public const string StateHeader = "Streamer-State";

    public static JetStreamStreamSpec Spec { get; } = new(NatsSubjects.ExitStream, [NatsSubjects.ExitsWildcard], DuplicateWindow: JetStreamStreamSpec.DefaultDuplicateWindow);
}
