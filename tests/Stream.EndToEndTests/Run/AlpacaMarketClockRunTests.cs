using Streamer.Stream.Contracts;
using Streamer.Stream.Nats;
using Streamer.Stream.Tests.Infrastructure;
using System.Text.Json;

namespace Streamer.Stream.Tests.Run;

/// <summary>
/// A dry run against the emulator: its quotes carry the recorded day's time, not now. With
/// <c>Alpaca:MarketClockSpeed</c> the service's clock follows that market time, so a position
/// opened "now" (ahead of the replayed day) neither drags the shard's clock to the wall clock nor
/// makes every replayed mark stale: the other position's stop still fires.
/// </summary>
public sealed class AlpacaMarketClockRunTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task With_the_market_clock_a_position_opened_now_does_not_stop_exits_on_replayed_quotes()
    {
        long t0 = Streamer.Rules.Time.NanoTime.ParseRfc3339("2026-01-21T15:00:00Z");
        await using var emulator = new Streamer.Stream.Emulator.AlpacaEmulator(RunTestData.AaplRamp(t0, 200.01, 197.02, 300),
            new Streamer.Stream.Emulator.EmulatorOptions { Speed = 1, Loop = true, Key = "K", Secret = "S" });
        await emulator.StartAsync();
        using var server = new NatsServerFixture();
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("books.yaml"), "books:\n  stop_only:\n    rules:\n      underlying_stop: {}\n");
        var now = Streamer.Rules.Time.NanoTime.FormatRfc3339(Streamer.Rules.Time.NanoTime.FromDateTime(DateTime.UtcNow));
        File.WriteAllText(dir.File("positions.json"), $$"""
            { "positions": [
              { "id": "AAPL-1", "book": "stop_only", "stop_underlying": 198.00, "legs": [ { "symbol": "AAPL", "qty": 100, "entry_price": 200 } ] },
              { "id": "AAPL-NOW", "book": "stop_only", "opened_at": "{{now}}", "stop_underlying": 150.00, "legs": [ { "symbol": "AAPL", "qty": 10, "entry_price": 200 } ] } ] }
            """);
        using var bus = await TestBus.ConnectedAsync(server.Url);
        var exits = new System.Collections.Concurrent.ConcurrentQueue<JsonElement>();
        using var sub = bus.Subscribe(NatsSubjects.ExitsWildcard, m => exits.Enqueue(JsonDocument.Parse(m.Data).RootElement.Clone()));

        using var service = StreamerProcess.Start(dir.Path, new Dictionary<string, string> { ["APCA_API_KEY_ID"] = "K", ["APCA_API_SECRET_KEY"] = "S" },
            "run", $"--Nats:Url={server.Url}", $"--Journal:Path={dir.File("j.db")}", "--Pipeline:Shards=1",
            $"--Alpaca:DataUrl={emulator.DataUrl}", "--Alpaca:MarketClockSpeed=1", $"--Positions:File={dir.File("positions.json")}", $"--Books:File={dir.File("books.yaml")}");
        await Waits.UntilAsync(() => !exits.IsEmpty || service.HasExited, "AAPL-1's stop fires on the replayed quotes", Long);
        Assert.False(service.HasExited, service.Output);
        var exit = Assert.Single(exits);
        Assert.Equal("AAPL-1:1", exit.GetProperty("id").GetString());
        Assert.Equal("underlying_stop", exit.GetProperty("rule").GetString());
        // decided at the replayed day's time, not at the wall clock's
        Assert.StartsWith("2026-01-21T15:00:", exit.GetProperty("time").GetString(), StringComparison.Ordinal);
        service.Terminate();
        Assert.Equal(0, await service.WaitForExitAsync(Long));
    }

    [Fact]
    public async Task On_the_wall_clock_a_feed_stamped_in_the_past_raises_clock_skew_naming_the_setting()
    {
        long t0 = Streamer.Rules.Time.NanoTime.ParseRfc3339("2026-01-21T15:00:00Z");
        await using var emulator = new Streamer.Stream.Emulator.AlpacaEmulator(RunTestData.AaplRamp(t0, 200.01, 199.02, 100),
            new Streamer.Stream.Emulator.EmulatorOptions { Speed = 1, Loop = true, Key = "K", Secret = "S" });
        await emulator.StartAsync();
        using var server = new NatsServerFixture();
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("positions.json"), """{ "positions": [ { "id": "AAPL-1", "book": "day_trade", "legs": [ { "symbol": "AAPL", "qty": 100, "entry_price": 200 } ] } ] }""");
        using var bus = await TestBus.ConnectedAsync(server.Url);
        var alerts = new System.Collections.Concurrent.ConcurrentQueue<JsonElement>();
        using var sub = bus.Subscribe(NatsSubjects.AlertsPrefix + "clock_skew", m => alerts.Enqueue(JsonDocument.Parse(m.Data).RootElement.Clone()));

        using var service = StreamerProcess.Start(dir.Path, new Dictionary<string, string> { ["APCA_API_KEY_ID"] = "K", ["APCA_API_SECRET_KEY"] = "S" },
            "run", $"--Nats:Url={server.Url}", $"--Journal:Path={dir.File("j.db")}",
            $"--Alpaca:DataUrl={emulator.DataUrl}", $"--Positions:File={dir.File("positions.json")}");
        await Waits.UntilAsync(() => !alerts.IsEmpty || service.HasExited, "a clock_skew alert", Long);
        Assert.False(service.HasExited, service.Output);
        alerts.TryPeek(out var alert);
        Assert.Contains("Alpaca:MarketClockSpeed", alert.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.True(double.Parse(alert.GetProperty("behind_seconds").GetString()!, System.Globalization.CultureInfo.InvariantCulture) > 86_400);
        service.Terminate();
        Assert.Equal(0, await service.WaitForExitAsync(Long));
    }
}
