using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Streamer.Rules.Market;
using Streamer.Rules.Time;
using Streamer.Stream.Contracts;
using Streamer.Stream.Journal;
using Streamer.Stream.Nats;
using Streamer.Stream.Service;
using Streamer.Stream.Tests.Infrastructure;

namespace Streamer.Stream.Tests.Service;

/// <summary>
/// Issue 11 on the real <c>streamer run</c> composition (real nats-server, real SQLite file): what a
/// buggy neighbour on the same NATS server sends gets a reply and an alert naming what is wrong,
/// never a dropped connection, a silent loss or an echo larger than the input.
/// </summary>
public sealed class HostileInputTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private static string Position(string id, string ticker = "TST", double stop = 99) =>
        $$"""{ "id": "{{id}}", "book": "stop_only", "underlying_entry": 100, "stop_underlying": {{stop}}, "legs": [ { "symbol": "{{ticker}}", "qty": 100, "entry_price": 100 } ] }""";

    [Fact]
    public async Task Control_list_over_max_payload_is_paged_and_the_service_stays_connected()
    {
        // a server that accepts 16 KiB: 150 positions (~240 B each listed) need three pages
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("server.conf"), "max_payload: 16384\njetstream { store_dir: \"js\" }\n");
        using var server = new NatsServerFixture(dir.File("server.conf"), null);
        await using var s = await Service.StartAsync(server, dir);
        var ids = Enumerable.Range(0, 150).Select(i => $"P-{i:D3}").ToList();
        foreach (var id in ids) Assert.True((await s.RequestAsync("streamer.control.add", Position(id))).GetProperty("ok").GetBoolean());

        var listed = new List<string>();
        string? after = null;
        int pages = 0;
        do
        {
            var raw = await s.Client.RequestAsync("streamer.control.list", Encoding.UTF8.GetBytes(after is null ? "" : JsonSerializer.Serialize(new { after })), Wait);
            Assert.True(raw.Data.Length <= 16384 - NatsBus.ReplyHeadroom, $"page {pages}: {raw.Data.Length} bytes");
            var page = JsonDocument.Parse(raw.Data).RootElement;
            Assert.True(page.GetProperty("ok").GetBoolean(), page.ToString());
            Assert.Equal(150, page.GetProperty("total").GetInt32());
            listed.AddRange(page.GetProperty("positions").EnumerateArray().Select(p => p.GetProperty("id").GetString()!));
            after = page.GetProperty("next_after").ValueKind == JsonValueKind.Null ? null : page.GetProperty("next_after").GetString();
            pages++;
        }
        while (after is not null && pages < 20);
        Assert.Equal(ids, listed); // every position once, by id
        Assert.InRange(pages, 3, 6);

        // a limit makes smaller pages; a bad request is refused, not ignored
        var two = await s.RequestAsync("streamer.control.list", """{"limit":2}""");
        Assert.Equal(["P-000", "P-001"], two.GetProperty("positions").EnumerateArray().Select(p => p.GetProperty("id").GetString()));
        Assert.Equal("P-001", two.GetProperty("next_after").GetString());
        var bad = await s.RequestAsync("streamer.control.list", """{"limit":0}""");
        Assert.Contains("limit must be a whole number", bad.GetProperty("error").GetString(), StringComparison.Ordinal);

        // the service never lost its connection (a reply over max_payload makes the server close it)
        Assert.Equal(1, s.Host.Services.GetRequiredService<IMessageBus>().Connections);
        Assert.DoesNotContain("Maximum Payload", server.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_oversized_fill_is_refused_unread_and_nothing_it_carries_is_echoed_at_length()
    {
        using var dir = new TempDirectory();
        using var server = new NatsServerFixture();
        await using var s = await Service.StartAsync(server, dir);
        var alerts = s.Collect(NatsSubjects.AlertsPrefix + ">");

        // 900 KB: under the server's 1 MiB, over Intake:MaxMessageBytes (64 KiB)
        var padding = new string('x', 900_000);
        var huge = $$"""{"id":"big-1","position_id":"P-1","symbol":"TST","qty":1,"price":100,"time":"2026-02-02T15:00:00Z","note":"{{padding}}"}""";
        var reply = await s.RequestAsync(NatsSubjects.Executions, huge);
        Assert.False(reply.GetProperty("ok").GetBoolean());
        Assert.Contains("over the 65536-byte limit (Intake:MaxMessageBytes)", reply.GetProperty("error").GetString(), StringComparison.Ordinal);

        // under the size limit, with a 60 KB id: refused naming the limit, and the echo is cut short
        var longId = new string('i', 60_000);
        reply = await s.RequestAsync(NatsSubjects.Executions, $$"""{"id":"{{longId}}","position_id":"P-1","symbol":"TST","qty":1,"price":100,"time":"2026-02-02T15:00:00Z"}""");
        Assert.Contains("at most 128", reply.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.True(reply.GetProperty("error").GetString()!.Length < 200, reply.GetProperty("error").GetString());
        // a 60 KB symbol, likewise
        reply = await s.RequestAsync(NatsSubjects.Executions, $$"""{"id":"s-1","position_id":"P-1","symbol":"{{new string('S', 60_000)}}","qty":1,"price":100,"time":"2026-02-02T15:00:00Z"}""");
        Assert.True(reply.GetProperty("error").GetString()!.Length < 300, reply.GetProperty("error").GetString());

        await Waits.UntilAsync(() => alerts.Count(a => a.GetProperty("kind").GetString() == "rejected_input") >= 3, "three rejected_input alerts", Wait);
        Assert.All(alerts, a => Assert.True(a.GetRawText().Length < AlertPublisher.MaxMessageChars + 512, $"{a.GetRawText().Length} bytes of alert"));
        Assert.Empty(s.Journal.Fills.Fills("P-1"));
        Assert.Equal(1, s.Host.Services.GetRequiredService<IMessageBus>().Connections);
    }

    [Fact]
    public async Task Bytes_that_are_not_UTF8_get_a_reply_and_an_alert_on_every_intake()
    {
        using var dir = new TempDirectory();
        using var server = new NatsServerFixture();
        await using var s = await Service.StartAsync(server, dir);
        var alerts = s.Collect(NatsSubjects.AlertsPrefix + ">");
        byte[] Bad(string json) => [.. Encoding.UTF8.GetBytes(json).Select(b => b == (byte)'~' ? (byte)0xFF : b)];

        var fill = await s.RequestAsync(NatsSubjects.Executions, Bad("""{"id":"f~1","position_id":"P-1","symbol":"TST","qty":1,"price":100,"time":"2026-02-02T15:00:00Z"}"""));
        Assert.Equal("execution: not valid UTF-8 (byte 0xFF at offset 8)", fill.GetProperty("error").GetString());
        var add = await s.RequestAsync("streamer.control.add", Bad(Position("P~2")));
        Assert.Contains("not valid UTF-8 (byte 0xFF", add.GetProperty("error").GetString(), StringComparison.Ordinal);
        var remove = await s.RequestAsync("streamer.control.remove", Bad("""{"id":"P~2"}"""));
        Assert.Contains("not valid UTF-8", remove.GetProperty("error").GetString(), StringComparison.Ordinal);

        await Waits.UntilAsync(() => alerts.Count(a => a.GetProperty("message").GetString()!.Contains("not valid UTF-8", StringComparison.Ordinal)) >= 3, "an alert per message", Wait);
        Assert.Empty(s.Journal.Fills.Fills("P-1"));
        Assert.Empty(s.Journal.Positions.LoadOpenPositions());
    }

    [Theory]
    [InlineData("P\u0000X", "control character (U+0000)")]
    [InlineData("P\nX", "control character (U+000A)")]
    [InlineData("P\u001b[31mX", "control character (U+001B)")]
    [InlineData("P\u202eX", "invisible format character (U+202E)")]
    [InlineData("P:1", "must not contain ':'")]
    public async Task Ids_that_would_forge_a_log_line_are_refused_on_add_and_on_fills(string id, string expected)
    {
        using var dir = new TempDirectory();
        using var server = new NatsServerFixture();
        await using var s = await Service.StartAsync(server, dir);
        var add = await s.RequestAsync("streamer.control.add", Position(JsonEncodedText.Encode(id).ToString()));
        Assert.False(add.GetProperty("ok").GetBoolean());
        Assert.Contains(expected, add.GetProperty("error").GetString(), StringComparison.Ordinal);
        // the refusal shows an unprintable id escaped, never raw
        if (Streamer.Rules.Positions.PositionIds.Printable(id) != id) Assert.DoesNotContain(id, add.GetProperty("error").GetString(), StringComparison.Ordinal);

        var fill = await s.RequestAsync(NatsSubjects.Executions, $$"""{"id":"f-1","position_id":{{JsonSerializer.Serialize(id)}},"symbol":"TST","qty":1,"price":100,"time":"2026-02-02T15:00:00Z"}""");
        Assert.Contains(expected, fill.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Empty(s.Journal.Positions.LoadOpenPositions());
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1e308")]
    [InlineData("-5")]
    public async Task A_fill_price_of_zero_or_past_any_listed_price_is_refused(string price)
    {
        using var dir = new TempDirectory();
        using var server = new NatsServerFixture();
        await using var s = await Service.StartAsync(server, dir);
        var fill = await s.RequestAsync(NatsSubjects.Executions, $$"""{"id":"f-1","position_id":"P-1","symbol":"TST","qty":1,"price":{{price}},"time":"2026-02-02T15:00:00Z"}""");
        Assert.Contains("price must be a number above 0", fill.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Empty(s.Journal.Fills.Fills("P-1"));
    }

    [Fact]
    public async Task Fills_sent_faster_than_a_commit_are_journaled_in_groups_each_answered_and_duplicates_named()
    {
        using var dir = new TempDirectory();
        using var server = new NatsServerFixture();
        await using var s = await Service.StartAsync(server, dir);
        // 400 requests in flight at once (each position opened by its fill), every tenth sent twice
        var sends = new List<(string Id, Task<BusMessage> Reply)>();
        for (int i = 0; i < 400; i++)
        {
            var body = Encoding.UTF8.GetBytes($$"""{"id":"f-{{i}}","position_id":"P-{{i}}","symbol":"TST","qty":100,"price":100,"time":"2026-02-02T15:00:00Z","book":"stop_only","stop_underlying":90}""");
            sends.Add(($"f-{i}", s.Client.RequestAsync(NatsSubjects.Executions, body, Wait)));
            if (i % 10 == 0) sends.Add(($"f-{i}", s.Client.RequestAsync(NatsSubjects.Executions, body, Wait)));
        }
        var replies = new List<(string Id, JsonElement Reply)>();
        foreach (var (id, reply) in sends) replies.Add((id, JsonDocument.Parse((await reply).Data).RootElement.Clone()));
        Assert.All(replies, r => Assert.True(r.Reply.GetProperty("ok").GetBoolean(), r.Reply.ToString()));
        Assert.All(replies, r => Assert.Equal(r.Id, r.Reply.GetProperty("id").GetString()));
        // each id once new, its resend a duplicate (whichever arrived second)
        foreach (var group in replies.GroupBy(r => r.Id))
            Assert.Equal(group.Count() - 1, group.Count(r => r.Reply.GetProperty("duplicate").GetBoolean()));
        var live = s.Host.Services.GetRequiredService<LivePipelineService>();
        await Waits.UntilAsync(() => live.Pipeline.PositionCount == 400, "400 positions opened by their fills", Wait);
        Assert.Equal(400, s.Journal.Positions.LoadOpenPositions().Count);
        Assert.All(Enumerable.Range(0, 400), i => Assert.Single(s.Journal.Fills.Fills($"P-{i}")));
    }

    [Fact]
    public async Task An_option_already_expired_by_the_feeds_time_is_refused_when_added()
    {
        using var dir = new TempDirectory();
        using var server = new NatsServerFixture();
        await using var s = await Service.StartAsync(server, dir);
        // a live feed's latest tick says it is 2026-03-02: the Feb 20 call is gone, the Mar 20 one is not
        var pipeline = s.Host.Services.GetRequiredService<LivePipelineService>().Pipeline;
        long now = NanoTime.FromDateTime(new DateTime(2026, 3, 2, 15, 0, 0, DateTimeKind.Utc));
        pipeline.Ingress.Publish(new Tick { TimeNs = now, SymbolId = pipeline.Symbols.Intern("TST"), Fields = TickFields.Quote, Bid = 100, Ask = 100.1 });
        await Waits.UntilAsync(() => pipeline.Ingress.LastTickNs == now, "the tick's time seen", Wait);
        static string Option(string id, string symbol) =>
            $$"""{ "id": "{{id}}", "book": "stop_only", "underlying_entry": 100, "stop_underlying": 99, "legs": [ { "symbol": "{{symbol}}", "qty": 1, "entry_price": 2 } ] }""";
        var refused = await s.RequestAsync("streamer.control.add", Option("OLD-1", "TST260220C00100000"));
        Assert.Equal("position 'OLD-1': TST260220C00100000 expired on 2026-02-20, before 2026-03-02T15:00:00Z (the feed's time): nothing left to monitor", refused.GetProperty("error").GetString());
        Assert.True((await s.RequestAsync("streamer.control.add", Option("NEW-1", "TST260320C00100000"))).GetProperty("ok").GetBoolean());
        Assert.Equal(["NEW-1"], s.Journal.Positions.LoadOpenPositions().Select(p => p.Id));
    }

    [Fact]
    public async Task A_source_that_floods_the_journal_is_refused_past_its_budget_per_minute()
    {
        using var dir = new TempDirectory();
        using var server = new NatsServerFixture();
        await using var s = await Service.StartAsync(server, dir, "--Intake:MaxMessageBytes=1024", "--Intake:MaxJournalBytesPerMinute=4096");
        var alerts = s.Collect(NatsSubjects.AlertsPrefix + ">");
        int accepted = 0, refused = 0;
        for (int i = 0; i < 60; i++)
        {
            var reply = await s.RequestAsync(NatsSubjects.Executions, $$"""{"id":"f-{{i}}","position_id":"P-{{i}}","symbol":"TST","qty":100,"price":100,"time":"2026-02-02T15:00:00Z","book":"stop_only"}""");
            if (reply.GetProperty("ok").GetBoolean()) accepted++;
            else
            {
                refused++;
                Assert.Contains("(Intake:MaxJournalBytesPerMinute); not journaled: send it again later", reply.GetProperty("error").GetString(), StringComparison.Ordinal);
            }
        }
        // ~130 bytes each: 4096 bytes take about 31, all within the minute
        Assert.InRange(accepted, 25, 35);
        Assert.Equal(60 - accepted, refused);
        Assert.Equal(accepted, Enumerable.Range(0, 60).Count(i => s.Journal.Fills.Fills($"P-{i}").Count == 1));
        await Waits.UntilAsync(() => alerts.Any(a => a.GetProperty("message").GetString()!.Contains("MaxJournalBytesPerMinute", StringComparison.Ordinal)), "the limit alerted", Wait);
    }

    [Fact]
    public async Task The_heartbeat_counts_positions_still_open_not_those_an_exit_closed()
    {
        using var dir = new TempDirectory();
        using var server = new NatsServerFixture();
        await using var s = await Service.StartAsync(server, dir);
        foreach (var id in new[] { "A-1", "A-2", "A-3" }) Assert.True((await s.RequestAsync("streamer.control.add", Position(id))).GetProperty("ok").GetBoolean());
        await UntilMonitoredAsync(s, 3);
        var exits = s.Collect(NatsSubjects.ExitsWildcard);

        // the stop is crossed: all three close
        var pipeline = s.Host.Services.GetRequiredService<LivePipelineService>().Pipeline;
        LiveHost.Trade(s.Host, "TST", 98.55);
        await Waits.UntilAsync(() => exits.Count == 3, "three exits", Wait);
        await UntilMonitoredAsync(s, 0);
        Assert.Equal(3, pipeline.PositionCount); // still known (their ids are never reused), no longer watched
    }

    private static async Task UntilMonitoredAsync(Service s, int expected)
    {
        var deadline = DateTime.UtcNow + Wait;
        int last;
        while ((last = (await s.RequestAsync("streamer.control.status", "")).GetProperty("positions_monitored").GetInt32()) != expected)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"positions_monitored stayed {last}, expected {expected}");
            await Task.Delay(50);
        }
    }

    /// <summary><c>streamer run</c>'s host (LiveServiceHost) on a real server and a journal file, with a client.</summary>
    private sealed class Service : IAsyncDisposable
    {
        private readonly List<IDisposable> _subscriptions = [];

        private Service(IHost host, NatsBus client)
        {
            Host = host;
            Client = client;
        }

        public IHost Host { get; }

        public NatsBus Client { get; }

        public JournalDatabase Journal => Host.Services.GetRequiredService<JournalDatabase>();

        public static async Task<Service> StartAsync(NatsServerFixture server, TempDirectory dir, params string[] more)
        {
            var host = await LiveHost.StartAsync(server, dir, dir.File("j.db"), more);
            var client = await TestBus.ConnectedAsync(server.Url);
            await TestBus.UntilAnsweredAsync(client, "streamer.control.status");
            return new Service(host, client);
        }

        public Task<JsonElement> RequestAsync(string subject, string body) => RequestAsync(subject, Encoding.UTF8.GetBytes(body));

        public async Task<JsonElement> RequestAsync(string subject, byte[] body)
        {
            var reply = await Client.RequestAsync(subject, body, Wait);
            return JsonDocument.Parse(reply.Data).RootElement.Clone();
        }

        /// <summary>every message on <paramref name="subject"/> from now on, parsed.</summary>
        public ConcurrentQueue<JsonElement> Collect(string subject)
        {
            var queue = new ConcurrentQueue<JsonElement>();
            _subscriptions.Add(Client.Subscribe(subject, m => queue.Enqueue(JsonDocument.Parse(m.Data).RootElement.Clone())));
            return queue;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var sub in _subscriptions) sub.Dispose();
            await Host.StopAsync();
            Host.Dispose();
            Client.Dispose();
        }
    }
}
