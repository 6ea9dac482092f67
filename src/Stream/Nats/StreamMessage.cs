namespace Streamer.Stream.Nats;

/// <summary>One message read back from a stream.</summary>
public sealed record StreamMessage(string Subject, ulong StreamSequence, byte[] Data, IReadOnlyDictionary<string, string>? Headers = null)
{
    public string? Header(string name) => Headers is not null && Headers.TryGetValue(name, out var v) ? v : null;
}
