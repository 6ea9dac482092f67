using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Streamer.Rules.Market;
using Streamer.Rules.Time;
using Streamer.Stream.Contracts;
using Streamer.Stream.Journal;
using Streamer.Stream.Nats;
using Streamer.Stream.Service;
using Streamer.Stream.Tests.Infrastructure;
using Streamer.Stream.Tests.Run;

namespace Streamer.Stream.Tests.Dashboard;

/// <summary><c>streamer.control.close</c> over NATS on a running service: an exit of rule manual, journaled and published like any exit, once.</summary>
public sealed class CloseNowControlTests
{
    private static async Task<JsonElement> RequestAsync(IMessageBus client, string subject, string body)
    {
        var reply = await client.RequestAsync(subject, System.Text.Encoding.UTF8.GetBytes(body), TimeSpan.FromSeconds(10));
        return JsonDocument.Parse(reply.Data).RootElement.Clone();
    }

    [Fact]
    public async Task Close_over_nats_decides_a_manual_exit_once_and_refuses_what_it_cannot_close()
    {
        await using var session = await DashboardSession.StartAsync("--Dashboard:Enabled=false");
        using var client = await TestBus.ConnectedAsync(session.Server.Url);
        using var exits = new Collector(client, NatsSubjects.ExitsWildcard);
        await TestBus.UntilAnsweredAsync(client, "$SRV.PING.streamer");
        session.Trade("MSFT", 401.00);
        await session.FlushAsync();

        var closed = await RequestAsync(client, "streamer.control.close", """{"id":"MSFT-1"}""");
        Assert.True(closed.GetProperty("ok").GetBoolean(), closed.ToString());
        Assert.Equal(("MSFT-1", "MSFT-1:1"), (closed.GetProperty("id").GetString(), closed.GetProperty("exit").GetString()));
        await Waits.UntilAsync(() => exits.Count == 1, "the manual exit on NATS");
        var exit = JsonDocument.Parse(exits.Messages[0].Data).RootElement;
        Assert.Equal(("MSFT-1:1", "manual", "Closed by the operator (nats)"), (exit.GetProperty("id").GetString(), exit.GetProperty("rule").GetString(), exit.GetProperty("reason").GetString()));
        Assert.Equal((50, 0), (exit.GetProperty("contracts_closed").GetInt32(), exit.GetProperty("contracts_remaining").GetInt32()));
        Assert.Equal(50, exit.GetProperty("pnl").GetDouble(), 6); // 50 × (401.00 − 400.00)

        var again = await RequestAsync(client, "streamer.control.close", """{"id":"MSFT-1"}""");
        Assert.False(again.GetProperty("ok").GetBoolean());
        Assert.Contains("MSFT-1", again.GetProperty("error").GetString(), StringComparison.Ordinal);
        var unknown = await RequestAsync(client, "streamer.control.close", """{"id":"NOPE-1"}""");
        Assert.Equal("close: position 'NOPE-1' is not monitored", unknown.GetProperty("error").GetString());

        // after the close (17:00 New York) nothing is decided, and the reply says why
        var pipeline = session.Host.Services.GetRequiredService<LivePipelineService>().Pipeline;
        long evening = NanoTime.FromDateTime(new DateTime(2026, 2, 2, 22, 0, 0, DateTimeKind.Utc));
        pipeline.Ingress.Publish(Tick.Trade(evening, pipeline.Symbols.Intern("AAPL"), 200.10));
        await session.FlushAsync();
        var late = await RequestAsync(client, "streamer.control.close", """{"id":"AAPL-1"}""");
        Assert.False(late.GetProperty("ok").GetBoolean());
        Assert.Contains("the market is closed", late.GetProperty("error").GetString(), StringComparison.Ordinal);
        await session.FlushAsync();
        await Task.Delay(200);
        // (the clock's jump to 17:00 fires SPY-C-1's day_trade_close at 15:55 on the way: a rule's exit, not ours)
        Assert.Equal(["MSFT-1:1"], exits.Messages.Select(m => JsonDocument.Parse(m.Data).RootElement)
            .Where(e => e.GetProperty("position_id").GetString() != "SPY-C-1").Select(e => e.GetProperty("id").GetString()));

        await session.StopAsync();
        using var journal = JournalDatabase.Open(session.JournalPath);
        Assert.Equal(PositionStatus.Closed, journal.Positions.StatusOf("MSFT-1"));
        Assert.Equal(PositionStatus.Open, journal.Positions.StatusOf("AAPL-1"));
        var action = Assert.Single(journal.Actions.Recent(10), a => a.Verb == "close" && a.Ok);
        Assert.Equal(("nats", "MSFT-1"), (action.Actor, action.PositionId));
    }
}
