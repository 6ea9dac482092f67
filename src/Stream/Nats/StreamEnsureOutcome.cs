namespace Streamer.Stream.Nats;

public enum StreamEnsureOutcome
{
    Created,
    Updated,
    Unchanged,
}
