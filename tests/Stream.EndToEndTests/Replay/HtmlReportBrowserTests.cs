using System.Text.Json;
using PuppeteerSharp;

namespace Streamer.Stream.Tests.Replay;

/// <summary>
/// The demo's HTML report in a real browser: Debian's chromium, headless, driven by PuppeteerSharp
/// (the system binary only; no browser is ever downloaded). <c>scripts/test.sh</c> installs chromium
/// when it is missing; <c>STREAMER_CHROMIUM</c> points at another binary.
/// <c>STREAMER_UPDATE_SCREENSHOT=1</c> also writes the screenshot to <c>docs/report-demo.png</c>.
/// </summary>
public sealed class HtmlReportBrowserTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("streamer-html-browser-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Chromium()
    {
        var candidates = new[] { Environment.GetEnvironmentVariable("STREAMER_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser" };
        return candidates.FirstOrDefault(p => !string.IsNullOrEmpty(p) && File.Exists(p))
            ?? throw new InvalidOperationException("no chromium: apt-get install -y chromium (scripts/test.sh does), or set STREAMER_CHROMIUM");
    }

    private static Task<IBrowser> Launch() => Puppeteer.LaunchAsync(new LaunchOptions
    {
        Headless = true,
        ExecutablePath = Chromium(),
        Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions"],
        Timeout = 60_000,
    });

    /// <summary>Opens a file, collecting console errors and warnings, page errors, failed requests and every URL asked for.</summary>
    private static async Task<(IPage Page, List<string> Problems, List<string> Requests)> Open(IBrowser browser, string path)
    {
        var page = await browser.NewPageAsync();
        var problems = new List<string>();
        var requests = new List<string>();
        page.Console += (_, e) => { if (e.Message.Type is ConsoleType.Error or ConsoleType.Warning) lock (problems) problems.Add($"console {e.Message.Type}: {e.Message.Text}"); };
        page.PageError += (_, e) => { lock (problems) problems.Add($"page error: {e.Message}"); };
        page.RequestFailed += (_, e) => { lock (problems) problems.Add($"request failed: {e.Request.Url}"); };
        page.Request += (_, e) => { lock (requests) requests.Add(e.Request.Url); };
        await page.SetViewportAsync(new ViewPortOptions { Width = 1040, Height = 1200 });
        var response = await page.GoToAsync(new Uri(path).AbsoluteUri, new NavigationOptions { WaitUntil = [WaitUntilNavigation.Load], Timeout = 60_000 });
        Assert.True(response is null || response.Ok);
        await page.EvaluateExpressionAsync<int>("1"); // let the console events of the load arrive
        return (page, problems, requests);
    }

    [Fact]
    public async Task The_harness_sees_console_errors_script_errors_and_outside_requests()
    {
        // the negative control: a page with each fault the report must not have
        string bad = Path.Combine(_dir, "bad.html");
        File.WriteAllText(bad, "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>bad</title></head><body>" +
            "<img src=\"http://127.0.0.1:9/missing.png\"><script>console.error('boom'); undefinedFunction();</script></body></html>");
        await using var browser = await Launch();
        var (page, problems, requests) = await Open(browser, bad);
        await using var _ = page;
        for (int i = 0; i < 50 && problems.Count < 3; i++) await Task.Delay(100);
        Assert.Contains(problems, p => p.Contains("boom", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("page error:", StringComparison.Ordinal) && p.Contains("undefinedFunction", StringComparison.Ordinal));
        Assert.Contains(requests, r => r.StartsWith("http://127.0.0.1:9/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Chromium_renders_the_demo_report_offline_without_errors_with_every_exit_marker_drawn()
    {
        string html = Path.Combine(_dir, "demo.html"), report = Path.Combine(_dir, "demo.json");
        var (code, _, err) = CliRunner.Run("demo", "--report", report, "--html", html);
        Assert.True(code == 0, err);
        var exitIds = JsonDocument.Parse(File.ReadAllBytes(report)).RootElement.GetProperty("exits").EnumerateArray()
            .Select(e => e.GetProperty("id").GetString()!).ToList();
        Assert.Equal(5, exitIds.Count);

        await using var browser = await Launch();
        var (page, problems, requests) = await Open(browser, html);
        await using var _ = page;

        Assert.Empty(problems);
        // one request: the file itself (no CDN, no fonts, no images from anywhere)
        Assert.Equal([new Uri(html).AbsoluteUri], requests);

        // the equity curve and one chart per position, each drawn with real size and series in it
        var charts = await page.EvaluateExpressionAsync<JsonElement>(
            "[...document.querySelectorAll('svg.chart')].map(s => { const r = s.getBoundingClientRect(); return { cls: s.getAttribute('class'), w: r.width, h: r.height, lines: s.querySelectorAll('polyline').length }; })");
        var list = charts.EnumerateArray().ToList();
        Assert.Equal(1 + 3, list.Count);
        Assert.Contains("equity", list[0].GetProperty("cls").GetString(), StringComparison.Ordinal);
        foreach (var c in list)
        {
            Assert.True(c.GetProperty("w").GetDouble() >= 900 && c.GetProperty("h").GetDouble() >= 200, c.ToString());
            Assert.True(c.GetProperty("lines").GetInt32() >= 1, c.ToString());
        }

        // every exit: a marker on its position's chart and on the equity curve, laid out inside its SVG with a size
        var markers = await page.EvaluateExpressionAsync<JsonElement>(
            "[...document.querySelectorAll('svg.chart g.exit-marker')].map(g => { const r = g.getBoundingClientRect(), s = g.ownerSVGElement.getBoundingClientRect(); " +
            "return { id: g.dataset.exitId, equity: g.ownerSVGElement.classList.contains('equity'), title: g.querySelector('title').textContent, w: r.width, h: r.height, " +
            "inside: r.left >= s.left - 1 && r.right <= s.right + 1 && r.top >= s.top - 1 && r.bottom <= s.bottom + 1 }; })");
        var drawn = markers.EnumerateArray().ToList();
        foreach (var id in exitIds)
        {
            var onPosition = Assert.Single(drawn, m => m.GetProperty("id").GetString() == id && !m.GetProperty("equity").GetBoolean());
            Assert.Single(drawn, m => m.GetProperty("id").GetString() == id && m.GetProperty("equity").GetBoolean());
            Assert.True(onPosition.GetProperty("w").GetDouble() > 0 && onPosition.GetProperty("h").GetDouble() > 0, onPosition.ToString());
            Assert.True(onPosition.GetProperty("inside").GetBoolean(), onPosition.ToString());
            Assert.StartsWith(id + " ", onPosition.GetProperty("title").GetString(), StringComparison.Ordinal);
        }
        Assert.Equal(exitIds.Count * 2, drawn.Count);

        // the exits table, one row per exit
        var rows = await page.EvaluateExpressionAsync<string[]>("[...document.querySelectorAll('#exits-table tr.exit')].map(r => r.dataset.exitId)");
        Assert.Equal(exitIds, rows);

        // laid out within a 1040-px window: nothing runs off to the side
        Assert.True(await page.EvaluateExpressionAsync<int>("document.scrollingElement.scrollWidth") <= 1040);

        string png = Path.Combine(_dir, "report-demo.png");
        await page.ScreenshotAsync(png, new ScreenshotOptions { FullPage = true, Type = ScreenshotType.Png });
        var bytes = await File.ReadAllBytesAsync(png);
        Assert.True(bytes.Length > 20_000 && bytes[1] == 'P' && bytes[2] == 'N' && bytes[3] == 'G', $"{bytes.Length} bytes");
        if (Environment.GetEnvironmentVariable("STREAMER_UPDATE_SCREENSHOT") == "1")
            File.Copy(png, Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "docs", "report-demo.png"), overwrite: true);
    }

    [Fact]
    public async Task The_sweep_report_draws_its_heatmap_with_the_best_outlined_and_no_console_errors()
    {
        string grid = Path.Combine(_dir, "grid.yaml"), html = Path.Combine(_dir, "sweep.html"), report = Path.Combine(_dir, "sweep.json");
        File.WriteAllText(grid, "day_trade.premium_target.gain_pct: [0.3, 0.5, 0.8]\ntrailing_stop.trail_pct: [0.10, 0.15]\n");
        string Demo(string name) => Streamer.Stream.Tests.Run.RunTestData.RepoFile("src", "Stream", "samples", "demo", name);
        var (code, _, err) = CliRunner.Run("sweep", "--positions", Demo("positions.json"), "--ticks", Demo("ticks.csv"), "--grid", grid, "--report", report, "--html", html, "--quiet");
        Assert.True(code == 0, err);
        var json = JsonDocument.Parse(File.ReadAllBytes(report)).RootElement;
        int best = json.GetProperty("best").GetInt32();
        var pnl = json.GetProperty("variants").EnumerateArray().ToDictionary(v => v.GetProperty("index").GetInt32(), v => v.GetProperty("realized_pnl").GetDouble());

        await using var browser = await Launch();
        var (page, problems, requests) = await Open(browser, html);
        await using var _ = page;
        // a 3 × 2 heatmap: one cell per variant, each with its variant's P&L, the best one outlined
        var cells = await page.EvaluateExpressionAsync<string[]>("[...document.querySelectorAll('svg.heatmap rect.cell')].map(r => r.dataset.variant + '=' + r.dataset.pnl)");
        Assert.Equal(pnl.Keys.Order().Select(k => k.ToString(System.Globalization.CultureInfo.InvariantCulture)), cells.Select(c => c.Split('=')[0]).Order());
        foreach (var c in cells)
        {
            var kv = c.Split('=');
            Assert.Equal(pnl[int.Parse(kv[0], System.Globalization.CultureInfo.InvariantCulture)], double.Parse(kv[1], System.Globalization.CultureInfo.InvariantCulture), 6);
        }
        Assert.Equal(best.ToString(System.Globalization.CultureInfo.InvariantCulture), await page.EvaluateExpressionAsync<string>("document.querySelector('svg.heatmap rect.best').dataset.variant"));
        Assert.True(await page.EvaluateExpressionAsync<double>("document.querySelector('svg.heatmap').getBoundingClientRect().width") > 200);
        Assert.Contains("biased upward", await page.EvaluateExpressionAsync<string>("document.querySelector('#bias').textContent"), StringComparison.Ordinal);
        Assert.Equal(6, await page.EvaluateExpressionAsync<int>("document.querySelectorAll('#variants tr[data-variant]').length"));
        Assert.Empty(problems);
        Assert.All(requests, r => Assert.StartsWith("file://", r, StringComparison.Ordinal));

        // deterministic: the same sweep writes the same bytes
        string again = Path.Combine(_dir, "again.html");
        Assert.Equal(0, CliRunner.Run("sweep", "--positions", Demo("positions.json"), "--ticks", Demo("ticks.csv"), "--grid", grid, "--html", again, "--quiet").Code);
        Assert.Equal(File.ReadAllBytes(html), File.ReadAllBytes(again));
    }
}
