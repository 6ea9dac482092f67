using System.Collections.Concurrent;
using System.Text.Json;
using Streamer.Rules.Books;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;
using Streamer.Stream.Contracts;
using Streamer.Stream.Pipeline;
using Streamer.Stream.Service;
using Streamer.Stream.Service.Gateway;
using Streamer.Stream.Tests.Infrastructure;
using Streamer.Stream.Tests.Pipeline;

namespace Streamer.Stream.Tests.Gateway;

/// <summary>The engine's gateway source on a real nats-server, with the test as the gateway: demand out, tick records in.</summary>
[Collection(PipelineCollection.Name)]
public sealed class GatewayTickSourceTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Records_on_the_underlyings_subject_fire_the_rule_foreign_symbols_are_skipped_and_demand_follows_the_positions()
    {
        using var server = new NatsServerFixture();
        using var engineBus = await TestBus.ConnectedAsync(server.Url);
        using var gatewayBus = await TestBus.ConnectedAsync(server.Url);
        var demands = new ConcurrentQueue<JsonElement>();
        using var demandSub = gatewayBus.Subscribe(NatsSubjects.DemandWildcard, m => demands.Enqueue(JsonDocument.Parse(m.Data).RootElement.Clone()));

        var symbols = new SymbolTable();
        var target = new CollectingExitTarget();
        var books = BookSet.Parse("books:\n  stop_only:\n    rules:\n      underlying_stop: {}\n", "test books");
        await using var pipeline = new TickPipeline(new PipelineOptions { Clock = ClockMode.Wall }, symbols, books, target);
        pipeline.Start();
        var spec = Ticks.Position("""{ "id": "AAPL-1", "book": "stop_only", "stop_underlying": 198.00, "legs": [ { "symbol": "AAPL", "qty": 100, "entry_price": 200 } ] }""");
        Assert.Null(await pipeline.AddPositionAsync(spec));
        var source = new GatewayTickSource(engineBus, symbols, new GatewayFeedOptions("engine-t", TimeSpan.FromSeconds(3)));
        await source.SubscribeAsync(spec);
        Assert.Empty(demands); // nothing declared before the source runs
        var running = pipeline.RunSourceAsync(source);
        await Waits.UntilAsync(() => demands.Count >= 1, "the first demand", Long);
        Assert.Equal(["AAPL"], demands.First().GetProperty("underlyings").GetProperty("AAPL").EnumerateArray().Select(s => s.GetString()));

        // the gateway restarted: the engine declares again at once, not a lease/3 later
        int before = demands.Count;
        gatewayBus.TryPublish(NatsSubjects.GatewayStarted, "{}"u8.ToArray());
        await Waits.UntilAsync(() => demands.Count > before, "a demand answering streamer.gateway.started", TimeSpan.FromMilliseconds(900));

        long t0 = Ticks.At("2026-01-21T15:00:00Z");
        var buffer = new byte[TickWire.MaxRecordBytes];
        void Send(string symbol, double bid, double ask, long t)
        {
            var tick = Tick.Quote(t, 0, bid, ask);
            int n = TickWire.Write(buffer, in tick, System.Text.Encoding.ASCII.GetBytes(symbol));
            gatewayBus.TryPublish(NatsSubjects.Ticks("AAPL"), buffer.AsMemory(0, n).ToArray());
        }
        Send("AAPL260220C00200000", 5, 5.1, t0); // another engine's option on the same underlying
        Send("AAPL", 199.00, 199.02, t0 + 1);
        Send("AAPL", 197.00, 197.02, t0 + 2);
        await Waits.UntilAsync(() => target.Exits.Count == 1, "the stop fires on the gateway's ticks", Long);
        Assert.Equal(t0 + 2, target.Exits[0].DecidedAtNs);
        Assert.Equal(1, source.ForeignTicks);
        Assert.Equal(2, source.Ticks);

        // the position leaves: the next demand is empty and the tick subject is let go
        await source.UnsubscribeAsync(spec);
        await Waits.UntilAsync(() => demands.Last().GetProperty("underlyings").EnumerateObject().Count() == 0, "the demand withdrawn with the position", Long);
        await pipeline.StopAsync();
        await running;
        await source.DisposeAsync();
    }
}
