using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Streamer.Stream.Journal;
using Streamer.Stream.Pipeline;
using Streamer.Stream.Contracts;
using Streamer.Stream.Nats;
using Streamer.Stream.Journal.Outbox;
using Streamer.Stream.Host.Hosting;
using Streamer.Stream.Service;
using Streamer.Stream.Tests.Infrastructure;
using Streamer.Stream.Tests.Journal;

namespace Streamer.Stream.Tests.Service;

public sealed class StreamerServiceTests
{
    private const string Position = """
        { "id": "META-1", "book": "day_trade", "opened_at": "2026-01-29T16:36:38Z",
          "underlying_entry": 720.93, "stop_underlying": 720.60, "target_underlying": 726.37,
          "legs": [ { "symbol": "META260220C00720000", "qty": 6, "entry_price": 17.15 } ] }
        """;

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private sealed class Running : IAsyncDisposable
    {
        public required NatsServerFixture Server { get; init; }
        public required TempDirectory Dir { get; init; }
        public required IHost Host { get; init; }
        public required NatsBus Client { get; init; }

        public async Task<JsonElement> RequestAsync(string subject, string body)
        {
            var reply = await Client.RequestAsync(subject, Encoding.UTF8.GetBytes(body), Wait);
            return JsonDocument.Parse(reply.Data).RootElement.Clone();
        }

        public async ValueTask DisposeAsync()
        {
            await Host.StopAsync();
            if (Host is IAsyncDisposable d) await d.DisposeAsync();
            Client.Dispose();
            Server.Dispose();
            Dir.Dispose();
        }
    }

    private static async Task<Running> StartAsync()
    {
        var server = new NatsServerFixture();
        var dir = new TempDirectory();
        var host = StreamerService.CreateHost(
            [$"--Nats:Url={server.Url}", "--Journal:Path=journal/streamer.db", "--Heartbeat:IntervalSeconds=0.2"],
            dir.Path, logging: _ => { });
        await host.StartAsync();
        var bus = host.Services.GetRequiredService<IMessageBus>();
        Assert.True(await bus.WaitUntilConnectedAsync(TimeSpan.FromSeconds(20)), bus.LastError);
        var client = await TestBus.ConnectedAsync(server.Url);
        // the control service subscribes in the background once connected: until it answers
        await TestBus.UntilAnsweredAsync(client, "streamer.control.status");
        return new Running { Server = server, Dir = dir, Host = host, Client = client };
    }

    [Fact]
    public async Task Publishes_a_heartbeat_with_its_state()
    {
        await using var s = await StartAsync();
        var beats = new BlockingCollection<JsonElement>();
        using var sub = s.Client.Subscribe(NatsSubjects.Heartbeat, m => beats.Add(JsonDocument.Parse(m.Data).RootElement.Clone()));
        Assert.True(beats.TryTake(out var beat, Wait), "no heartbeat");
        Assert.Equal("streamer", beat.GetProperty("service").GetString());
        Assert.Equal("connected", beat.GetProperty("nats").GetString());
        Assert.Equal("ok", beat.GetProperty("status").GetString());
        Assert.Equal(0, beat.GetProperty("exit_backlog").GetInt32());
        Assert.True(beats.TryTake(out _, Wait), "the heartbeat repeats");
    }

    [Fact]
    public async Task Control_add_list_remove_status_with_clear_rejections()
    {
        await using var s = await StartAsync();
        var alerts = new BlockingCollection<JsonElement>();
        using var sub = s.Client.Subscribe(NatsSubjects.AlertsPrefix + ">", m => alerts.Add(JsonDocument.Parse(m.Data).RootElement.Clone()));

        var added = await s.RequestAsync("streamer.control.add", Position);
        Assert.True(added.GetProperty("ok").GetBoolean(), added.ToString());
        Assert.Equal("META-1", added.GetProperty("id").GetString());

        var again = await s.RequestAsync("streamer.control.add", Position);
        Assert.False(again.GetProperty("ok").GetBoolean());
        Assert.Contains("already monitored", again.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.True(alerts.TryTake(out var duplicateAlert, Wait));
        Assert.Contains("already monitored", duplicateAlert.GetProperty("message").GetString(), StringComparison.Ordinal);

        var bad = await s.RequestAsync("streamer.control.add", Position.Replace("META260220C00720000", "META261320C00720000", StringComparison.Ordinal).Replace("META-1", "META-2", StringComparison.Ordinal));
        Assert.False(bad.GetProperty("ok").GetBoolean());
        Assert.Contains("legs[0].symbol", bad.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.True(alerts.TryTake(out var alert, Wait));
        Assert.Equal("rejected_input", alert.GetProperty("kind").GetString());
        Assert.Contains("legs[0].symbol", alert.GetProperty("message").GetString(), StringComparison.Ordinal);

        var noQty = await s.RequestAsync("streamer.control.add", """{"id":"X","legs":[{"symbol":"SPY","entry_price":1}]}""");
        Assert.Contains("legs[0].qty", noQty.GetProperty("error").GetString(), StringComparison.Ordinal);
        var notJson = await s.RequestAsync("streamer.control.add", "{oops");
        Assert.Contains("not valid JSON", notJson.GetProperty("error").GetString(), StringComparison.Ordinal);

        var list = await s.RequestAsync("streamer.control.list", "");
        var only = Assert.Single(list.GetProperty("positions").EnumerateArray());
        Assert.Equal("META-1", only.GetProperty("id").GetString());
        Assert.Equal(6, only.GetProperty("definition").GetProperty("legs")[0].GetProperty("qty").GetInt32());
        Assert.Equal(1, only.GetProperty("next_exit_seq").GetInt32());

        var status = await s.RequestAsync("streamer.control.status", "");
        Assert.True(status.GetProperty("ok").GetBoolean());
        Assert.Equal(1, status.GetProperty("positions_monitored").GetInt32());

        var removed = await s.RequestAsync("streamer.control.remove", """{"id":"META-1"}""");
        Assert.True(removed.GetProperty("ok").GetBoolean());
        var unknown = await s.RequestAsync("streamer.control.remove", """{"id":"META-1"}""");
        Assert.Contains("not monitored", unknown.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Empty((await s.RequestAsync("streamer.control.list", "")).GetProperty("positions").EnumerateArray());
    }

    [Fact]
    public async Task Executions_are_journaled_once_and_bad_or_unmonitored_ones_raise_alerts()
    {
        await using var s = await StartAsync();
        var alerts = new BlockingCollection<JsonElement>();
        using var sub = s.Client.Subscribe(NatsSubjects.AlertsPrefix + ">", m => alerts.Add(JsonDocument.Parse(m.Data).RootElement.Clone()));
        await s.RequestAsync("streamer.control.add", Position);
        const string fill = """{"id":"exec-1","position_id":"META-1","symbol":"META260220C00720000","qty":-2,"price":18.40,"time":"2026-01-29T16:40:00Z"}""";

        var first = await s.RequestAsync(NatsSubjects.Executions, fill);
        Assert.True(first.GetProperty("ok").GetBoolean(), first.ToString());
        Assert.False(first.GetProperty("duplicate").GetBoolean());
        var repeat = await s.RequestAsync(NatsSubjects.Executions, fill);
        Assert.True(repeat.GetProperty("duplicate").GetBoolean());

        var journal = s.Host.Services.GetRequiredService<JournalDatabase>();
        var stored = Assert.Single(journal.Fills.Fills("META-1"));
        Assert.Equal(-2, stored.Quantity);
        Assert.Equal(18.40, stored.Price);

        var bad = await s.RequestAsync(NatsSubjects.Executions, """{"id":"exec-2","position_id":"META-1","symbol":"META","qty":0,"price":1,"time":"2026-01-29T16:40:00Z"}""");
        Assert.Contains("qty", bad.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.True(alerts.TryTake(out var rejected, Wait));
        Assert.Equal("rejected_input", rejected.GetProperty("kind").GetString());

        var stray = await s.RequestAsync(NatsSubjects.Executions, """{"id":"exec-3","position_id":"GHOST-1","symbol":"SPY","qty":5,"price":600,"time":"2026-01-29T16:41:00Z"}""");
        Assert.True(stray.GetProperty("ok").GetBoolean());
        Assert.True(alerts.TryTake(out var unmonitored, Wait));
        Assert.Equal("unmonitored", unmonitored.GetProperty("kind").GetString());
        Assert.Equal("GHOST-1", unmonitored.GetProperty("position_id").GetString());
        Assert.Single(journal.Fills.Fills("GHOST-1"));
    }

    [Fact]
    public async Task An_exit_submitted_to_the_hosts_outbox_reaches_the_exit_stream()
    {
        await using var s = await StartAsync();
        var outbox = s.Host.Services.GetRequiredService<ExitOutbox>();
        Assert.Equal(ExitSubmitOutcome.Accepted, outbox.Submit(JournalTestData.Exit("META-1", 1, "META")));
        await Waits.UntilAsync(() => outbox.Backlog == 0, "the host's outbox publishes");
        var read = await JetStreamReader.ReadFromStartAsync(new JetStreamClient(s.Client), NatsSubjects.ExitStream, null, Wait);
        var m = Assert.Single(read);
        Assert.Equal("streamer.exits.META", m.Subject);
        Assert.Equal("META-1:1", ExitId.Read(m.Data));
    }
}
