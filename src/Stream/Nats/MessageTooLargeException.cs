namespace Streamer.Stream.Nats;

/// <summary>
/// A message (payload and headers) over the server's <c>max_payload</c>: refused before it is sent,
/// because the server answers one by closing the connection, and every subscription and pending ack on it.
/// </summary>
public sealed class MessageTooLargeException : Exception
{
    public MessageTooLargeException() { }

    public MessageTooLargeException(string message) : base(message) { }

    public MessageTooLargeException(string message, Exception inner) : base(message, inner) { }

    public MessageTooLargeException(string subject, int bytes, int maxPayload)
        : base($"not sent to '{subject}': {bytes} bytes is over the server's max_payload of {maxPayload}") { }
}
