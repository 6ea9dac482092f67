using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using PuppeteerSharp;
using Streamer.Stream.Contracts;
using Streamer.Stream.Journal;
using Streamer.Stream.Nats;
using Streamer.Stream.Service;
using Streamer.Stream.Tests.Infrastructure;
using Streamer.Stream.Tests.Run;

namespace Streamer.Stream.Tests.Dashboard;

/// <summary>
/// The live dashboard of a running service in a real browser (Debian's chromium, headless): a tape and
/// a real nats-server behind it, ticks sent into the pipeline after the tape as a live feed would.
/// <c>STREAMER_UPDATE_SCREENSHOT=1</c> also writes the screenshot to <c>docs/dashboard.png</c>.
/// </summary>
public sealed class DashboardBrowserTests
{
    private static string Cell(string id, string field) => $"(document.querySelector('#positions tr[data-id=\"{id}\"] td[data-field=\"{field}\"]') || {{}}).textContent";

    private static string Status(string id) => $"(document.querySelector('#positions tr[data-id=\"{id}\"]') || {{ dataset: {{}} }}).dataset.status";

    /// <summary>Clicks an action button of a row, then the page's own confirmation.</summary>
    private static async Task ActAsync(IPage page, string id, string verb)
    {
        await page.ClickAsync($"#positions tr[data-id=\"{id}\"] button[data-action=\"{verb}\"]");
        await ChromiumBrowser.UntilAsync(page, "document.querySelector('#confirm').open", $"the confirmation of {verb} {id}");
        Assert.Contains(id, await page.EvaluateExpressionAsync<string>("document.querySelector('#confirm-text').textContent"), StringComparison.Ordinal);
        await page.ClickAsync("#confirm-yes");
    }

    [Fact]
    public async Task The_dashboard_shows_the_positions_updates_a_row_on_a_tick_and_its_actions_reach_the_engine_and_the_journal()
    {
        await using var session = await DashboardSession.StartAsync();
        using var watcher = await TestBus.ConnectedAsync(session.Server.Url);
        using var exitsOnNats = new Collector(watcher, NatsSubjects.ExitsWildcard);
        var registry = session.Host.Services.GetRequiredService<IPositionRegistry>();

        await using var browser = await ChromiumBrowser.LaunchAsync();
        var (page, problems, requests) = await ChromiumBrowser.OpenAsync(browser, session.Address);
        await using var _ = page;

        // every position, one row each, as a snapshot of its underlying had it (the tape runs in a burst, and a snapshot
        // goes out at most once per underlying per Snapshots:Interval: AAPL's first or its second row, as the machine's pace has it)
        await ChromiumBrowser.UntilAsync(page, "document.querySelectorAll('#positions tr.position').length === 3", "three position rows");
        await ChromiumBrowser.UntilAsync(page, "document.querySelector('[data-health=\"status\"]').textContent !== '–'", "the first health sample");
        Assert.Equal(["AAPL-1", "MSFT-1", "SPY-C-1"], await page.EvaluateExpressionAsync<string[]>("[...document.querySelectorAll('#positions tr.position')].map(r => r.dataset.id)"));
        Assert.Contains(await page.EvaluateExpressionAsync<string>(Cell("AAPL-1", "underlying_price")), new[] { "200.00", "200.50" });
        Assert.Equal("100 / 100", await page.EvaluateExpressionAsync<string>(Cell("AAPL-1", "contracts")));
        Assert.Equal(["stop", "target"], await page.EvaluateExpressionAsync<string[]>("[...document.querySelectorAll('#positions tr[data-id=\"AAPL-1\"] .bar')].map(b => b.dataset.rule)"));

        // a tick arrives: the row changes without a reload
        await Task.Delay(100); // past the snapshot interval of the tape's burst
        session.Trade("AAPL", 201.25);
        await ChromiumBrowser.UntilAsync(page, Cell("AAPL-1", "underlying_price") + " === '201.25'", "AAPL-1 repriced by the new tick");
        Assert.Equal("$125.00", await page.EvaluateExpressionAsync<string>(Cell("AAPL-1", "pnl"))); // 100 × (201.25 − 200.00)
        Assert.Equal("$6.25 away", /* 201.25 − 195 */ await page.EvaluateExpressionAsync<string>("document.querySelector('#positions tr[data-id=\"AAPL-1\"] .bar[data-rule=\"stop\"]').lastChild.textContent"));
        // the option position on a SPY tick: its leg's mark (the tape's last mid, 11.50), an implied vol, Greeks, the book's bars
        session.Trade("SPY", 601.00);
        await ChromiumBrowser.UntilAsync(page, Cell("SPY-C-1", "underlying_price") + " === '601.00'", "SPY-C-1 repriced by the new tick");
        var spyLegs = await page.EvaluateExpressionAsync<string>(Cell("SPY-C-1", "legs"));
        Assert.Contains("+2 SPY260320C00600000 @ 11.50, IV ", spyLegs, StringComparison.Ordinal);
        Assert.DoesNotContain("IV –", spyLegs, StringComparison.Ordinal);
        Assert.DoesNotContain("–", await page.EvaluateExpressionAsync<string>(Cell("SPY-C-1", "greeks")), StringComparison.Ordinal);
        Assert.Equal("$300.00", await page.EvaluateExpressionAsync<string>(Cell("SPY-C-1", "pnl"))); // 2 × 100 × (11.50 − 10.00)
        Assert.Equal(["stop", "premium target", "close"], await page.EvaluateExpressionAsync<string[]>("[...document.querySelectorAll('#positions tr[data-id=\"SPY-C-1\"] .bar')].map(b => b.dataset.rule)"));

        // pause MSFT-1 in the page: a tick through its stop fires nothing
        await ActAsync(page, "MSFT-1", "pause");
        await ChromiumBrowser.UntilAsync(page, Status("MSFT-1") + " === 'paused'", "MSFT-1 shown paused");
        session.Trade("MSFT", 389.00);
        await session.FlushAsync();
        await ChromiumBrowser.UntilAsync(page, Cell("MSFT-1", "underlying_price") + " === '389.00'", "MSFT-1 priced below its stop while paused");
        await Task.Delay(500); // an exit decided would be journaled and shown within this
        Assert.Equal(0, await page.EvaluateExpressionAsync<int>("document.querySelectorAll('#exits tr.exit').length"));
        Assert.Equal(0, exitsOnNats.Count);
        Assert.Equal("paused", await page.EvaluateExpressionAsync<string>(Status("MSFT-1"))); // the snapshots say so too

        // resume: the next tick below the stop fires, and the exit appears without a reload
        await ActAsync(page, "MSFT-1", "resume");
        await ChromiumBrowser.UntilAsync(page, Status("MSFT-1") + " === 'open'", "MSFT-1 shown open again");
        session.Trade("MSFT", 388.50);
        await ChromiumBrowser.UntilAsync(page, "document.querySelectorAll('#exits tr.exit[data-position-id=\"MSFT-1\"]').length === 1", "MSFT-1's stop exit in the exits table");
        var exitRow = await page.EvaluateExpressionAsync<string[]>("[...document.querySelector('#exits tr.exit').cells].map(c => c.textContent)");
        Assert.Equal("MSFT-1:1", exitRow[1]);
        Assert.Equal("underlying_stop", exitRow[2]);
        Assert.StartsWith("50 closed, 0 left of 50", exitRow[4], StringComparison.Ordinal);
        Assert.Equal("−$575.00", exitRow[5]); // 50 × (388.50 − 400.00)
        await Waits.UntilAsync(() => exitsOnNats.Count == 1, "the same exit on NATS");
        Assert.Equal("MSFT-1:1", ExitId.Read(exitsOnNats.Messages[0].Data));
        await ChromiumBrowser.UntilAsync(page, Status("MSFT-1") + " === 'closed'", "MSFT-1 closed by its exit");
        // the alerts of the run (the tape's end is a feed_down) each with what to do
        await ChromiumBrowser.UntilAsync(page, "document.querySelector('#alerts li[data-kind=\"feed_down\"] .todo') !== null", "the feed_down alert with what to do");
        // the health panel: NATS connected, the journal ok, the exit counted
        await ChromiumBrowser.UntilAsync(page, "document.querySelector('[data-health=\"nats\"]').textContent === 'connected' && document.querySelector('[data-health=\"exits_published\"]').textContent === '1 published'", "health: NATS connected, 1 exit published");
        Assert.Equal("ok", await page.EvaluateExpressionAsync<string>("document.querySelector('[data-health=\"journal\"]').textContent"));
        Assert.Equal(1, await page.EvaluateExpressionAsync<int>("[...document.querySelectorAll('#latency-histogram rect')].reduce((s, r) => s + Number(r.dataset.count), 0)"));

        await SaveScreenshotAsync(page);

        // sort and filter
        await page.ClickAsync("#positions th[data-sort=\"id\"]"); // already by id: descending now
        await ChromiumBrowser.UntilAsync(page, "[...document.querySelectorAll('#positions tr.position')].map(r => r.dataset.id).join() === 'SPY-C-1,MSFT-1,AAPL-1'", "sorted by id, descending");
        await page.SelectAsync("#filter-book", "calls");
        await ChromiumBrowser.UntilAsync(page, "[...document.querySelectorAll('#positions tr.position')].map(r => r.dataset.id).join() === 'SPY-C-1'", "filtered to the calls book");
        await page.SelectAsync("#filter-book", "");
        await page.SelectAsync("#filter-status", "closed");
        await ChromiumBrowser.UntilAsync(page, "[...document.querySelectorAll('#positions tr.position')].map(r => r.dataset.id).join() === 'MSFT-1'", "filtered to closed");
        await page.SelectAsync("#filter-status", "");
        await page.SelectAsync("#filter-underlying", "AAPL");
        await ChromiumBrowser.UntilAsync(page, "[...document.querySelectorAll('#positions tr.position')].map(r => r.dataset.id).join() === 'AAPL-1'", "filtered to AAPL");
        await page.SelectAsync("#filter-underlying", "");

        // close SPY-C-1 now: an exit of rule manual for both contracts at the leg's mark, in the page and on NATS
        await ChromiumBrowser.UntilAsync(page, "document.querySelector('#positions tr[data-id=\"SPY-C-1\"] button[data-action=\"close\"]') !== null", "SPY-C-1's close button, the filters cleared");
        await ActAsync(page, "SPY-C-1", "close");
        await ChromiumBrowser.UntilAsync(page, "document.querySelectorAll('#exits tr.exit[data-position-id=\"SPY-C-1\"]').length === 1", "SPY-C-1's manual exit in the exits table");
        var closeRow = await page.EvaluateExpressionAsync<string[]>("[...document.querySelector('#exits tr.exit[data-position-id=\"SPY-C-1\"]').cells].map(c => c.textContent)");
        Assert.Equal(("SPY-C-1:1", "manual"), (closeRow[1], closeRow[2]));
        Assert.StartsWith("2 closed, 0 left of 2", closeRow[4], StringComparison.Ordinal);
        await Waits.UntilAsync(() => exitsOnNats.Count == 2, "the manual exit on NATS");
        var manual = System.Text.Json.JsonDocument.Parse(exitsOnNats.Messages[1].Data).RootElement;
        Assert.Equal(("SPY-C-1:1", "manual"), (manual.GetProperty("id").GetString(), manual.GetProperty("rule").GetString()));
        Assert.Equal("Closed by the operator (dashboard 127.0.0.1)", manual.GetProperty("reason").GetString());
        await ChromiumBrowser.UntilAsync(page, Status("SPY-C-1") + " === 'closed'", "SPY-C-1 closed by the operator");

        // remove AAPL-1: the row goes, the engine and the registry no longer have it
        await ActAsync(page, "AAPL-1", "remove");
        await ChromiumBrowser.UntilAsync(page, "document.querySelector('#positions tr[data-id=\"AAPL-1\"]') === null", "AAPL-1's row gone");
        Assert.False(registry.Contains("AAPL-1"));
        // the page's action log is the journal's
        await ChromiumBrowser.UntilAsync(page, "document.querySelectorAll('#actions tr.action').length === 4", "four actions in the page's log");

        // nothing went wrong in the page, and it asked for nothing but its own origin
        Assert.Empty(problems);
        var origin = session.Address.GetLeftPart(UriPartial.Authority);
        Assert.All(requests, r => Assert.StartsWith(origin + "/", r, StringComparison.Ordinal));

        await session.StopAsync();
        using var journal = JournalDatabase.Open(session.JournalPath);
        var actions = journal.Actions.Recent(10);
        Assert.Equal([("pause", "MSFT-1"), ("resume", "MSFT-1"), ("close", "SPY-C-1"), ("remove", "AAPL-1")], actions.Select(a => (a.Verb, a.PositionId!)).ToArray());
        Assert.All(actions, a => Assert.True(a.Ok && a.Actor == "dashboard 127.0.0.1", $"{a.Verb} by '{a.Actor}' ok={a.Ok}"));
        Assert.Equal(PositionStatus.Closed, journal.Positions.StatusOf("AAPL-1"));
    }

    private static async Task SaveScreenshotAsync(IPage page)
    {
        string png = Path.Combine(Path.GetTempPath(), $"streamer-dashboard-{Environment.ProcessId}.png");
        await page.ScreenshotAsync(png, new ScreenshotOptions { FullPage = true, Type = ScreenshotType.Png });
        var bytes = await File.ReadAllBytesAsync(png);
        Assert.True(bytes.Length > 20_000 && bytes[1] == 'P' && bytes[2] == 'N' && bytes[3] == 'G', $"{bytes.Length} bytes");
        if (Environment.GetEnvironmentVariable("STREAMER_UPDATE_SCREENSHOT") == "1")
            File.Copy(png, Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "docs", "dashboard.png"), overwrite: true);
        File.Delete(png);
    }

    [Fact]
    public async Task A_position_paused_over_the_control_api_stays_paused_after_a_restart_on_the_same_journal()
    {
        using var kept = new TempDirectory();
        string journalPath = kept.File("j.db");
        await using (var first = await DashboardSession.StartAsync($"--Journal:Path={journalPath}", "--Dashboard:Enabled=false"))
        {
            var control = first.Host.Services.GetRequiredService<IControlApi>();
            // the tape brings MSFT-1 into its engine at its opened_at: until then a pause is refused with "try again"
            await first.FlushAsync();
            ServiceReply reply = default;
            await Waits.UntilAsync(() => !((reply = control.Invoke("pause", """{"id":"MSFT-1"}"""u8.ToArray(), "dashboard test")).Error?.Contains("try again", StringComparison.Ordinal) ?? false), "MSFT-1 in its engine");
            Assert.True(reply.Error is null, System.Text.Encoding.UTF8.GetString(reply.Payload));
            var refused = control.Invoke("pause", """{"id":"NOPE-1"}"""u8.ToArray(), "dashboard test");
            Assert.Contains("not monitored", refused.Error, StringComparison.Ordinal);
            await first.StopAsync();
        }
        await using var second = await DashboardSession.StartAsync($"--Journal:Path={journalPath}", "--Dashboard:Enabled=false");
        var pipeline = second.Host.Services.GetRequiredService<LivePipelineService>().Pipeline;
        Assert.Contains(true, await pipeline.QueryAsync(e => e.IsPaused("MSFT-1")));
        Assert.DoesNotContain(true, await pipeline.QueryAsync(e => e.IsPaused("AAPL-1")));
        // and it is in effect: through the stop, no exit
        using var watcher = await TestBus.ConnectedAsync(second.Server.Url);
        using var exits = new Collector(watcher, NatsSubjects.ExitsWildcard);
        second.Trade("MSFT", 380.00);
        second.Trade("AAPL", 194.00); // AAPL-1's stop fires: the engine runs, only MSFT-1 waits
        await Waits.UntilAsync(() => exits.Count >= 1, "AAPL-1's stop on NATS");
        await second.FlushAsync();
        await Task.Delay(300);
        Assert.Equal(["AAPL-1:1"], exits.Messages.Select(m => ExitId.Read(m.Data)).ToArray());
        await second.StopAsync();
        using var journal = JournalDatabase.Open(journalPath);
        var actions = journal.Actions.Recent(10);
        // (a pause refused with "try again" before MSFT-1 reached its engine is journaled too, as every refusal from the page)
        Assert.Equal("dashboard test", Assert.Single(actions, a => (a.Verb, a.PositionId, a.Ok) == ("pause", "MSFT-1", true)).Actor);
        Assert.Equal("dashboard test", Assert.Single(actions, a => (a.Verb, a.PositionId, a.Ok) == ("pause", "NOPE-1", false)).Actor); // a refusal from the page is journaled too
        Assert.Equal("NOPE-1", actions[^1].PositionId); // the refusal came after the pause
    }
}
