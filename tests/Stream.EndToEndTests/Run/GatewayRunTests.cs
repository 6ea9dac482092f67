using System.Text.Json;
using Streamer.Stream.Contracts;
using Streamer.Stream.Tests.Infrastructure;

namespace Streamer.Stream.Tests.Run;

/// <summary>
/// <c>streamer run</c> fed through <c>streamer gateway</c> (two processes and a real nats-server): the engine
/// opens no market-data connection, declares its positions' symbols as demand, and takes the gateway's
/// ticks off <c>streamer.ticks.*</c>. Its exits are a replay's of the same tape, to the byte.
/// </summary>
public sealed class GatewayRunTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task A_run_fed_through_the_gateway_publishes_exactly_the_exits_a_replay_of_the_tape_decides_and_survives_a_malformed_tick()
    {
        using var dir = new TempDirectory();
        var ramp = RampSession.Write(dir.Path);
        var expected = ramp.ReplayExits();
        Assert.Equal(ramp.ExpectedExits, expected.Count);
        using var server = new NatsServerFixture();
        using var bus = await TestBus.ConnectedAsync(server.Url);
        using var exits = new Collector(bus, NatsSubjects.ExitsWildcard);
        using var alerts = new Collector(bus, NatsSubjects.AlertsPrefix + "market_data");
        using var demand = new Collector(bus, NatsSubjects.DemandWildcard);

        // the tape at 10x (about 6 s), started by the engine's first demand
        using var gateway = StreamerProcess.Start(dir.Path, "gateway", "--tape", ramp.Tape, "--speed", "10", $"--Nats:Url={server.Url}", "--Gateway:GraceMilliseconds=100");
        await gateway.UntilAsync(() => gateway.Output.Contains("demand on streamer.demand.*", StringComparison.Ordinal), "the gateway is up");
        using var engine = StreamerProcess.Start(dir.Path, "run", $"--Nats:Url={server.Url}", $"--Journal:Path={dir.File("j.db")}",
            "--Feed:Source=gateway", "--Gateway:EngineId=engine-1", "--Alpaca:MarketClockSpeed=10",
            $"--Positions:File={ramp.PositionsFile}", $"--Books:File={ramp.BooksFile}");

        await Waits.UntilAsync(() => exits.Count >= 1 || engine.HasExited, "the first exit", Long);
        Assert.False(engine.HasExited, engine.Output);
        // a broken publisher on the engine's tick subject: refused with an alert naming the fault, nothing else changes
        bus.TryPublish(NatsSubjects.Ticks("AAA"), "not a tick"u8.ToArray());
        await Waits.UntilAsync(() => exits.Count >= expected.Count || engine.HasExited, "every exit of the tape", Long);
        Assert.False(engine.HasExited, engine.Output);

        var byId = exits.Messages.ToDictionary(m => JsonDocument.Parse(m.Data).RootElement.GetProperty("id").GetString()!, m => m.Data);
        Assert.Equal(expected.Count, exits.Count);
        foreach (var e in expected)
            Assert.Equal(RunTestData.WithoutLatency(e.Json), RunTestData.WithoutLatency(byId[e.Id]));

        await Waits.UntilAsync(() => alerts.Count >= 1, "the malformed tick's alert", Long);
        var alert = JsonDocument.Parse(alerts.Messages[0].Data).RootElement;
        Assert.Contains("streamer.ticks.AAA: tick record at byte 0: tag 0x6E is not 'T'", alert.GetProperty("message").GetString(), StringComparison.Ordinal);

        // the engine's demand: both underlyings, renewed, and withdrawn whole when it stops
        var first = JsonDocument.Parse(demand.Messages[0].Data).RootElement;
        Assert.Equal("engine-1", first.GetProperty("engine").GetString());
        Assert.Equal(["AAA", "BBB"], first.GetProperty("underlyings").EnumerateObject().Select(p => p.Name));
        engine.Terminate();
        Assert.Equal(0, await engine.WaitForExitAsync(Long));
        var last = JsonDocument.Parse(demand.Messages[^1].Data).RootElement;
        Assert.Empty(last.GetProperty("underlyings").EnumerateObject());
        await gateway.UntilAsync(() => gateway.Output.Contains("gateway: unsubscribe", StringComparison.Ordinal), "the gateway lets the withdrawn symbols go");
        Assert.DoesNotContain("refused", gateway.Output, StringComparison.Ordinal);
        // the tape's end leaves the gateway up (UntilAsync fails on a gateway that stopped)
        await gateway.UntilAsync(() => gateway.Output.Contains($"upstream {ramp.Tape} finished", StringComparison.Ordinal), "the tape played to its end");
        gateway.Terminate();
        Assert.Equal(0, await gateway.WaitForExitAsync(Long));
    }
}
