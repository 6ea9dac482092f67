using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Streamer.Stream.Dashboard;

/// <summary>
/// <c>Dashboard:Token</c>: with a token set, every request must carry it — an
/// <c>Authorization: Bearer …</c> header (scripts, scrapers), or the cookie that <c>/login</c> (a form)
/// or a first <c>?token=…</c> link sets (a browser: EventSource cannot send headers). Anything else
/// is 401. The cookie holds a hash of the token, not the token; comparisons take constant time; the
/// token is never logged or echoed. Without a token (loopback only, <see cref="DashboardOptions.Validate"/>)
/// every request passes.
/// </summary>
internal sealed class DashboardAuth
{
    public const string CookieName = "streamer_dashboard";

    private readonly byte[]? _token;
    private readonly string? _cookieValue;

    public DashboardAuth(DashboardOptions options)
    {
        if (!options.HasToken) return;
        _token = Encoding.UTF8.GetBytes(options.Token);
        _cookieValue = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("streamer-dashboard:" + options.Token)));
    }

    public bool Required => _token is not null;

    /// <summary>Who is asking, for the journal: "dashboard" and the remote address (and "token" when one was shown), never the token.</summary>
    public static string Actor(HttpContext context, bool withToken) =>
        $"dashboard{(withToken ? " token" : "")} {context.Connection.RemoteIpAddress?.ToString() ?? "?"}";

    /// <summary>true when the request may pass; false: answer 401.</summary>
    public bool Allows(HttpRequest request)
    {
        if (_token is null) return true;
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && Matches(header.AsSpan(7).Trim())) return true;
        return request.Cookies.TryGetValue(CookieName, out var cookie) && cookie is not null
            && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(cookie), Encoding.ASCII.GetBytes(_cookieValue!));
    }

    public bool Matches(ReadOnlySpan<char> candidate)
    {
        if (_token is null) return true;
        var bytes = Encoding.UTF8.GetBytes(candidate.ToArray());
        return CryptographicOperations.FixedTimeEquals(bytes, _token);
    }

    /// <summary>The login cookie: HttpOnly (no script reads it), SameSite=Strict (no other site's form rides on it).</summary>
    public void SetCookie(HttpResponse response) =>
        response.Cookies.Append(CookieName, _cookieValue!, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/", IsEssential = true });
}
