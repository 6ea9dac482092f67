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
/// Fills on <c>streamer.executions</c> grow and reduce what <c>streamer run</c> monitors (real process,
/// real nats-server, real journal file), across a kill -9.
/// </summary>
public sealed class FillResizeRunTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60); // a child process on a loaded 2-core machine

    // price rules only: with no feed nothing can fire, so every change below is the fills'
    private const string Books = """
        books:
          so:
            rules:
              scale_out: {}
        """;

    private const string Call = "META260220C00720000";
    private const string Short = "SPY260220P00580000";
    private const string Long2 = "SPY260220P00575000";

    private static string[] Args(NatsServerFixture server, TempDirectory dir) =>
        ["run", $"--Nats:Url={server.Url}", $"--Journal:Path={dir.File("j.db")}", $"--Books:File={dir.File("books.yaml")}", "--Heartbeat:IntervalSeconds=0.5"];

    private static string Fill(string id, string position, string symbol, int qty, double price) =>
        FormattableString.Invariant($$"""{"id":"{{id}}","position_id":"{{position}}","symbol":"{{symbol}}","qty":{{qty}},"price":{{price}},"time":"2026-01-29T17:00:00Z","book":"so"}""");

    private static async Task<JsonElement> RequestAsync(IMessageBus bus, string subject, string body)
    {
        var reply = await bus.RequestAsync(subject, Encoding.UTF8.GetBytes(body), Long);
        return JsonDocument.Parse(reply.Data).RootElement.Clone();
    }

    /// <summary>Until the service answers control requests (a request before it subscribed goes unanswered).</summary>
    private static async Task UpAsync(IMessageBus bus, StreamerProcess service)
    {
        var deadline = DateTime.UtcNow + Long;
        while (DateTime.UtcNow < deadline && !service.HasExited)
        {
            try
            {
                await bus.RequestAsync("streamer.control.status", ReadOnlyMemory<byte>.Empty, TimeSpan.FromSeconds(1));
                return;
            }
            catch (TimeoutException)
            {
            }
        }
        throw new TimeoutException($"the service never answered\nservice output:\n{service.Output}");
    }

    private static async Task<JsonElement?> ListedAsync(IMessageBus bus, string id)
    {
        foreach (var p in (await RequestAsync(bus, "streamer.control.list", "")).GetProperty("positions").EnumerateArray())
            if (p.GetProperty("id").GetString() == id) return p;
        return null;
    }

    /// <summary>Polls the control list until the position's journaled state says <paramref name="original"/>/<paramref name="remaining"/>.</summary>
    private static async Task<JsonElement> UntilStateAsync(IMessageBus bus, StreamerProcess service, string id, int original, int remaining)
    {
        var deadline = DateTime.UtcNow + Long;
        JsonElement? last = null;
        while (DateTime.UtcNow < deadline && !service.HasExited)
        {
            last = await ListedAsync(bus, id);
            if (last is { } p && p.TryGetProperty("state", out var s)
                && s.GetProperty("contracts_original").GetInt32() == original && s.GetProperty("contracts_remaining").GetInt32() == remaining)
                return p;
            await Task.Delay(50);
        }
        throw new TimeoutException($"position {id} never reached {remaining}/{original}: last listed {last}\nservice output:\n{service.Output}");
    }

    private static async Task UntilListedAsync(IMessageBus bus, StreamerProcess service, string id, bool listed)
    {
        var deadline = DateTime.UtcNow + Long;
        while (DateTime.UtcNow < deadline && !service.HasExited)
        {
            if ((await ListedAsync(bus, id) is not null) == listed) return;
            await Task.Delay(50);
        }
        throw new TimeoutException($"position {id} {(listed ? "never listed" : "still listed")}\nservice output:\n{service.Output}");
    }

    private static double LegEntry(JsonElement listed, int leg) => listed.GetProperty("definition").GetProperty("legs")[leg].GetProperty("entry_price").GetDouble();

    private static long LegQty(JsonElement listed, int leg) => listed.GetProperty("definition").GetProperty("legs")[leg].GetProperty("qty").GetInt64();

    [Fact]
    public async Task Fills_grow_and_reduce_positions_across_a_kill_and_a_spread_changes_only_in_whole_units()
    {
        using var server = new NatsServerFixture();
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("books.yaml"), Books);
        using var bus = await TestBus.ConnectedAsync(server.Url);
        var alerts = new BlockingCollection<JsonElement>();
        using var alertSub = bus.Subscribe(NatsSubjects.AlertsPrefix + ">", m => alerts.Add(JsonDocument.Parse(m.Data).RootElement.Clone()));

        var first = StreamerProcess.Start(dir.Path, Args(server, dir));
        try
        {
            await UpAsync(bus, first);
            Assert.True((await RequestAsync(bus, NatsSubjects.Executions, Fill("f-1", "META-9", Call, 3, 17.10))).GetProperty("ok").GetBoolean());
            await UntilListedAsync(bus, first, "META-9", listed: true);
            Assert.True((await RequestAsync(bus, NatsSubjects.Executions, Fill("f-2", "META-9", Call, 2, 18.10))).GetProperty("ok").GetBoolean());
            var grown = await UntilStateAsync(bus, first, "META-9", 5, 5);
            Assert.Equal(5, LegQty(grown, 0));
            Assert.Equal((3 * 17.10 + 2 * 18.10) / 5, LegEntry(grown, 0), 9);    // 17.50
        }
        finally
        {
            first.Crash();
            first.Dispose();
        }

        using var service = StreamerProcess.Start(dir.Path, Args(server, dir));
        try
        {
            await UpAsync(bus, service);
            // the restart monitors the grown position; a reduce books its P&L against the averaged entry
            await UntilStateAsync(bus, service, "META-9", 5, 5);
            await RequestAsync(bus, NatsSubjects.Executions, Fill("f-3", "META-9", Call, -2, 19.00));
            var reduced = await UntilStateAsync(bus, service, "META-9", 5, 3);
            Assert.Equal((19.00 - 17.50) * 2 * 100, reduced.GetProperty("state").GetProperty("realized_pnl").GetDouble(), 6);

            // a spread: one leg's fill waits for the other; together they add one unit
            const string spy = """{"id":"SPY-9","book":"so","opened_at":"2026-01-29T17:00:00Z","legs":[{"symbol":"SPY260220P00580000","qty":-2,"entry_price":5.0},{"symbol":"SPY260220P00575000","qty":2,"entry_price":4.2}]}""";
            Assert.True((await RequestAsync(bus, "streamer.control.add", spy)).GetProperty("ok").GetBoolean());
            await RequestAsync(bus, NatsSubjects.Executions, Fill("s-1", "SPY-9", Short, -1, 5.30));
            await Waits.UntilAsync(() => service.Output.Contains("fill 's-1' held", StringComparison.Ordinal), "the first leg's fill held", Long);
            // nothing resized (the periodic save may have journaled the untouched state meanwhile)
            if ((await ListedAsync(bus, "SPY-9"))!.Value.TryGetProperty("state", out var untouched))
                Assert.Equal((2, 2), (untouched.GetProperty("contracts_original").GetInt32(), untouched.GetProperty("contracts_remaining").GetInt32()));
            await RequestAsync(bus, NatsSubjects.Executions, Fill("s-2", "SPY-9", Long2, 1, 4.00));
            var spread = await UntilStateAsync(bus, service, "SPY-9", 3, 3);
            Assert.Equal(-3, LegQty(spread, 0));
            Assert.Equal((5.0 * 2 + 5.30) / 3, LegEntry(spread, 0), 9);
            Assert.Equal((4.2 * 2 + 4.00) / 3, LegEntry(spread, 1), 9);

            // a symbol that is not a leg: rejected, named, nothing changes
            while (alerts.TryTake(out _)) { }
            await RequestAsync(bus, NatsSubjects.Executions, Fill("s-3", "SPY-9", "SPY260220P00570000", 1, 1.0));
            await Waits.UntilAsync(() => alerts.Any(a => a.GetProperty("kind").GetString() == "rejected_input"
                && a.GetProperty("message").GetString()!.Contains("SPY260220P00570000 is not a leg", StringComparison.Ordinal)), "a rejection naming the symbol", Long);

            // selling more than is open closes what is open and says so
            await RequestAsync(bus, NatsSubjects.Executions, Fill("f-4", "META-9", Call, -5, 20.00));
            await UntilListedAsync(bus, service, "META-9", listed: false);
            await Waits.UntilAsync(() => alerts.Any(a => a.GetProperty("kind").GetString() == "position_mismatch"
                && a.GetProperty("message").GetString()!.Contains("but 3 were open", StringComparison.Ordinal)), "a position_mismatch alert", Long);

            service.Terminate();
            Assert.Equal(0, await service.WaitForExitAsync(Long));
        }
        catch (Exception e) when (e is not TimeoutException)
        {
            throw new InvalidOperationException($"{e.Message}\nservice output:\n{service.Output}", e);
        }

        using var journal = JournalDatabase.Open(dir.File("j.db"));
        Assert.Equal("opened the position", journal.Fills.FillDisposition("f-1"));
        Assert.StartsWith("rejected: ", journal.Fills.FillDisposition("s-3"), StringComparison.Ordinal);
        Assert.Equal(["SPY-9"], journal.Positions.LoadOpenPositions().Select(p => p.Id));
        Assert.True(journal.Positions.TryLoadPositionState("META-9", out var closed));
        var state = PositionStateJson.Parse(closed, "META-9");
        Assert.Equal(0, state.ContractsRemaining);
        Assert.Equal(300 + (20.00 - 17.50) * 3 * 100, state.RealizedPnl, 6);
    }

    [Fact]
    public async Task A_fill_journaled_before_a_crash_but_not_applied_is_applied_at_the_next_start_and_only_once()
    {
        using var server = new NatsServerFixture();
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("books.yaml"), Books);
        // what a crash between journaling the fill and journaling its resize leaves behind
        using (var journal = JournalDatabase.Open(dir.File("j.db")))
        {
            journal.Positions.UpsertPosition("META-9", $$"""{"id":"META-9","book":"so","opened_at":"2026-01-29T17:00:00Z","legs":[{"symbol":"{{Call}}","qty":3,"entry_price":17.1}]}""", 1);
            journal.Fills.RecordFill(new FillRecord("f-2", "META-9", Call, 2, 18.10, 1), 1);
        }
        using var bus = await TestBus.ConnectedAsync(server.Url);
        for (int run = 0; run < 2; run++)
        {
            using var service = StreamerProcess.Start(dir.Path, Args(server, dir));
            await UpAsync(bus, service);
            var listed = await UntilStateAsync(bus, service, "META-9", 5, 5);
            Assert.Equal((3 * 17.10 + 2 * 18.10) / 5, LegEntry(listed, 0), 9);
            Assert.Equal(5, LegQty(listed, 0));
            service.Terminate();
            Assert.Equal(0, await service.WaitForExitAsync(Long));
        }
        using var after = JournalDatabase.Open(dir.File("j.db"));
        Assert.True(after.Positions.TryLoadPositionState("META-9", out var json));
        Assert.Equal(5, PositionStateJson.Parse(json, "META-9").ContractsOriginal);   // a second start did not grow it again
    }

    [Fact]
    public async Task A_multi_leg_execution_opens_and_closes_a_spread_in_whole_units_and_a_closed_id_is_never_reused()
    {
        using var server = new NatsServerFixture();
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("books.yaml"), Books);
        // a crash after a fill was journaled and before the position it opens was: the next start opens it
        using (var journal = JournalDatabase.Open(dir.File("j.db")))
            journal.Fills.RecordFill(new FillRecord("orphan-1", "META-7", Call, 4, 12.5, 1, """{"book":"so"}"""), 1);
        using var bus = await TestBus.ConnectedAsync(server.Url);
        using var service = StreamerProcess.Start(dir.Path, Args(server, dir));
        try
        {
            await UpAsync(bus, service);
            await UntilListedAsync(bus, service, "META-7", listed: true); // the control API may answer before the restore ran
            var orphan = (await ListedAsync(bus, "META-7"))!.Value;
            Assert.Equal(4, LegQty(orphan, 0));

            const string open = """{"id":"x-1","position_id":"PCS-7","time":"2026-01-29T17:00:00Z","book":"so","legs":[{"symbol":"SPY260220P00580000","qty":-3,"price":5.3},{"symbol":"SPY260220P00575000","qty":3,"price":4.0}]}""";
            var opened = await RequestAsync(bus, NatsSubjects.Executions, open);
            Assert.Equal(("x-1", false), (opened.GetProperty("id").GetString(), opened.GetProperty("duplicate").GetBoolean()));
            await UntilListedAsync(bus, service, "PCS-7", listed: true);
            var listed = (await ListedAsync(bus, "PCS-7"))!.Value;
            Assert.Equal((-3L, 3L), (LegQty(listed, 0), LegQty(listed, 1)));
            Assert.Equal((5.3, 4.0), (LegEntry(listed, 0), LegEntry(listed, 1)));
            Assert.True((await RequestAsync(bus, NatsSubjects.Executions, open)).GetProperty("duplicate").GetBoolean());

            // bought back in one execution: both legs, 3 units, closed
            await RequestAsync(bus, NatsSubjects.Executions,
                """{"id":"x-2","position_id":"PCS-7","time":"2026-01-29T18:00:00Z","legs":[{"symbol":"SPY260220P00580000","qty":3,"price":2.0},{"symbol":"SPY260220P00575000","qty":-3,"price":1.5}]}""");
            await UntilListedAsync(bus, service, "PCS-7", listed: false);

            // the id is spent: neither a control add nor a fill reopens it
            const string again = """{"id":"PCS-7","book":"so","legs":[{"symbol":"SPY260220P00580000","qty":-1,"entry_price":5.0},{"symbol":"SPY260220P00575000","qty":1,"entry_price":4.2}]}""";
            var refused = await RequestAsync(bus, "streamer.control.add", again);
            Assert.False(refused.GetProperty("ok").GetBoolean());
            Assert.Contains("was closed", refused.GetProperty("error").GetString(), StringComparison.Ordinal);
            service.Terminate();
            Assert.Equal(0, await service.WaitForExitAsync(Long));
        }
        catch (Exception e) when (e is not TimeoutException)
        {
            throw new InvalidOperationException($"{e.Message}\nservice output:\n{service.Output}", e);
        }
        using var after = JournalDatabase.Open(dir.File("j.db"));
        Assert.True(after.Positions.TryLoadPositionState("PCS-7", out var json));
        var state = PositionStateJson.Parse(json, "PCS-7");
        Assert.Equal((3, 0), (state.ContractsOriginal, state.ContractsRemaining));
        // short bought back 3.30 under its credit, long sold 2.50 under its cost: 3 × (330 − 250)
        Assert.Equal(240, state.RealizedPnl, 6);
        Assert.Equal("opened the position", after.Fills.FillDisposition("orphan-1"));
    }
}
