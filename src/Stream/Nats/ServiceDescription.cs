namespace Streamer.Stream.Nats;

/// <summary>What <c>$SRV.INFO</c> says of a service: name, semantic version, description.</summary>
/// <param name="QueueGroup">the endpoints' queue group: one instance answers each request (the micro default, <c>q</c>).</param>
public sealed record ServiceDescription(string Name, string Version, string Description, string QueueGroup = "q");
