namespace Streamer.Stream.Nats;

/// <summary>Connection settings; defaults suit a local nats-server.</summary>
public sealed record NatsBusOptions
{
    public string Url { get; init; } = "nats://127.0.0.1:4222";

    /// <summary>client name shown by the server's monitoring.</summary>
    public string Name { get; init; } = "streamer";

    /// <summary>first wait after a failed connect; doubles each failure up to <see cref="ReconnectMaxDelay"/>.</summary>
    public TimeSpan ReconnectMinDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan ReconnectMaxDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>how long one connect attempt may take.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>how often a round trip checks that the connection is alive.</summary>
    public TimeSpan HealthInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan HealthTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>null: no credentials (a server without authorization).</summary>
    public NatsAuth? Auth { get; init; }

    /// <summary>null: plain text unless the URL is <c>tls://</c> or the server requires TLS.</summary>
    public NatsTls? Tls { get; init; }
}
