namespace Streamer.Stream.Nats;

/// <summary>The bus is not connected now; the caller may retry later.</summary>
public sealed class MessageBusUnavailableException : Exception
{
    public MessageBusUnavailableException() : base("NATS is not connected") { }
    public MessageBusUnavailableException(string message) : base(message) { }
    public MessageBusUnavailableException(string message, Exception inner) : base(message, inner) { }
}
