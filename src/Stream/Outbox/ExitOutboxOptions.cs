using Streamer.Stream.Nats;

namespace Streamer.Stream.Outbox;

internal sealed record ExitOutboxOptions
{
    /// <summary>
    /// Most exits that may wait unpublished (in the journal, on disk) before
    /// <see cref="ExitOutbox.Submit"/> answers <see cref="OutboxSubmitOutcome.Full"/>.
    /// </summary>
    public int Capacity { get; init; } = 10_000;

    /// <summary>how long one publish waits for the stream's ack.</summary>
    public TimeSpan AckTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>backoff between failed attempts: doubles from min to max, then stays at max, forever.</summary>
    public TimeSpan RetryMinDelay { get; init; } = TimeSpan.FromMilliseconds(50);

    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>exits read from the journal per round: bounds the publisher's memory.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>the stream exits go to; ensured (created/updated) before the first publish.</summary>
    public JetStreamStreamSpec Stream { get; init; } = NatsSubjects.ExitStreamSpec;
}
