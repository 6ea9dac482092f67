using System.Net;
using System.Net.Http.Headers;
using Streamer.Stream.Contracts;
using Streamer.Stream.Dashboard;
using Streamer.Stream.Tests.Infrastructure;
using Streamer.Stream.Tests.Run;

namespace Streamer.Stream.Tests.Dashboard;

/// <summary><c>Dashboard:Token</c> on a running service (real HTTP on loopback), and the refusal to listen beyond loopback without one.</summary>
public sealed class DashboardTokenTests
{
    private const string Token = "s3cret-dashboard-token-6f1e";

    private static HttpClient Client(Uri address, CookieContainer? cookies = null) =>
        new(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = cookies ?? new CookieContainer(), UseCookies = true }) { BaseAddress = address };

    [Fact]
    public async Task With_a_token_every_request_without_it_is_401_and_with_it_200()
    {
        await using var session = await DashboardSession.StartAsync($"--Dashboard:Token={Token}");
        using var anonymous = Client(session.Address);
        foreach (var path in new[] { "/", "/app.js", "/api/events", "/api/actions" })
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(path)).StatusCode);
        using (var act = new HttpRequestMessage(HttpMethod.Post, "/api/control/pause") { Content = new StringContent("""{"id":"MSFT-1"}""") })
        {
            act.Headers.Add(DashboardEndpoints.ActionHeader, "1");
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.SendAsync(act)).StatusCode);
        }
        // a browser asking for the page gets the sign-in form, still 401
        using (var page = new HttpRequestMessage(HttpMethod.Get, "/"))
        {
            page.Headers.Accept.ParseAdd("text/html");
            var r = await anonymous.SendAsync(page);
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
            Assert.Contains("action=\"/login\"", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        // a wrong token is no token
        using (var wrong = new HttpRequestMessage(HttpMethod.Get, "/"))
        {
            wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token + "x");
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.SendAsync(wrong)).StatusCode);
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/?token=" + Token[..^1])).StatusCode);

        // the bearer header
        using (var bearer = new HttpRequestMessage(HttpMethod.Get, "/"))
        {
            bearer.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
            var r = await anonymous.SendAsync(bearer);
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Contains("<title>Streamer", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        // a ?token= link: becomes an HttpOnly cookie (holding no token), and the URL loses it
        var cookies = new CookieContainer();
        using var browser = Client(session.Address, cookies);
        var link = await browser.GetAsync("/?token=" + Token);
        Assert.Equal(HttpStatusCode.Redirect, link.StatusCode);
        Assert.Equal("/", link.Headers.Location?.OriginalString);
        var setCookie = Assert.Single(link.Headers.GetValues("Set-Cookie"));
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Token, setCookie, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/api/actions")).StatusCode);
        // the events stream opens with the cookie
        using (var events = await browser.GetAsync("/api/events", HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.OK, events.StatusCode);
            Assert.Equal("text/event-stream", events.Content.Headers.ContentType?.MediaType);
        }
        // the sign-in form
        using var login = Client(session.Address);
        var form = await login.PostAsync("/login", new FormUrlEncodedContent([new("token", Token)]));
        Assert.Equal(HttpStatusCode.Redirect, form.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await login.GetAsync("/")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Client(session.Address).PostAsync("/login", new FormUrlEncodedContent([new("token", "nope")]))).StatusCode);

        // an action with the token: done, and journaled as the dashboard's with a token, never the token itself
        using (var act = new HttpRequestMessage(HttpMethod.Post, "/api/control/pause") { Content = new StringContent("""{"id":"MSFT-1"}""") })
        {
            act.Headers.Add(DashboardEndpoints.ActionHeader, "1");
            var r = await browser.SendAsync(act);
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Contains("\"paused\":true", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        var log = await (await browser.GetAsync("/api/actions")).Content.ReadAsStringAsync();
        Assert.Contains("\"actor\":\"dashboard token 127.0.0.1\"", log, StringComparison.Ordinal);
        // without the page's header an action is refused even with the cookie (a cross-site form cannot add it)
        Assert.Equal(HttpStatusCode.BadRequest, (await browser.PostAsync("/api/control/resume", new StringContent("""{"id":"MSFT-1"}"""))).StatusCode);

        await session.StopAsync();
        Assert.Contains(session.Log, l => l.Contains("dashboard listening on http://127.0.0.1:", StringComparison.Ordinal));
        Assert.DoesNotContain(session.Log, l => l.Contains(Token, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Metrics_are_scraped_at_the_dashboard_address_behind_its_token()
    {
        await using var session = await DashboardSession.StartAsync($"--Dashboard:Token={Token}");
        for (int i = 0; i < 3; i++) session.Trade("AAPL", 201 + i);
        await session.FlushAsync();
        using var client = Client(session.Address);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/metrics")).StatusCode);
        using var scrape = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        scrape.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        var response = await client.SendAsync(scrape);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        var text = await response.Content.ReadAsStringAsync();
        // the tape's 7 rows at least (ticks in counts what a source published; other tests' services in this process count too: exact counts are MetricsScrapeTests')
        var line = Assert.Single(text.Split('\n'), l => l.StartsWith("streamer_ticks_total", StringComparison.Ordinal) && !l.StartsWith('#'));
        Assert.True(double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture) >= 7, line);
        Assert.Contains("streamer_positions_monitored", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://0.0.0.0:8088")]
    [InlineData("http://192.168.1.20:8088")]
    [InlineData("http://[::]:8088")]
    public void Beyond_loopback_without_a_token_is_refused_naming_the_setting(string url)
    {
        var e = Assert.Throws<SettingsException>(() => new DashboardOptions { Url = url }.Validate());
        Assert.StartsWith("Dashboard:Token: ", e.Message, StringComparison.Ordinal);
        Assert.Contains("Dashboard:Url", e.Message, StringComparison.Ordinal);
        new DashboardOptions { Url = url, Token = Token }.Validate(); // with a token it may (not bound here)
        new DashboardOptions { Url = url, Enabled = false }.Validate(); // and off, nothing is checked
    }

    [Theory]
    [InlineData("http://127.0.0.1:8088")]
    [InlineData("http://localhost:0")]
    [InlineData("http://[::1]:9000")]
    public void Loopback_needs_no_token(string url)
    {
        var options = new DashboardOptions { Url = url };
        options.Validate();
        Assert.True(IPAddress.IsLoopback(options.EndPoint.Address));
    }

    [Theory]
    [InlineData("dashboard.example.com:8088")]
    [InlineData("http://dashboard.example.com:8088")]
    [InlineData("https://127.0.0.1:8088")]
    [InlineData("http://127.0.0.1:8088/streamer")]
    public void A_url_that_is_not_an_http_ip_address_is_refused(string url)
    {
        var e = Assert.Throws<SettingsException>(() => new DashboardOptions { Url = url }.Validate());
        Assert.StartsWith("Dashboard:Url: ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Streamer_run_beyond_loopback_without_a_token_exits_2_with_one_line_naming_it_before_listening()
    {
        using var dir = new TempDirectory();
        var (code, output) = await StreamerProcess.RunAsync(dir.Path, "run", $"--Journal:Path={dir.File("j.db")}", "--Nats:Url=nats://127.0.0.1:9", "--Dashboard:Url=http://0.0.0.0:8088");
        Assert.True(code == 2, output);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith("streamer run: Dashboard:Token: the dashboard would listen on 0.0.0.0", line, StringComparison.Ordinal);
    }
}
