using Streamer.Stream.Contracts;

namespace Streamer.Stream.Nats;

/// <summary>The <c>Nats</c> section of <c>streamer run</c> (docs/run.md, docs/nats.md).</summary>
public sealed record NatsOptions : ISettingsSection
{
    /// <summary><c>Nats:Url</c>: <c>nats://</c> or <c>tls://</c> host:port.</summary>
    public string Url { get; init; } = "nats://127.0.0.1:4222";

    /// <summary>
    /// <c>Nats:DuplicateWindow</c> (10 min): the exits stream's duplicate window; a re-publish of an
    /// exit id inside it (a lost ack, a restart) is dropped by the server.
    /// </summary>
    public TimeSpan DuplicateWindow { get; init; } = JetStreamStreamSpec.DefaultDuplicateWindow;

    public void Validate()
    {
        if (!Uri.TryCreate(Url, UriKind.Absolute, out var uri) || uri.Scheme is not ("nats" or "tls") || uri.Port <= 0)
            throw new SettingsException($"Nats:Url: '{Url}' is not a nats://host:port address");
        if (DuplicateWindow < TimeSpan.FromSeconds(1) || DuplicateWindow > TimeSpan.FromDays(1))
            throw new SettingsException($"Nats:DuplicateWindow: {DuplicateWindow.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)} s is outside 1..86400 seconds (docs/nats.md)");
    }
}
