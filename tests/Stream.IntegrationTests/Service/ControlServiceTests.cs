using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Streamer.Stream.Nats;
using Streamer.Stream.Service;
using Streamer.Stream.Tests.Infrastructure;

namespace Streamer.Stream.Tests.Service;

/// <summary>
/// The control API is a NATS service (the micro protocol): <c>$SRV.PING</c>, <c>$SRV.INFO</c> and
/// <c>$SRV.STATS</c> find and describe it as <c>nats micro ls</c> would, with formats.md's
/// subjects and payloads unchanged; it comes up when NATS does and survives a server restart.
/// </summary>
public sealed class ControlServiceTests
{
    private const string Position = """
        { "id": "META-1", "book": "day_trade", "opened_at": "2026-01-29T16:36:38Z",
          "underlying_entry": 720.93, "stop_underlying": 720.60, "target_underlying": 726.37,
          "legs": [ { "symbol": "META260220C00720000", "qty": 6, "entry_price": 17.15 } ] }
        """;

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Ping_info_and_stats_describe_the_control_service_and_count_its_refusals()
    {
        using var server = new NatsServerFixture();
        using var dir = new TempDirectory();
        await using var host = await StartAsync(server, dir);
        using var client = await TestBus.ConnectedAsync(server.Url);
        await TestBus.UntilAnsweredAsync(client, "$SRV.PING.streamer");

        var ping = await RequestAsync(client, "$SRV.PING.streamer", "");
        Assert.Equal("io.nats.micro.v1.ping_response", ping.GetProperty("type").GetString());
        Assert.Equal("streamer", ping.GetProperty("name").GetString());
        Assert.Matches(@"^\d+\.\d+\.\d+$", ping.GetProperty("version").GetString());
        var id = ping.GetProperty("id").GetString()!;

        var info = await RequestAsync(client, $"$SRV.INFO.streamer.{id}", "");
        Assert.Equal("io.nats.micro.v1.info_response", info.GetProperty("type").GetString());
        Assert.Contains("list, add, remove", info.GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.Equal(
            [("add", "streamer.control.add", "q"), ("close", "streamer.control.close", "q"), ("list", "streamer.control.list", "q"), ("pause", "streamer.control.pause", "q"), ("remove", "streamer.control.remove", "q"), ("resume", "streamer.control.resume", "q"), ("status", "streamer.control.status", "q")],
            info.GetProperty("endpoints").EnumerateArray().Select(e => (e.GetProperty("name").GetString(), e.GetProperty("subject").GetString(), e.GetProperty("queue_group").GetString())).Order());

        // pause/resume (issue 13's extension) need the live engine: this host has only the journal
        var pause = await RequestAsync(client, "streamer.control.pause", """{"id":"X"}""");
        Assert.False(pause.GetProperty("ok").GetBoolean());
        Assert.Equal("pause: this service runs no engine", pause.GetProperty("error").GetString());
        var close = await RequestAsync(client, "streamer.control.close", """{"id":"X"}""");
        Assert.Equal("close: this service runs no engine", close.GetProperty("error").GetString());

        // formats.md's payloads, as before; a refusal keeps its body and adds the micro error headers
        var added = await RequestAsync(client, "streamer.control.add", Position);
        Assert.True(added.GetProperty("ok").GetBoolean(), added.ToString());
        var refused = await client.RequestAsync("streamer.control.remove", """{"id":"NOPE"}"""u8.ToArray(), Wait);
        var body = JsonDocument.Parse(refused.Data).RootElement;
        Assert.Equal((false, "remove: position 'NOPE' is not monitored"), (body.GetProperty("ok").GetBoolean(), body.GetProperty("error").GetString()));
        Assert.Equal(["error"], body.EnumerateObject().Select(p => p.Name).Skip(1));
        var list = await RequestAsync(client, "streamer.control.list", "");
        Assert.Equal("META-1", Assert.Single(list.GetProperty("positions").EnumerateArray()).GetProperty("id").GetString());

        var stats = await RequestAsync(client, $"$SRV.STATS.streamer.{id}", "");
        Assert.Equal("io.nats.micro.v1.stats_response", stats.GetProperty("type").GetString());
        var byName = stats.GetProperty("endpoints").EnumerateArray().ToDictionary(e => e.GetProperty("name").GetString()!);
        Assert.Equal((1, 0), (byName["add"].GetProperty("num_requests").GetInt32(), byName["add"].GetProperty("num_errors").GetInt32()));
        Assert.Equal((1, 1), (byName["remove"].GetProperty("num_requests").GetInt32(), byName["remove"].GetProperty("num_errors").GetInt32()));
        Assert.Contains("not monitored", byName["remove"].GetProperty("last_error").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, byName["list"].GetProperty("num_requests").GetInt32());
    }

    [Fact]
    public async Task Started_while_NATS_is_down_it_serves_once_NATS_is_up_and_again_after_a_server_restart()
    {
        using var server = new NatsServerFixture();
        server.Stop();
        using var dir = new TempDirectory();
        await using var host = await StartAsync(server, dir); // does not wait for NATS
        server.Start();
        using var client = await TestBus.ConnectedAsync(server.Url);
        await TestBus.UntilAnsweredAsync(client, "$SRV.PING.streamer");
        Assert.True((await RequestAsync(client, "streamer.control.add", Position)).GetProperty("ok").GetBoolean());

        server.Stop();
        server.Start();
        var service = host.Services.GetRequiredService<IMessageBus>();
        Assert.True(await service.WaitUntilConnectedAsync(TimeSpan.FromSeconds(20)), service.LastError);
        Assert.True(await client.WaitUntilConnectedAsync(TimeSpan.FromSeconds(20)), client.LastError);
        await TestBus.UntilAnsweredAsync(client, "$SRV.PING.streamer");
        var list = await RequestAsync(client, "streamer.control.list", "");
        Assert.Equal("META-1", Assert.Single(list.GetProperty("positions").EnumerateArray()).GetProperty("id").GetString());
        Assert.Equal("streamer", (await RequestAsync(client, "$SRV.PING", "")).GetProperty("name").GetString());
    }

    private static async Task<AsyncHost> StartAsync(NatsServerFixture server, TempDirectory dir)
    {
        var host = StreamerService.CreateHost([$"--Nats:Url={server.Url}", "--Journal:Path=j.db"], dir.Path, logging: _ => { });
        await host.StartAsync();
        return new AsyncHost(host);
    }

    private static async Task<JsonElement> RequestAsync(IMessageBus bus, string subject, string body)
    {
        var reply = await bus.RequestAsync(subject, Encoding.UTF8.GetBytes(body), Wait);
        return JsonDocument.Parse(reply.Data).RootElement.Clone();
    }

    private sealed class AsyncHost(IHost host) : IAsyncDisposable
    {
        public IServiceProvider Services => host.Services;

        public async ValueTask DisposeAsync()
        {
            await host.StopAsync();
            if (host is IAsyncDisposable d) await d.DisposeAsync();
        }
    }
}
