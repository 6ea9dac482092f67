using System.Net;
using Streamer.Stream.Contracts;

namespace Streamer.Stream.Dashboard;

/// <summary>
/// The <c>Dashboard</c> section of <c>streamer run</c> (docs/dashboard.md). Loopback by default; an
/// address beyond loopback is refused without a token, so the page (which can pause, remove and close
/// positions) is never open to a network by accident.
/// </summary>
public sealed record DashboardOptions : ISettingsSection
{
    public const string DefaultUrl = "http://127.0.0.1:8088";

    /// <summary><c>Dashboard:Url</c>: <c>http://IP:port</c> (or <c>localhost</c>); port 0 takes a free one (logged).</summary>
    public string Url { get; init; } = DefaultUrl;

    /// <summary><c>Dashboard:Enabled</c> (true): false serves no page.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary><c>Dashboard:Token</c>: when set, every request needs it (bearer header, or the cookie the login gives). Never logged.</summary>
    public string Token { get; init; } = "";

    /// <summary>The address to listen on (after <see cref="Validate"/>).</summary>
    public IPEndPoint EndPoint => Parse(Url);

    public bool HasToken => !string.IsNullOrEmpty(Token);

    public void Validate()
    {
        if (!Enabled) return;
        var endPoint = Parse(Url);
        if (!IPAddress.IsLoopback(endPoint.Address) && !HasToken)
            throw new SettingsException($"Dashboard:Token: the dashboard would listen on {endPoint.Address} (Dashboard:Url={Url}), beyond loopback, without a token: set Dashboard:Token (or the environment variable Dashboard__Token), or bind 127.0.0.1");
    }

    private static IPEndPoint Parse(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            throw new SettingsException($"Dashboard:Url: '{url}' is not an http:// URL such as {DefaultUrl}");
        if (uri.Scheme == Uri.UriSchemeHttps)
            throw new SettingsException($"Dashboard:Url: '{url}': https is not served; bind loopback and put a TLS proxy in front");
        if (uri.AbsolutePath != "/" || !string.IsNullOrEmpty(uri.Query))
            throw new SettingsException($"Dashboard:Url: '{url}': give only scheme, address and port (the page is served at /)");
        IPAddress address;
        if (string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase)) address = IPAddress.Loopback;
        else if (!IPAddress.TryParse(uri.Host.Trim('[', ']'), out address!))
            throw new SettingsException($"Dashboard:Url: '{url}': the host must be an IP address or localhost (a name could resolve beyond loopback)");
        return new IPEndPoint(address, uri.Port); // :0 = a free port, the one taken is logged
    }
}
