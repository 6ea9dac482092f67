namespace Streamer.Stream.Nats;

/// <summary>
/// A bus that can pin a request to one connection. Pipelined publishes (many in flight, acks
/// pending) keep their order only while they share a connection: TCP delivers them in order and
/// the server stores a prefix of what it received. A request sent on a new connection while
/// requests of a dead one are still unacked could be stored before them; pinning makes that
/// impossible (the sender resends the unacked ones first, in order). Implemented by <see cref="NatsBus"/> over a <see cref="PinnedConnection"/>; the message id goes out as <c>Nats-Msg-Id</c>.
/// </summary>
internal interface IConnectionBoundRequests
{
    /// <summary>the live connection's number (the <see cref="IMessageBus.Connections"/> count that opened it); 0 when none is live.</summary>
    int CurrentConnection { get; }

    /// <summary>
    /// A JetStream publish on connection <paramref name="connection"/> only, completing with its ack. The
    /// message is written before this returns (calls in sequence go out in that order). Faults with
    /// <see cref="MessageBusUnavailableException"/> (nothing sent) when that connection is not the live one,
    /// <see cref="TimeoutException"/> when no ack comes in time, <see cref="JetStreamApiException"/> when the
    /// stream refused it. <paramref name="state"/>, when given, goes out as the <see cref="ExitStream.StateHeader"/> header.
    /// </summary>
    Task<PubAck> PublishOnAsync(int connection, string subject, ReadOnlyMemory<byte> payload, string? messageId, TimeSpan timeout, CancellationToken cancellationToken = default, string? state = null);
}
