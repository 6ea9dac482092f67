using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Streamer.Stream.Tests.Replay;

/// <summary>
/// <c>streamer replay --html</c> and <c>streamer demo</c>'s HTML report, read as text against the same
/// run's <c>--report</c> JSON (ReplayResult as the contract writes it).
/// </summary>
public sealed partial class HtmlReportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("streamer-html-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    internal static string DemoFile(string name) =>
        Streamer.Stream.Tests.Run.RunTestData.RepoFile("src", "Stream", "samples", "demo", name);

    private (string Html, JsonElement Report, string Out) Replay(string name)
    {
        string html = Path.Combine(_dir, name + ".html"), report = Path.Combine(_dir, name + ".json");
        var (code, output, err) = CliRunner.Run("replay", "--positions", DemoFile("positions.json"), "--ticks", DemoFile("ticks.csv"),
            "--report", report, "--html", html, "--quiet");
        Assert.True(code == 0, err);
        return (File.ReadAllText(html), JsonDocument.Parse(File.ReadAllBytes(report)).RootElement, output);
    }

    private static string Money(double v) =>
        (v < 0 ? "-$" : "$") + Math.Abs(v).ToString("#,##0.00", CultureInfo.InvariantCulture);

    [Fact]
    public void Every_exit_is_a_marker_on_its_position_chart_and_a_row_of_the_table_with_its_reason()
    {
        var (html, report, output) = Replay("r");
        Assert.Contains($"html: {Path.Combine(_dir, "r.html")}", output, StringComparison.Ordinal);
        var exits = report.GetProperty("exits").EnumerateArray().ToList();
        Assert.Equal(5, exits.Count);
        foreach (var e in exits)
        {
            string id = e.GetProperty("id").GetString()!, pos = e.GetProperty("position_id").GetString()!;
            string rule = e.GetProperty("rule").GetString()!, reason = WebUtility.HtmlEncode(e.GetProperty("reason").GetString()!);
            var section = Section(html, pos);
            var marker = Regex.Match(section, $"<g class=\"exit-marker\" data-exit-id=\"{Regex.Escape(id)}\" data-rule=\"{rule}\" data-reason=\"([^\"]*)\"><title>([^<]*)</title>(.*?)</g>");
            Assert.True(marker.Success, $"no marker for {id} in {pos}'s chart");
            Assert.Equal(reason, marker.Groups[1].Value);
            Assert.Contains(reason, marker.Groups[2].Value, StringComparison.Ordinal);
            Assert.Contains("<circle", marker.Groups[3].Value, StringComparison.Ordinal);   // on the underlying
            Assert.Contains("<path", marker.Groups[3].Value, StringComparison.Ordinal);     // on the marks
            // and on the equity curve
            Assert.Matches($"class=\"chart equity\"[\\s\\S]*data-exit-id=\"{Regex.Escape(id)}\"[\\s\\S]*</svg>", html);
            var row = Regex.Match(html, $"<tr class=\"exit\" data-exit-id=\"{Regex.Escape(id)}\">(.*?)</tr>");
            Assert.True(row.Success, $"no table row for {id}");
            Assert.Contains($"<td class=\"reason\">{reason}</td>", row.Groups[1].Value, StringComparison.Ordinal);
            Assert.Contains($"<td>{rule}</td>", row.Groups[1].Value, StringComparison.Ordinal);
            Assert.Contains(Money(e.GetProperty("pnl").GetDouble()), row.Groups[1].Value, StringComparison.Ordinal);
        }
        // the table is in the report's order, and nothing else is a marker or a row
        Assert.Equal(exits.Select(e => e.GetProperty("id").GetString()), ExitRowIds().Matches(html).Select(m => m.Groups[1].Value));
        Assert.Equal(exits.Count * 2, ExitMarkers().Matches(html).Count); // position chart + equity curve
    }

    [Fact]
    public void The_summary_equals_the_replay_result()
    {
        var (html, report, _) = Replay("s");
        var positions = report.GetProperty("positions").EnumerateArray().ToList();
        var exits = report.GetProperty("exits").EnumerateArray().ToList();
        double total = positions.Sum(p => p.GetProperty("realized_pnl").GetDouble());
        Assert.Equal(2970.0, total, 6); // META +3,210, QCOM −780, SPY +540
        Assert.Contains($"id=\"total-realized\" class=\"n pos\">{Money(total)}</td>", html, StringComparison.Ordinal);
        Assert.Contains($"<td id=\"exits-count\">{exits.Count}</td>", html, StringComparison.Ordinal);
        Assert.Contains($"<td id=\"positions-count\">{positions.Count}</td>", html, StringComparison.Ordinal);
        int wins = positions.Count(p => p.GetProperty("realized_pnl").GetDouble() > 0), losses = positions.Count(p => p.GetProperty("realized_pnl").GetDouble() < 0);
        Assert.Contains($"<td id=\"win-loss\">{wins} / {losses} / 0</td>", html, StringComparison.Ordinal);
        Assert.Equal((2, 1), (wins, losses));
        foreach (var p in positions)
        {
            string id = p.GetProperty("id").GetString()!;
            var row = Regex.Match(html, $"<tr data-position=\"{Regex.Escape(id)}\">(.*?)</tr>");
            Assert.True(row.Success, id);
            Assert.Contains($"realized\">{Money(p.GetProperty("realized_pnl").GetDouble())}</td>", row.Groups[1].Value, StringComparison.Ordinal);
            Assert.Contains($"{p.GetProperty("contracts_remaining").GetInt32()} / {p.GetProperty("contracts_original").GetInt32()}", row.Groups[1].Value, StringComparison.Ordinal);
        }
        foreach (var g in positions.GroupBy(p => p.GetProperty("book").GetString()!))
        {
            var row = Regex.Match(html, $"<tr data-book=\"{g.Key}\">(.*?)</tr>");
            Assert.True(row.Success, g.Key);
            Assert.Contains($"realized\">{Money(g.Sum(p => p.GetProperty("realized_pnl").GetDouble()))}</td>", row.Groups[1].Value, StringComparison.Ordinal);
        }
        foreach (var g in exits.GroupBy(e => e.GetProperty("rule").GetString()!))
        {
            var row = Regex.Match(html, $"<tr data-rule=\"{g.Key}\">(.*?)</tr>");
            Assert.True(row.Success, g.Key);
            Assert.Contains($"<td class=\"n count\">{g.Count()}</td>", row.Groups[1].Value, StringComparison.Ordinal);
            Assert.Contains(Money(g.Sum(e => e.GetProperty("pnl").GetDouble())), row.Groups[1].Value, StringComparison.Ordinal);
        }
        // every position is charted: underlying and each leg's mark, its trigger levels, the session boundaries
        Assert.Contains("data-series=\"META260220C00720000\"", Section(html, "META-1"), StringComparison.Ordinal);
        Assert.Contains("data-series=\"underlying stop\"", Section(html, "META-1"), StringComparison.Ordinal);
        Assert.Contains("data-series=\"underlying target\"", Section(html, "META-1"), StringComparison.Ordinal);
        Assert.Contains("data-series=\"premium target\"", Section(html, "META-1"), StringComparison.Ordinal);
        Assert.Contains("data-series=\"trailing stop\"", Section(html, "META-1"), StringComparison.Ordinal);
        Assert.Contains("data-series=\"next scale-out level\"", Section(html, "SPY-PCS-1"), StringComparison.Ordinal);
        Assert.Contains("data-series=\"net\"", Section(html, "SPY-PCS-1"), StringComparison.Ordinal);
        Assert.Contains("class=\"session-close\"", Section(html, "SPY-PCS-1"), StringComparison.Ordinal);
        Assert.Contains("class=\"session-open\"", Section(html, "SPY-PCS-1"), StringComparison.Ordinal);
        Assert.Contains("class=\"entry-marker\"", Section(html, "QCOM-1"), StringComparison.Ordinal);
        // the levels as they moved: the trailing stop rises with META's option, the next scale-out level steps after each tranche
        Assert.True(DistinctYs(Section(html, "META-1"), "trailing stop") > 10, "the trailing stop line does not move");
        Assert.Equal(3, DistinctYs(Section(html, "SPY-PCS-1"), "next scale-out level"));
        Assert.Equal(1, DistinctYs(Section(html, "META-1"), "underlying stop"));
    }

    private static int DistinctYs(string section, string series)
    {
        var m = Regex.Match(section, $"data-series=\"{Regex.Escape(series)}\"[^>]*points=\"([^\"]*)\"");
        Assert.True(m.Success, series);
        return m.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split(',')[1]).Distinct().Count();
    }

    [Fact]
    public void The_file_is_self_contained()
    {
        var (html, _, _) = Replay("c");
        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        string withoutSvgNamespace = html.Replace("xmlns=\"http://www.w3.org/2000/svg\"", "", StringComparison.Ordinal);
        foreach (var bad in new[] { "http://", "https://", "<script", "<link", " src=", "url(", "@import" })
            Assert.DoesNotContain(bad, withoutSvgNamespace, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void The_same_input_writes_the_same_file_byte_for_byte()
    {
        string a = Path.Combine(_dir, "a.html"), b = Path.Combine(_dir, "b.html");
        Assert.Equal(0, CliRunner.Run("replay", "--positions", DemoFile("positions.json"), "--ticks", DemoFile("ticks.csv"), "--html", a, "--quiet").Code);
        Assert.Equal(0, CliRunner.Run("replay", "--positions", DemoFile("positions.json"), "--ticks", DemoFile("ticks.csv"), "--html", b, "--quiet").Code);
        Assert.Equal(File.ReadAllBytes(a), File.ReadAllBytes(b));
        string d1 = Path.Combine(_dir, "d1.html"), d2 = Path.Combine(_dir, "d2.html");
        var (code, output, _) = CliRunner.Run("demo", "--html", d1);
        Assert.Equal(0, code);
        Assert.Contains($"html: {d1}", output, StringComparison.Ordinal);
        Assert.Equal(0, CliRunner.Run("demo", "--html", d2).Code);
        Assert.Equal(File.ReadAllBytes(d1), File.ReadAllBytes(d2));
        // the demo's file is the replay's of the same session but for its title
        Assert.Equal(Strip(File.ReadAllText(a)), Strip(File.ReadAllText(d1)));
        static string Strip(string html) => TitleLines().Replace(html, "");
    }

    [Fact]
    public void An_unwritable_html_path_fails_before_the_replay_in_one_line()
    {
        var (code, output, err) = CliRunner.Run("replay", "--positions", DemoFile("positions.json"), "--ticks", DemoFile("ticks.csv"),
            "--html", Path.Combine(_dir, "missing", "r.html"));
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.StartsWith("streamer replay: --html ", err, StringComparison.Ordinal);
        Assert.Contains("does not exist", err, StringComparison.Ordinal);
    }

    [Fact]
    public void A_long_tape_is_drawn_from_bounded_series_and_keeps_every_exit_marker()
    {
        // 1,000,000 ticks: many positions, many exits; the file stays small and every exit is drawn
        string positions = Path.Combine(_dir, "many.json"), ticks = Path.Combine(_dir, "many.csv"), html = Path.Combine(_dir, "many.html"), report = Path.Combine(_dir, "many-r.json");
        var specs = new List<string>();
        for (int i = 0; i < 40; i++)
        {
            string u = $"U{i % 8}";
            specs.Add(string.Create(CultureInfo.InvariantCulture,
                $"{{ \"id\": \"P{i}\", \"book\": \"day_trade\", \"opened_at\": \"2026-03-02T15:00:00Z\", \"underlying_entry\": 100, \"stop_underlying\": {99.0 + (i % 5) * 0.1}, \"target_underlying\": {101.0 - (i % 5) * 0.1}, \"legs\": [ {{ \"symbol\": \"{u}\", \"qty\": 100, \"entry_price\": 100 }} ] }}"));
        }
        File.WriteAllText(positions, "{ \"positions\": [\n" + string.Join(",\n", specs) + "\n] }");
        var (sc, _, serr) = CliRunner.Run("synth", "--out", ticks, "--symbols", string.Join(',', Enumerable.Range(0, 8).Select(i => $"U{i}")),
            "--start", "2026-03-02", "--rate", "50", "--ticks", "1000000", "--seed", "7");
        Assert.True(sc == 0, serr);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var (code, _, err) = CliRunner.Run("replay", "--positions", positions, "--ticks", ticks, "--report", report, "--html", html, "--quiet");
        sw.Stop();
        Assert.True(code == 0, err);
        var root = JsonDocument.Parse(File.ReadAllBytes(report)).RootElement;
        Assert.Equal(1_000_000, root.GetProperty("stats").GetProperty("ticks").GetInt64());
        var exits = root.GetProperty("exits").EnumerateArray().Select(e => e.GetProperty("id").GetString()!).ToList();
        Assert.NotEmpty(exits);
        string text = File.ReadAllText(html);
        foreach (var id in exits) Assert.Contains($"class=\"exit-marker\" data-exit-id=\"{id}\" data-rule=", Section(text, id[..id.IndexOf(':', StringComparison.Ordinal)]), StringComparison.Ordinal);
        Assert.Equal(exits.Count * 2, ExitMarkers().Matches(text).Count);
        Assert.True(new FileInfo(html).Length < 4_000_000, $"{new FileInfo(html).Length} bytes");
        // every polyline has at most ~4 points per pixel column of the 872-px plot
        foreach (Match m in Points().Matches(text)) Assert.True(m.Groups[1].Value.Split(' ').Length <= 4 * 880, "a series was not downsampled");
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(60), $"{sw.Elapsed}");
    }

    [Fact]
    public void Open_positions_a_position_after_the_tape_and_an_empty_tape_still_make_a_report()
    {
        // the demo's tape to 12:30 ET on the 29th: META and QCOM are still open; a position opened after the tape never sees a tick
        string ticks = Path.Combine(_dir, "short.csv"), positions = Path.Combine(_dir, "p.json"), html = Path.Combine(_dir, "o.html"), report = Path.Combine(_dir, "o.json");
        File.WriteAllLines(ticks, File.ReadLines(DemoFile("ticks.csv")).TakeWhile(l => !l.StartsWith("2026-01-29T17:30", StringComparison.Ordinal)));
        string demo = File.ReadAllText(DemoFile("positions.json"));
        int last = demo.LastIndexOf(']');
        File.WriteAllText(positions, demo[..last] + """
            ,
              { "id": "LATE-1", "book": "primary", "opened_at": "2026-02-02T15:00:00Z",
                "legs": [ { "symbol": "SPY260220P00580000", "qty": -1, "entry_price": 5.0 }, { "symbol": "SPY260220P00575000", "qty": 1, "entry_price": 4.5 } ] }
            """ + demo[last..]);
        // the clock stops at the cut: without --until it runs on to the session's close (rules.md) and the day trades close at 15:55
        var (code, _, err) = CliRunner.Run("replay", "--positions", positions, "--ticks", ticks, "--report", report, "--html", html, "--quiet", "--until", "2026-01-29T17:30:00Z");
        Assert.True(code == 0, err);
        string text = File.ReadAllText(html);
        var root = JsonDocument.Parse(File.ReadAllBytes(report)).RootElement;
        var open = root.GetProperty("positions").EnumerateArray().Where(p => p.GetProperty("status").GetString() == "open").Select(p => p.GetProperty("id").GetString()).ToList();
        Assert.Equal(["META-1", "QCOM-1", "LATE-1"], open);
        Assert.Contains($"<td id=\"still-open\">{open.Count}</td>", text, StringComparison.Ordinal);
        Assert.Contains("position-chart", Section(text, "LATE-1"), StringComparison.Ordinal);
        Assert.Matches("<tr data-position=\"META-1\">.*<td>open</td>", text);
        // META's option is up from 17.15 by 12:30: its open P&L is a gain, and it is in the totals
        Assert.Matches("<tr data-position=\"META-1\">.*realized\">\\$0.00</td><td class=\"n pos\">\\$[0-9,.]+</td>", text);
        Assert.DoesNotContain("id=\"total-open\" class=\"n zero\"", text, StringComparison.Ordinal);
        // = 6 contracts × (the option's last mid on the cut tape − 17.15) × 100
        var lastQuote = File.ReadLines(ticks).Last(l => l.Contains(",META260220C00720000,", StringComparison.Ordinal)).Split(',');
        double mid = (double.Parse(lastQuote[2], CultureInfo.InvariantCulture) + double.Parse(lastQuote[3], CultureInfo.InvariantCulture)) / 2;
        Assert.Contains($"realized\">$0.00</td><td class=\"n pos\">{Money(Math.Round(6 * (mid - 17.15) * 100, 2))}</td>", text, StringComparison.Ordinal);

        string empty = Path.Combine(_dir, "empty.csv"), html2 = Path.Combine(_dir, "e.html");
        File.WriteAllText(empty, "time,symbol,bid,ask,last\n");
        var (code2, _, err2) = CliRunner.Run("replay", "--positions", DemoFile("positions.json"), "--ticks", empty, "--html", html2, "--quiet");
        Assert.True(code2 == 0, err2);
        Assert.Contains("<td id=\"exits-count\">0</td>", File.ReadAllText(html2), StringComparison.Ordinal);
    }

    /// <summary>The position's section of the report (its chart and legend).</summary>
    internal static string Section(string html, string positionId)
    {
        int at = html.IndexOf($"<section class=\"position\" id=\"pos-", StringComparison.Ordinal);
        var m = Regex.Match(html, $"<section class=\"position\" id=\"[^\"]*\" data-position=\"{Regex.Escape(positionId)}\">([\\s\\S]*?)</section>");
        Assert.True(m.Success && at >= 0, $"no section for {positionId}");
        return m.Groups[1].Value;
    }

    [GeneratedRegex("<tr class=\"exit\" data-exit-id=\"([^\"]*)\">")]
    private static partial Regex ExitRowIds();

    [GeneratedRegex("<g class=\"exit-marker\"")]
    private static partial Regex ExitMarkers();

    [GeneratedRegex("points=\"([^\"]*)\"")]
    private static partial Regex Points();

    [GeneratedRegex("<title>[^<]*</title>|<p class=\"sub\">streamer [^<]*</p>")]
    private static partial Regex TitleLines();
}
