using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Streamer.Stream.Journal;
using Streamer.Stream.Pipeline;
using Streamer.Stream.Contracts;
using Streamer.Stream.Nats;
using Streamer.Stream.Tests.Infrastructure;

namespace Streamer.Stream.Tests.Run;

/// <summary>
/// <c>streamer run</c> end to end: the real executable as a child process, a real nats-server with
/// JetStream, a real SQLite journal file. The reference for "which exits" is replay of the same files.
/// </summary>
public sealed class RunServiceTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    private static string[] Args(NatsServerFixture server, string journal, params string[] more) =>
        ["run", $"--Nats:Url={server.Url}", $"--Journal:Path={journal}", "--Heartbeat:IntervalSeconds=0.5", .. more];

    [Fact]
    public async Task Exits_arrive_on_nats_exactly_as_replay_of_the_same_tape_decides_them()
    {
        var expected = RunTestData.Replay(RunTestData.DemoPositions, RunTestData.DemoTape);
        Assert.NotEmpty(expected);
        using var server = new NatsServerFixture();
        using var dir = new TempDirectory();
        using var bus = await TestBus.ConnectedAsync(server.Url);
        using var exits = new Collector(bus, NatsSubjects.ExitsWildcard);

        // latency off in the payload: then the service's exit events are byte-identical to replay's
        var (code, output) = await StreamerProcess.RunAsync(dir.Path, Args(server, dir.File("j.db"),
            $"--Feed:Tape={RunTestData.DemoTape}", "--Feed:Speed=0", $"--Positions:File={RunTestData.DemoPositions}",
            "--Feed:ExitWhenDone=true", "--Pipeline:LatencyInPayload=false"));
        Assert.True(code == 0, output);

        // every exit was acked by JetStream before the process stopped; core delivery to us follows the same path
        await Waits.UntilAsync(() => exits.Count >= expected.Count, "every exit reaches the live subscriber");
        var received = exits.Messages;
        Assert.Equal(expected.Count, received.Count);
        var byId = received.ToDictionary(m => ExitId.Read(m.Data));
        foreach (var e in expected)
        {
            Assert.Equal(NatsSubjects.Exits(e.Underlying), byId[e.Id].Subject);
            Assert.Equal(Encoding.UTF8.GetString(e.Json), Encoding.UTF8.GetString(byId[e.Id].Data));
        }
        AssertSameOrderPerSubject(expected, received.Select(m => (m.Subject, ExitId.Read(m.Data))));
    }

    [Fact]
    public async Task A_subscriber_started_after_the_run_reads_every_exit_from_jetstream()
    {
        var expected = RunTestData.Replay(RunTestData.DemoPositions, RunTestData.DemoTape);
        using var server = new NatsServerFixture();
        using var dir = new TempDirectory();
        using var live = await TestBus.ConnectedAsync(server.Url);
        using var snapshots = new Collector(live, NatsSubjects.SnapshotsPrefix + ">");
        var (code, output) = await StreamerProcess.RunAsync(dir.Path, Args(server, dir.File("j.db"),
            $"--Feed:Tape={RunTestData.DemoTape}", "--Feed:Speed=0", $"--Positions:File={RunTestData.DemoPositions}", "--Feed:ExitWhenDone=true"));
        Assert.True(code == 0, output);
        // position snapshots went out per underlying while the tape ran (throttled: at least the first of each)
        await Waits.UntilAsync(() => snapshots.Messages.Select(m => m.Subject).Distinct().Count() >= 3, "a snapshot for each underlying", Long);
        foreach (var (subject, id) in new[] { ("SPY", "SPY-PCS-1"), ("META", "META-1"), ("QCOM", "QCOM-1") })
        {
            var snapshot = JsonDocument.Parse(snapshots.Messages.First(m => m.Subject == NatsSubjects.SnapshotsPrefix + subject).Data).RootElement;
            Assert.Equal(subject, snapshot.GetProperty("underlying").GetString());
            Assert.Contains(snapshot.GetProperty("positions").EnumerateArray(), p => p.GetProperty("id").GetString() == id);
        }

        // the service is gone; a late subscriber reads the stream from its start
        using var bus = await TestBus.ConnectedAsync(server.Url);
        var onStream = await JetStreamReader.ReadExitsFromStartAsync(new JetStreamClient(bus));
        Assert.Equal(expected.Count, onStream.Count);
        var byId = onStream.ToDictionary(m => ExitId.Read(m.Data));
        foreach (var e in expected)
        {
            Assert.Equal(NatsSubjects.Exits(e.Underlying), byId[e.Id].Subject);
            Assert.Equal(RunTestData.WithoutLatency(e.Json), RunTestData.WithoutLatency(byId[e.Id].Data));
            // live, the measured tick-to-decision latency is in the payload
            Assert.True(JsonDocument.Parse(byId[e.Id].Data).RootElement.GetProperty("latency_ns").GetInt64() >= 0);
        }
        AssertSameOrderPerSubject(expected, onStream.Select(m => (m.Subject, ExitId.Read(m.Data))));
        using var journal = JournalDatabase.Open(dir.File("j.db"));
        Assert.Equal(0, journal.Exits.CountUnpublished());
        Assert.Equal(expected.Count, journal.Exits.ListExits().Count);
    }

    [Fact]
    public async Task Killed_mid_tape_and_restarted_on_the_same_journal_the_exits_on_jetstream_are_the_uninterrupted_runs()
    {
        using var dir = new TempDirectory();
        var ramp = RampSession.Write(dir.Path);
        var expected = ramp.ReplayExits();
        Assert.Equal(ramp.ExpectedExits, expected.Count);
        using var server = new NatsServerFixture();
        using var bus = await TestBus.ConnectedAsync(server.Url);
        using var exits = new Collector(bus, NatsSubjects.ExitsWildcard);
        var journalPath = dir.File("j.db");
        string[] files = [$"--Feed:Tape={ramp.Tape}", $"--Positions:File={ramp.PositionsFile}", $"--Books:File={ramp.BooksFile}"];

        // run 1: the tape at 10x (about 6 s); kill -9 as soon as the first exit is on NATS
        using (var first = StreamerProcess.Start(dir.Path, Args(server, journalPath, [.. files, "--Feed:Speed=10"])))
        {
            await Waits.UntilAsync(() => exits.Count >= 1 || first.HasExited, "the first exit reaches NATS", Long);
            Assert.False(first.HasExited, first.Output);
            first.Crash();
        }
        var decidedBeforeCrash = RunTestData.JournaledExitIds(journalPath);
        Assert.InRange(decidedBeforeCrash.Count, 1, expected.Count - 1); // really mid-tape
        // whatever the crash caught, make it the worst case: no ack of run 1 reached the journal, so run 2 publishes every one again
        Assert.Equal(decidedBeforeCrash.Count, RunTestData.ForgetAcks(journalPath));

        // run 2: same journal, same files, as fast as possible, until the tape is done and every exit acked
        var (code, output) = await StreamerProcess.RunAsync(dir.Path, Args(server, journalPath, [.. files, "--Feed:Speed=0", "--Feed:ExitWhenDone=true"]));
        Assert.True(code == 0, output);

        var onStream = await JetStreamReader.ReadExitsFromStartAsync(new JetStreamClient(bus));
        var firstPayload = new Dictionary<string, string>();
        foreach (var m in onStream)
        {
            var id = ExitId.Read(m.Data);
            // run 2 republishes what run 1 journaled and may have had acked: Nats-Msg-Id = exit id, so the server stored each once
            Assert.True(firstPayload.TryAdd(id, Encoding.UTF8.GetString(m.Data)), $"exit {id} is on the stream twice");
        }
        Assert.Equal(expected.Count, onStream.Count);
        Assert.Equal(expected.Select(e => e.Id).Order(StringComparer.Ordinal), firstPayload.Keys.Order(StringComparer.Ordinal));
        foreach (var e in expected)
            Assert.Equal(RunTestData.WithoutLatency(e.Json), RunTestData.WithoutLatency(firstPayload[e.Id]));

        // decided once each: the journal holds every id once, and what run 1 decided kept its place
        var journaled = RunTestData.JournaledExitIds(journalPath);
        Assert.Equal(expected.Count, journaled.Count);
        Assert.Equal(journaled.Count, journaled.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(decidedBeforeCrash, journaled.Take(decidedBeforeCrash.Count));
    }

    [Fact]
    public async Task A_restart_resumes_open_positions_from_their_journaled_state_and_continues_exactly_where_it_stopped()
    {
        // the demo tape cut in two after SPY-PCS-1's first tranche (2026-01-20): run 2 sees only what
        // came after, as a live feed does after a restart; the journal must carry the rest (4 of 10
        // closed, tranche 1 fired, next sequence 2)
        var expected = RunTestData.Replay(RunTestData.DemoPositions, RunTestData.DemoTape);
        using var dir = new TempDirectory();
        var rows = File.ReadAllLines(RunTestData.DemoTape);
        int cut = Array.FindIndex(rows, r => r.StartsWith("2026-01-22", StringComparison.Ordinal));
        File.WriteAllLines(dir.File("part1.csv"), rows[..cut]);
        File.WriteAllLines(dir.File("part2.csv"), [rows[0], .. rows[cut..]]);
        using var server = new NatsServerFixture();
        var journalPath = dir.File("j.db");

        var (code1, out1) = await StreamerProcess.RunAsync(dir.Path, Args(server, journalPath,
            $"--Feed:Tape={dir.File("part1.csv")}", "--Feed:Speed=0", $"--Positions:File={RunTestData.DemoPositions}", "--Feed:ExitWhenDone=true"));
        Assert.True(code1 == 0, out1);
        Assert.Equal(["SPY-PCS-1:1"], RunTestData.JournaledExitIds(journalPath));

        var (code2, out2) = await StreamerProcess.RunAsync(dir.Path, Args(server, journalPath,
            $"--Feed:Tape={dir.File("part2.csv")}", "--Feed:Speed=0", $"--Positions:File={RunTestData.DemoPositions}", "--Feed:ExitWhenDone=true",
            "--Journal:RestoreState=true"));
        Assert.True(code2 == 0, out2);

        using var bus = await TestBus.ConnectedAsync(server.Url);
        var onStream = await JetStreamReader.ReadExitsFromStartAsync(new JetStreamClient(bus));
        var byId = onStream.ToDictionary(m => ExitId.Read(m.Data)); // throws on a duplicate id
        Assert.Equal(expected.Select(e => e.Id).Order(StringComparer.Ordinal), byId.Keys.Order(StringComparer.Ordinal));
        foreach (var e in expected)
            Assert.Equal(RunTestData.WithoutLatency(e.Json), RunTestData.WithoutLatency(byId[e.Id].Data));
    }

    [Fact]
    public async Task Sigterm_mid_tape_stops_cleanly_with_every_decided_exit_journaled_and_acked()
    {
        using var dir = new TempDirectory();
        var ramp = RampSession.Write(dir.Path);
        using var server = new NatsServerFixture();
        using var bus = await TestBus.ConnectedAsync(server.Url);
        using var exits = new Collector(bus, NatsSubjects.ExitsWildcard);
        var journalPath = dir.File("j.db");
        using var service = StreamerProcess.Start(dir.Path, Args(server, journalPath,
            $"--Feed:Tape={ramp.Tape}", $"--Positions:File={ramp.PositionsFile}", $"--Books:File={ramp.BooksFile}", "--Feed:Speed=10", "--Feed:ExitWhenDone=true"));
        await Waits.UntilAsync(() => exits.Count >= 1 || service.HasExited, "the first exit reaches NATS", Long);
        Assert.False(service.HasExited, service.Output);

        service.Terminate();
        Assert.Equal(0, await service.WaitForExitAsync(Long));
        using var journal = JournalDatabase.Open(journalPath);
        var journaled = journal.Exits.ListExits();
        Assert.InRange(journaled.Count, 1, ramp.ExpectedExits - 1); // stopped mid-tape
        Assert.Equal(0, journal.Exits.CountUnpublished()); // drained: NATS was up
        var onStream = await JetStreamReader.ReadExitsFromStartAsync(new JetStreamClient(bus));
        Assert.Equal(journaled.Select(e => e.Id).Order(StringComparer.Ordinal), onStream.Select(m => ExitId.Read(m.Data)).Distinct().Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("publish-first", false)]
    [InlineData("journal-first", false)]
    [InlineData("publish-first", true)]
    [InlineData("journal-first", true)]
    public async Task Nats_killed_or_frozen_mid_tape_and_back_loses_no_exit_and_keeps_their_order(string durability, bool frozen)
    {
        using var dir = new TempDirectory();
        var ramp = RampSession.Write(dir.Path);
        var expected = ramp.ReplayExits();
        using var server = new NatsServerFixture();
        using var bus = await TestBus.ConnectedAsync(server.Url);
        using var exits = new Collector(bus, NatsSubjects.ExitsWildcard);
        var journalPath = dir.File("j.db");

        using var service = StreamerProcess.Start(dir.Path, Args(server, journalPath, $"--Exits:Durability={durability}",
            $"--Feed:Tape={ramp.Tape}", $"--Positions:File={ramp.PositionsFile}", $"--Books:File={ramp.BooksFile}", "--Feed:Speed=10", "--Feed:ExitWhenDone=true"));
        await Waits.UntilAsync(() => exits.Count >= 1 || service.HasExited, "the first exit reaches NATS", Long);
        Assert.False(service.HasExited, service.Output);

        // killed: the connection drops at once; frozen (SIGSTOP): it stays open and nothing answers, so only the missing acks tell
        var freeze = frozen ? server.Freeze() : null;
        if (!frozen) server.Stop();
        int atOutage = RunTestData.JournaledExitCount(journalPath);
        // the service keeps deciding (journal first) while NATS is away
        await Waits.UntilAsync(() => RunTestData.JournaledExitCount(journalPath) >= atOutage + 3 || service.HasExited, "exits decided during the outage", Long);
        Assert.False(service.HasExited, service.Output);
        // frozen: longer than the outbox's ack timeout (2 s), or it is a hiccup the acks ride out, not an outage
        if (frozen) await Task.Delay(TimeSpan.FromSeconds(3));
        if (frozen) freeze!.Dispose();
        else server.Start();

        var code = await service.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.True(code == 0, service.Output);
        // it noticed: the outage or the unacked publishes are alerts (logged; published once NATS is back)
        Assert.True(service.Output.Contains("nats_outage", StringComparison.Ordinal) || service.Output.Contains("exit_publish_failed", StringComparison.Ordinal), service.Output);

        var onStream = await JetStreamReader.ReadExitsFromStartAsync(new JetStreamClient(bus));
        var order = new List<string>();
        var payloads = new Dictionary<string, string>();
        foreach (var m in onStream)
        {
            var id = ExitId.Read(m.Data);
            var json = Encoding.UTF8.GetString(m.Data);
            if (payloads.TryAdd(id, json)) order.Add(id);
            else Assert.Equal(payloads[id], json);
        }
        // none lost; on the stream in the order they were decided (the journal's), per underlying replay's time order
        Assert.Equal(expected.Select(e => e.Id).Order(StringComparer.Ordinal), order.Order(StringComparer.Ordinal));
        Assert.Equal(RunTestData.JournaledExitIds(journalPath), order);
        var subjectOf = onStream.GroupBy(m => ExitId.Read(m.Data)).ToDictionary(g => g.Key, g => g.First().Subject);
        AssertSameOrderPerSubject(expected, order.Select(id => (subjectOf[id], id)));
        foreach (var e in expected)
            Assert.Equal(RunTestData.WithoutLatency(e.Json), RunTestData.WithoutLatency(payloads[e.Id]));
    }

    [Fact]
    public async Task Fills_and_control_requests_reach_the_running_service_and_a_duplicate_fill_changes_nothing()
    {
        using var server = new NatsServerFixture();
        using var dir = new TempDirectory();
        using var bus = await TestBus.ConnectedAsync(server.Url);
        var alerts = new BlockingCollection<JsonElement>();
        using var alertSub = bus.Subscribe(NatsSubjects.AlertsPrefix + ">", m => alerts.Add(JsonDocument.Parse(m.Data).RootElement.Clone()));
        var beats = new ConcurrentQueue<JsonElement>();
        using var beatSub = bus.Subscribe(NatsSubjects.Heartbeat, m => beats.Enqueue(JsonDocument.Parse(m.Data).RootElement.Clone()));

        // no positions file: everything arrives over NATS; the tape is consumed and the service stays up
        using var service = StreamerProcess.Start(dir.Path, Args(server, dir.File("j.db"), $"--Feed:Tape={RunTestData.DemoTape}", "--Feed:Speed=0"));
        try
        {
            await IntakeAndControlAsync(service, bus, alerts, beats);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new InvalidOperationException($"{e.Message}\nservice output:\n{service.Output}", e);
        }
        using var journal = JournalDatabase.Open(dir.File("j.db"));
        Assert.Single(journal.Fills.Fills("META-9"));
        Assert.Equal(["SPY-9"], journal.Positions.LoadOpenPositions().Select(p => p.Id));
    }

    private static async Task IntakeAndControlAsync(StreamerProcess service, IMessageBus bus, BlockingCollection<JsonElement> alerts, ConcurrentQueue<JsonElement> beats)
    {
        await Waits.UntilAsync(() => beats.Any(b => Field(b, "feed") == "ended") || service.HasExited, "a heartbeat saying the tape ended", Long);
        Assert.False(service.HasExited, service.Output);
        var beat = beats.Last(b => Field(b, "feed") == "ended");
        Assert.Equal("tape", beat.GetProperty("feed_source").GetString());
        Assert.Equal(3543, beat.GetProperty("ticks_total").GetInt64());
        Assert.True(beat.GetProperty("last_tick_age_s").GetDouble() >= 0);
        Assert.Equal(0, beat.GetProperty("positions_monitored").GetInt32());

        async Task<JsonElement> Request(string subject, string body)
        {
            var reply = await bus.RequestAsync(subject, Encoding.UTF8.GetBytes(body), Long);
            return JsonDocument.Parse(reply.Data).RootElement.Clone();
        }
        async Task<string[]> Listed() =>
            [.. (await Request("streamer.control.list", "")).GetProperty("positions").EnumerateArray().Select(p => p.GetProperty("id").GetString()!)];
        async Task<int> Monitored() => (await Request("streamer.control.status", "")).GetProperty("positions_monitored").GetInt32();

        // the tape's end was announced
        await Waits.UntilAsync(() => alerts.Any(a => a.GetProperty("kind").GetString() == "feed_down"), "a feed_down alert at the tape's end", Long);

        // a fill for a position nobody monitors opens it
        const string fill = """{"id":"fill-1","position_id":"META-9","symbol":"META260220C00720000","qty":3,"price":17.10,"time":"2026-01-29T17:00:00Z","book":"day_trade"}""";
        var opened = await Request(NatsSubjects.Executions, fill);
        Assert.True(opened.GetProperty("ok").GetBoolean(), opened.ToString());
        Assert.False(opened.GetProperty("duplicate").GetBoolean());
        Assert.Equal(["META-9"], await Listed());
        await UntilMonitoredAsync(Monitored, 1, "the engine monitors the position the fill opened");
        var definition = (await Request("streamer.control.list", "")).GetProperty("positions")[0].GetProperty("definition");
        Assert.Equal(3, definition.GetProperty("legs")[0].GetProperty("qty").GetInt32());
        Assert.Equal(17.10, definition.GetProperty("legs")[0].GetProperty("entry_price").GetDouble());

        // the same fill again: rejected with an alert, nothing changes
        while (alerts.TryTake(out _)) { }
        var again = await Request(NatsSubjects.Executions, fill);
        Assert.True(again.GetProperty("duplicate").GetBoolean());
        Assert.True(alerts.TryTake(out var dup, Long));
        Assert.Equal("rejected_input", dup.GetProperty("kind").GetString());
        Assert.Equal("fill-1", dup.GetProperty("fill_id").GetString());
        Assert.Equal(["META-9"], await Listed());
        Assert.Equal(1, await Monitored());

        // control: add, a duplicate add, an unknown book, remove, status
        const string spy = """{"id":"SPY-9","book":"primary","opened_at":"2026-01-29T17:00:00Z","legs":[{"symbol":"SPY260220P00580000","qty":-2,"entry_price":5.0},{"symbol":"SPY260220P00575000","qty":2,"entry_price":4.2}]}""";
        Assert.True((await Request("streamer.control.add", spy)).GetProperty("ok").GetBoolean());
        var twice = await Request("streamer.control.add", spy);
        Assert.False(twice.GetProperty("ok").GetBoolean());
        Assert.Contains("already monitored", twice.GetProperty("error").GetString(), StringComparison.Ordinal);
        var badBook = await Request("streamer.control.add", spy.Replace("SPY-9", "SPY-10", StringComparison.Ordinal).Replace("primary", "nope", StringComparison.Ordinal));
        Assert.False(badBook.GetProperty("ok").GetBoolean());
        Assert.Contains("unknown book 'nope'", badBook.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(["META-9", "SPY-9"], (await Listed()).Order(StringComparer.Ordinal));
        await UntilMonitoredAsync(Monitored, 2, "the engine monitors the added position");

        Assert.True((await Request("streamer.control.remove", """{"id":"META-9"}""")).GetProperty("ok").GetBoolean());
        Assert.False((await Request("streamer.control.remove", """{"id":"META-9"}""")).GetProperty("ok").GetBoolean());
        Assert.Equal(["SPY-9"], await Listed());
        await UntilMonitoredAsync(Monitored, 1, "the engine stopped monitoring the removed position");
        var status = await Request("streamer.control.status", "");
        Assert.True(status.GetProperty("ok").GetBoolean());
        Assert.Equal("ended", status.GetProperty("feed").GetString());

        // SIGTERM: a clean stop
        service.Terminate();
        Assert.Equal(0, await service.WaitForExitAsync(Long));
    }

    [Fact]
    public async Task With_alpaca_data_url_the_service_streams_the_positions_symbols_and_fires_on_them()
    {
        // the in-repo emulator on loopback: AAPL walks 200.00 → 197.01 in 10 ms steps, over and over
        long t0 = Streamer.Rules.Time.NanoTime.ParseRfc3339("2026-01-21T15:00:00Z");
        await using var emulator = new Streamer.Stream.Emulator.AlpacaEmulator(RunTestData.AaplRamp(t0, 200.01, 197.02, 300),
            new Streamer.Stream.Emulator.EmulatorOptions { Speed = 1, Loop = true, Key = "K", Secret = "S" });
        await emulator.StartAsync();
        using var server = new NatsServerFixture();
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("books.yaml"), "books:\n  stop_only:\n    rules:\n      underlying_stop: {}\n");
        File.WriteAllText(dir.File("positions.json"), """{ "positions": [ { "id": "AAPL-1", "book": "stop_only", "stop_underlying": 198.00, "legs": [ { "symbol": "AAPL", "qty": 100, "entry_price": 200 } ] } ] }""");
        using var bus = await TestBus.ConnectedAsync(server.Url);
        using var exits = new Collector(bus, NatsSubjects.ExitsWildcard);
        var beats = new ConcurrentQueue<JsonElement>();
        using var beatSub = bus.Subscribe(NatsSubjects.Heartbeat, m => beats.Enqueue(JsonDocument.Parse(m.Data).RootElement.Clone()));

        using var service = StreamerProcess.Start(dir.Path, new Dictionary<string, string> { ["APCA_API_KEY_ID"] = "K", ["APCA_API_SECRET_KEY"] = "S" },
            Args(server, dir.File("j.db"), $"--Alpaca:DataUrl={emulator.DataUrl}", "--Alpaca:MarketClockSpeed=1", $"--Positions:File={dir.File("positions.json")}", $"--Books:File={dir.File("books.yaml")}"));
        await Waits.UntilAsync(() => exits.Count >= 1 || service.HasExited, "the stop fires on streamed AAPL quotes", Long);
        Assert.False(service.HasExited, service.Output);
        var exit = JsonDocument.Parse(exits.Messages[0].Data).RootElement;
        Assert.Equal("AAPL-1:1", exit.GetProperty("id").GetString());
        Assert.Equal("underlying_stop", exit.GetProperty("rule").GetString());
        Assert.Equal(NatsSubjects.Exits("AAPL"), exits.Messages[0].Subject);
        Assert.True(exit.GetProperty("underlying_price").GetDouble() <= 198.0);
        await Waits.UntilAsync(() => beats.Any(b => Field(b, "feed_source") == "alpaca" && b.GetProperty("ticks_total").GetInt64() > 0), "a heartbeat with Alpaca ticks", Long);
        // each connection's own state: the stock stream that delivered is live, the option one is named too
        await Waits.UntilAsync(() => beats.Any(b => b.TryGetProperty("feeds", out var f) && Field(f, "stocks iex") == "live"), "a heartbeat with the stock stream live", Long);
        var feeds = beats.Last(b => b.TryGetProperty("feeds", out _)).GetProperty("feeds");
        Assert.Equal(["stocks iex", "options indicative"], feeds.EnumerateObject().Select(p => p.Name));
        Assert.Contains(Field(feeds, "options indicative"), new[] { "connecting", "live", "stale", "down" });

        service.Terminate();
        Assert.Equal(0, await service.WaitForExitAsync(Long));
        Assert.Single(exits.Messages); // the position closed: it never fires again
    }

    private static string? Field(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>Shards run underlyings in parallel: the order that holds is per underlying (per subject), replay's time order.</summary>
    private static void AssertSameOrderPerSubject(IReadOnlyList<Streamer.Stream.Replay.ExitRecord> expected, IEnumerable<(string Subject, string Id)> actual)
    {
        var got = actual.ToList();
        foreach (var group in expected.GroupBy(e => NatsSubjects.Exits(e.Underlying)))
            Assert.Equal(group.Select(e => e.Id), got.Where(g => g.Subject == group.Key).Select(g => g.Id));
    }

    /// <summary>Polls the service's status (asynchronously: a blocking wait would hold xUnit's context the reply needs).</summary>
    private static async Task UntilMonitoredAsync(Func<Task<int>> monitored, int expected, string what)
    {
        var deadline = DateTime.UtcNow + Long;
        int last;
        while ((last = await monitored()) != expected)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{what}: positions_monitored stayed {last}, expected {expected}");
            await Task.Delay(50);
        }
    }

    [Theory]
    [InlineData("--Feed:Tape=missing.csv", "Feed:Tape")]
    [InlineData("--Positions:File=bad-positions.json", "Positions:File")]
    [InlineData("--Positions:File=unknown-book.json", "unknown book 'nope'")]
    [InlineData("--Books:File=bad-books.yaml", "Books:File")]
    [InlineData("--Feed:Speed=-1", "Feed:Speed")]
    [InlineData("--Nats:Url=http://nowhere", "Nats:Url")]
    [InlineData("--Feed:ExitWhenDone=maybe", "Feed:ExitWhenDone")]
    [InlineData("--Alpaca:DataUrl=ws://127.0.0.1:1", "APCA_API_KEY_ID")]
    [InlineData("--Intake:DefaultBook=nope", "Intake:DefaultBook")]
    [InlineData("--Journal:RestoreState=sometimes", "Journal:RestoreState")]
    [InlineData("--Nats:Ulr=nats://127.0.0.1:4222", "unknown setting Nats:Ulr")]
    [InlineData("--Pipeline:Shards=two", "Pipeline:Shards: 'two' is not a number")]
    [InlineData("--Alpaca:Feeed=sip", "unknown setting Alpaca:Feeed")]
    public async Task A_bad_setting_exits_2_with_one_line_naming_it(string setting, string named)
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("bad-positions.json"), "{ \"positions\": [ { \"id\": \"X\" ");
        File.WriteAllText(dir.File("unknown-book.json"), """{ "positions": [ { "id": "X-1", "book": "nope", "legs": [ { "symbol": "SPY", "qty": 1, "entry_price": 1 } ] } ] }""");
        File.WriteAllText(dir.File("bad-books.yaml"), "books:\n  b:\n    rules:\n      no_such_rule: {}\n");
        // Alpaca settings count only without a tape
        string feed = setting.StartsWith("--Alpaca:", StringComparison.Ordinal) ? "--Feed:Speed=0" : $"--Feed:Tape={RunTestData.DemoTape}";
        var (code, output) = await StreamerProcess.RunAsync(dir.Path, "run", $"--Journal:Path={dir.File("j.db")}", feed, setting);
        Assert.True(code == 2, output);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith("streamer run: ", line, StringComparison.Ordinal);
        Assert.Contains(named, line, StringComparison.Ordinal);
    }
}
