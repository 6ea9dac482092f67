using Streamer.Stream.Contracts;

namespace Streamer.Stream.Nats;

/// <summary>The JetStream stream that keeps every exit (<see cref="NatsSubjects.ExitStream"/> over <c>streamer.exits.&gt;</c>).</summary>
public static class ExitStream
{
    public static JetStreamStreamSpec Spec { get; } = new(NatsSubjects.ExitStream, [NatsSubjects.ExitsWildcard], DuplicateWindow: JetStreamStreamSpec.DefaultDuplicateWindow);
}
