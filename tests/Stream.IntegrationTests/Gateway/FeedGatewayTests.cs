using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Streamer.Feed.Alpaca;
using Streamer.Rules.Instruments;
using Streamer.Stream.Alpaca.Gateway;
using Streamer.Stream.Alpaca.MarketData;
using Streamer.Stream.Contracts;
using Streamer.Stream.Emulator;
using Streamer.Stream.Nats;
using Streamer.Stream.Service.Gateway;
using Streamer.Stream.Tests.Emulator;
using Streamer.Stream.Tests.Infrastructure;

namespace Streamer.Stream.Tests.Gateway;

/// <summary>
/// The feed gateway with real parts: the production Alpaca clients against the emulator on loopback
/// websockets, a real nats-server, demand sent as raw JSON by two "engines" (plain bus clients). What the
/// emulator reports subscribed is the upstream truth.
/// </summary>
public sealed class FeedGatewayTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    private sealed class Rig : IAsyncDisposable
    {
        public required AlpacaEmulator Emulator { get; init; }
        public required NatsServerFixture Server { get; init; }
        public required NatsBus GatewayBus { get; init; }
        public required NatsBus Client { get; init; }
        public required FeedGateway Gateway { get; init; }
        public required Task Running { get; init; }
        public required CancellationTokenSource Stop { get; init; }
        public ConcurrentQueue<string> Log { get; } = new();

        public static async Task<Rig> StartAsync(TimeSpan grace)
        {
            var emulator = new AlpacaEmulator(Tapes.Mixed(2000), new EmulatorOptions { Speed = 1, Loop = true, Key = "K", Secret = "S" });
            await emulator.StartAsync();
            var server = new NatsServerFixture();
            var gatewayBus = await TestBus.ConnectedAsync(server.Url);
            var client = await TestBus.ConnectedAsync(server.Url);
            var symbols = new SymbolTable();
            var upstream = new AlpacaUpstream(new AlpacaStreamOptions
            {
                DataUrl = emulator.DataUrl,
                InitialBackoff = TimeSpan.FromMilliseconds(50),
                MaxBackoff = TimeSpan.FromMilliseconds(400),
                HandshakeTimeout = TimeSpan.FromSeconds(5),
            }, "iex", "indicative", new AlpacaCredentials("K", "S"), symbols);
            var log = new ConcurrentQueue<string>();
            var gateway = new FeedGateway(gatewayBus, upstream, symbols, new FeedGatewayOptions { Grace = grace, ExpiryScan = TimeSpan.FromMilliseconds(50) }, TimeProvider.System, log.Enqueue);
            var stop = new CancellationTokenSource();
            var rig = new Rig { Emulator = emulator, Server = server, GatewayBus = gatewayBus, Client = client, Gateway = gateway, Running = gateway.RunAsync(stop.Token), Stop = stop };
            foreach (var l in log) rig.Log.Enqueue(l);
            await TestBus.UntilAnsweredAsync(client, NatsSubjects.Demand("probe")); // the gateway's demand subscription is live
            return rig;
        }

        public async Task<JsonElement> DemandAsync(string engine, string json)
        {
            var reply = await Client.RequestAsync(NatsSubjects.Demand(engine), Encoding.UTF8.GetBytes(json), TimeSpan.FromSeconds(5));
            return JsonDocument.Parse(reply.Data).RootElement.Clone();
        }

        public async ValueTask DisposeAsync()
        {
            await Stop.CancelAsync();
            await Running;
            Stop.Dispose();
            Client.Dispose();
            GatewayBus.Dispose();
            Server.Dispose();
            await Emulator.DisposeAsync();
        }
    }

    [Fact]
    public async Task Two_engines_demand_is_subscribed_upstream_as_its_union_and_a_symbol_leaves_with_its_last_engine()
    {
        await using var rig = await Rig.StartAsync(grace: TimeSpan.FromMilliseconds(200));
        var ticks = new ConcurrentQueue<(string Subject, string Symbol, double Bid)>();
        using var sub = rig.Client.Subscribe(NatsSubjects.TicksPrefix + ">", m =>
        {
            int offset = 0;
            while (offset < m.Data.Length)
            {
                TickWire.Read(m.Data, ref offset, out var tick, out var symbol);
                ticks.Enqueue((m.Subject, Encoding.ASCII.GetString(symbol), tick.Bid));
            }
        });

        var a = await rig.DemandAsync("engine-a", $$$"""{"engine":"engine-a","lease_ms":30000,"underlyings":{"AAPL":["AAPL","{{{Tapes.Call}}}"]}}""");
        Assert.True(a.GetProperty("ok").GetBoolean());
        // B's lease is short and never renewed: B is an engine that died
        var b = await rig.DemandAsync("engine-b", """{"lease_ms":4000,"underlyings":{"AAPL":["AAPL"],"SPY":["SPY"]}}""");
        Assert.Equal(3, b.GetProperty("upstream").GetInt32());

        string[] union = ["AAPL", Tapes.Call, "SPY"];
        await Waits.UntilAsync(() => rig.Emulator.SubscribedSymbols.SequenceEqual(union), "the emulator holds exactly the union of both engines' demand", Long);
        await Waits.UntilAsync(() => ticks.Any(t => t.Symbol == Tapes.Call) && ticks.Any(t => t.Symbol == "SPY") && ticks.Any(t => t.Symbol == "AAPL"), "ticks of every demanded symbol on NATS", Long);
        // option ticks travel under their underlying; nobody asked for the SPY put, so it never comes
        Assert.All(ticks, t => Assert.Equal(NatsSubjects.Ticks(t.Symbol == Tapes.Call ? "AAPL" : t.Symbol), t.Subject));
        Assert.DoesNotContain(ticks, t => t.Symbol == Tapes.Put);

        // A withdraws: its call has no other holder and leaves after the grace; AAPL is still B's
        await rig.DemandAsync("engine-a", """{"lease_ms":30000,"underlyings":{}}""");
        await Waits.UntilAsync(() => rig.Emulator.SubscribedSymbols.SequenceEqual(["AAPL", "SPY"]), "the call unsubscribed once its last engine withdrew", Long);

        // B never renews: its lease expires, and with it the gateway's last symbols
        await Waits.UntilAsync(() => rig.Emulator.SubscribedSymbols.Count == 0, "B's expired demand unsubscribed upstream", Long);
        Assert.Equal(0, rig.Gateway.Engines);
        Assert.Empty(rig.Gateway.Upstream);
    }

    [Fact]
    public async Task A_symbol_demanded_again_within_the_grace_is_never_unsubscribed_upstream()
    {
        await using var rig = await Rig.StartAsync(grace: TimeSpan.FromSeconds(5));
        await rig.DemandAsync("e1", """{"lease_ms":30000,"underlyings":{"SPY":["SPY"]}}""");
        await Waits.UntilAsync(() => rig.Emulator.SubscribedSymbols.SequenceEqual(["SPY"]), "SPY subscribed", Long);
        // a partition moving: e1 lets SPY go, e2 takes it a moment later (full:false: only this underlying changes)
        await rig.DemandAsync("e1", """{"lease_ms":30000,"full":false,"underlyings":{"SPY":[]}}""");
        await rig.DemandAsync("e2", """{"lease_ms":30000,"full":false,"underlyings":{"SPY":["SPY"]}}""");
        await Task.Delay(600);
        await rig.Gateway.Settled;
        Assert.Equal(["SPY"], rig.Emulator.SubscribedSymbols);
        Assert.DoesNotContain(rig.Log, l => l.Contains("unsubscribe", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_malformed_demand_is_answered_with_an_error_naming_the_field_and_the_gateway_goes_on()
    {
        await using var rig = await Rig.StartAsync(grace: TimeSpan.Zero);
        long before = rig.Gateway.RejectedDemands; // the start's probe ("{}", no lease) was one
        var notJson = await rig.DemandAsync("e1", "{ not json");
        Assert.StartsWith("streamer.demand.e1: not JSON", notJson.GetProperty("error").GetString(), StringComparison.Ordinal);
        var lease = await rig.DemandAsync("e1", """{"lease_ms":5,"underlyings":{"SPY":["SPY"]}}""");
        Assert.Contains("field 'lease_ms'", lease.GetProperty("error").GetString(), StringComparison.Ordinal);
        var wrongRoot = await rig.DemandAsync("e1", $$$"""{"lease_ms":5000,"underlyings":{"SPY":["{{{Tapes.Call}}}"]}}""");
        Assert.Contains($"option '{Tapes.Call}' is on 'AAPL', not 'SPY'", wrongRoot.GetProperty("error").GetString(), StringComparison.Ordinal);
        var engine = await rig.DemandAsync("e1", """{"engine":"other","lease_ms":5000,"underlyings":{}}""");
        Assert.Contains("field 'engine'", engine.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(before + 4, rig.Gateway.RejectedDemands);
        Assert.Empty(rig.Gateway.Upstream);

        var ok = await rig.DemandAsync("e1", """{"lease_ms":5000,"underlyings":{"SPY":["SPY"]}}""");
        Assert.True(ok.GetProperty("ok").GetBoolean());
        await Waits.UntilAsync(() => rig.Emulator.SubscribedSymbols.SequenceEqual(["SPY"]), "a good demand after the bad ones is served", Long);
    }
}
