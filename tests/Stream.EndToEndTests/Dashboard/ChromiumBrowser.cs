using PuppeteerSharp;

namespace Streamer.Stream.Tests.Dashboard;

/// <summary>
/// Debian's chromium, headless, driven by PuppeteerSharp (the system binary only; nothing is
/// downloaded), as the report's browser tests use it. <c>STREAMER_CHROMIUM</c> points at another binary.
/// </summary>
internal static class ChromiumBrowser
{
    public static Task<IBrowser> LaunchAsync()
    {
        var candidates = new[] { Environment.GetEnvironmentVariable("STREAMER_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser" };
        var path = candidates.FirstOrDefault(p => !string.IsNullOrEmpty(p) && File.Exists(p))
            ?? throw new InvalidOperationException("no chromium: apt-get install -y chromium (scripts/test.sh does), or set STREAMER_CHROMIUM");
        return Puppeteer.LaunchAsync(new LaunchOptions
        {
            Headless = true,
            ExecutablePath = path,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions"],
            Timeout = 60_000,
        });
    }

    /// <summary>A page that records console errors and warnings, script errors, failed requests and every URL it asks for.</summary>
    public static async Task<(IPage Page, List<string> Problems, List<string> Requests)> OpenAsync(IBrowser browser, Uri url, int width = 1500, int height = 1100)
    {
        var page = await browser.NewPageAsync();
        var problems = new List<string>();
        var requests = new List<string>();
        page.Console += (_, e) => { if (e.Message.Type is ConsoleType.Error or ConsoleType.Warning) lock (problems) problems.Add($"console {e.Message.Type}: {e.Message.Text}"); };
        page.PageError += (_, e) => { lock (problems) problems.Add($"page error: {e.Message}"); };
        page.RequestFailed += (_, e) => { lock (problems) problems.Add($"request failed: {e.Request.Url} {e.Request.FailureText}"); };
        page.Request += (_, e) => { lock (requests) requests.Add(e.Request.Url); };
        await page.SetViewportAsync(new ViewPortOptions { Width = width, Height = height });
        var response = await page.GoToAsync(url.AbsoluteUri, new NavigationOptions { WaitUntil = [WaitUntilNavigation.Load], Timeout = 60_000 });
        Assert.True(response is null || response.Ok, $"{url}: {response?.Status}");
        return (page, problems, requests);
    }

    /// <summary>Until <paramref name="js"/> (an expression) is true in the page.</summary>
    public static async Task UntilAsync(IPage page, string js, string what, int timeoutMs = 20_000)
    {
        try
        {
            await page.WaitForFunctionAsync("() => " + js, new WaitForFunctionOptions { Timeout = timeoutMs, PollingInterval = 50 });
        }
        catch (WaitTaskTimeoutException)
        {
            var body = await page.EvaluateExpressionAsync<string>("document.body.innerText");
            throw new TimeoutException($"timed out waiting for: {what}\n--- page text ---\n{body}");
        }
    }
}
