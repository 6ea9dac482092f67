namespace Streamer.Stream.Nats;

/// <summary>TLS to the server: the CA to trust (null: the system's), an optional client certificate, verification.</summary>
/// <param name="Verify">false accepts any server certificate (a lab only).</param>
public sealed record NatsTls(string? CaFile, string? CertFile, string? KeyFile, bool Verify = true);
