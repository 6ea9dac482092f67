namespace Streamer.Stream.Nats;

/// <summary>One endpoint of a NATS service (<see cref="IMessageBus.ServeAsync"/>): a name for <c>$SRV.INFO</c>/<c>STATS</c>, its subject, its handler.</summary>
public sealed record ServiceEndpoint(string Name, string Subject, Func<BusMessage, ServiceReply> Handle);
