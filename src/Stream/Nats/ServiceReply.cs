namespace Streamer.Stream.Nats;

/// <summary>
/// A service endpoint's answer. With <see cref="Error"/> set, the payload goes out unchanged and the
/// reply also carries the micro protocol's <c>Nats-Service-Error</c>/<c>Nats-Service-Error-Code</c>
/// headers, so <c>$SRV.STATS</c> counts it and generic tools see it failed.
/// </summary>
public readonly record struct ServiceReply(byte[] Payload, string? Error = null, int ErrorCode = 400);
