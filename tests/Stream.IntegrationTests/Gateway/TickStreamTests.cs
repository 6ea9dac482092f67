using System.Collections.Concurrent;
using System.Text;
using Streamer.Feed.Synth;
using Streamer.Feed.Tapes;
using Streamer.Rules.Instruments;
using Streamer.Stream.Alpaca.Gateway;
using Streamer.Stream.Contracts;
using Streamer.Stream.Nats;
using Streamer.Stream.Service.Gateway;
using Streamer.Stream.Tests.Infrastructure;

namespace Streamer.Stream.Tests.Gateway;

/// <summary>
/// The gateway's durable ticks (<c>Gateway:TickStream</c>, docs/cluster.md "Durable ticks") on a real
/// nats-server with JetStream: the gateway plays a tape, the stream keeps what it published, and
/// <see cref="TickStreamReader"/> reads it back as a partition's new owner would.
/// </summary>
public sealed class TickStreamTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    private readonly record struct Row(string Symbol, long TimeNs, int Fields, double Bid, double Ask, double Last);

    [Fact]
    public async Task Every_published_tick_is_kept_in_order_and_read_back_whole_split_at_any_sequence_filtered_by_underlying()
    {
        using var server = new NatsServerFixture();
        using var gatewayBus = await TestBus.ConnectedAsync(server.Url);
        using var engineBus = await TestBus.ConnectedAsync(server.Url);
        var dir = Directory.CreateTempSubdirectory("streamer-tickstream-").FullName;
        try
        {
            string tapePath = Path.Combine(dir, "t.csv");
            using (var f = File.Create(tapePath))
                SynthTape.Write(new SynthOptions { Symbols = ["AAA", "BBB", "CCC"], Ticks = 3000, Seed = 7, TicksPerSecond = 50 }, f);

            // what the stream must hold: the tape's ticks of the demanded symbols (AAA, BBB), in tape order
            var expected = new List<Row>();
            var tapeSymbols = new SymbolTable();
            using (var tape = TapeReader.Open(tapePath, tapeSymbols))
                while (tape.TryRead(out var t))
                {
                    string s = tapeSymbols[t.SymbolId];
                    if (s is "AAA" or "BBB") expected.Add(new Row(s, t.TimeNs, (int)t.Fields, t.Bid, t.Ask, t.Last));
                }
            Assert.True(expected.Count > 1000, $"the tape has {expected.Count} AAA/BBB ticks");

            var spec = new GatewaySectionOptions { TickStream = "T_TICKS" }.ToTickStream()!;
            var symbols = new SymbolTable();
            var upstream = new TapeUpstream(tapePath, symbols, speed: 0);
            var log = new ConcurrentQueue<string>();
            var gateway = new FeedGateway(gatewayBus, upstream, symbols, new FeedGatewayOptions { TickStream = spec }, TimeProvider.System, log.Enqueue);
            using var stop = new CancellationTokenSource();
            var running = gateway.RunAsync(stop.Token);
            await TestBus.UntilAnsweredAsync(engineBus, NatsSubjects.Demand("probe"));
            Assert.Contains(log, l => l.Contains("ticks kept in JetStream stream T_TICKS", StringComparison.Ordinal));

            await engineBus.RequestAsync(NatsSubjects.Demand("engine-1"),
                Encoding.UTF8.GetBytes("""{ "lease_ms": 60000, "underlyings": { "AAA": ["AAA"], "BBB": ["BBB"] } }"""), TimeSpan.FromSeconds(5));
            await Waits.UntilAsync(() => upstream.Finished, "the tape played to its end", Long);
            var js = new JetStreamClient(engineBus);
            await UntilAsync(async () => (await js.GetStreamInfoAsync("T_TICKS"))!.Messages == (ulong)gateway.Published, "every published tick stored", Long);
            Assert.True(expected.Count == gateway.Published, $"the tape has {expected.Count} AAA/BBB ticks; the gateway published {gateway.Published} (log: {string.Join(" | ", log)})");

            // the reader's table knows the engine's symbols (as an engine's does)
            var engineSymbols = new SymbolTable();
            engineSymbols.Intern("AAA");
            engineSymbols.Intern("BBB");
            var all = new List<KeptTick>();
            var whole = await TickStreamReader.ReadAfterAsync(js, "T_TICKS", 0, _ => true, engineSymbols, all.Add, Long);
            Assert.True(expected.Count == all.Count, $"read back {all.Count} of {expected.Count} ticks ({whole})");
            Assert.Equal(expected, all.Select(k => RowOf(engineSymbols, k)));
            Assert.Equal(expected.Count, whole.Ticks);
            Assert.Equal(all[^1].Sequence, whole.LastSequence);
            Assert.True(all.Zip(all.Skip(1)).All(p => p.First.Sequence < p.Second.Sequence), "stream order");
            Assert.Equal((0L, 0L, 0L), (whole.Foreign, whole.OtherUnderlyings, whole.Malformed));

            // a takeover reads on from where the last owner's state was computed: split anywhere, nothing twice, nothing lost
            foreach (int cut in new[] { 0, 1, all.Count / 3, all.Count - 1 })
            {
                ulong from = cut == 0 ? 0 : all[cut - 1].Sequence;
                var tail = new List<KeptTick>();
                var read = await TickStreamReader.ReadAfterAsync(js, "T_TICKS", from, _ => true, engineSymbols, tail.Add, Long);
                Assert.Equal(all.Skip(cut).Select(k => k.Sequence), tail.Select(k => k.Sequence));
                Assert.Equal(whole.LastSequence, read.LastSequence);
            }
            var none = await TickStreamReader.ReadAfterAsync(js, "T_TICKS", whole.LastSequence, _ => true, engineSymbols, _ => Assert.Fail("nothing after the end"), Long);
            Assert.Equal(whole.LastSequence, none.LastSequence);

            // one partition's underlyings only; the others are skipped and counted
            var onlyA = new List<KeptTick>();
            var a = await TickStreamReader.ReadAfterAsync(js, "T_TICKS", 0, token => token == "AAA", engineSymbols, onlyA.Add, Long);
            Assert.Equal(expected.Where(r => r.Symbol == "AAA"), onlyA.Select(k => RowOf(engineSymbols, k)));
            Assert.Equal(expected.Count(r => r.Symbol == "BBB"), a.OtherUnderlyings);

            // a symbol this engine does not know is another engine's: skipped, counted
            var onlyATable = new SymbolTable();
            onlyATable.Intern("AAA");
            var foreign = await TickStreamReader.ReadAfterAsync(js, "T_TICKS", 0, _ => true, onlyATable, _ => { }, Long);
            Assert.Equal(expected.Count(r => r.Symbol == "BBB"), foreign.Foreign);

            // a payload on a tick subject that is not a record: skipped, counted, named; the ticks after it still come
            gatewayBus.TryPublish(NatsSubjects.Ticks("AAA"), "nope"u8.ToArray());
            gatewayBus.TryPublish(NatsSubjects.Ticks("AAA"), WireRecord("AAA", all[0].Tick));
            await UntilAsync(async () => (await js.GetStreamInfoAsync("T_TICKS"))!.LastSequence == whole.LastSequence + 2, "the two messages stored", Long);
            var after = new List<KeptTick>();
            var bad = await TickStreamReader.ReadAfterAsync(js, "T_TICKS", whole.LastSequence, _ => true, engineSymbols, after.Add, Long);
            Assert.Equal(1, bad.Malformed);
            Assert.Contains("tag 0x6E is not 'T'", bad.FirstError, StringComparison.Ordinal);
            Assert.Contains($"sequence {whole.LastSequence + 1}", bad.FirstError, StringComparison.Ordinal);
            Assert.Equal([whole.LastSequence + 2], after.Select(k => k.Sequence));

            await stop.CancelAsync();
            await running;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task A_read_from_a_sequence_the_stream_no_longer_holds_fails_naming_the_gap_and_a_missing_stream_names_the_setting()
    {
        using var server = new NatsServerFixture();
        using var bus = await TestBus.ConnectedAsync(server.Url);
        var js = new JetStreamClient(bus);
        var symbols = new SymbolTable();
        var missing = await Assert.ThrowsAsync<JetStreamApiException>(() => TickStreamReader.ReadAfterAsync(js, "NO_TICKS", 0, _ => true, symbols, _ => { }, Long));
        Assert.Contains("Gateway:TickStream=NO_TICKS", missing.Message, StringComparison.Ordinal);

        await js.EnsureStreamAsync(new GatewaySectionOptions { TickStream = "GAP_TICKS" }.ToTickStream()!);
        symbols.Intern("AAA");
        var tick = Streamer.Rules.Market.Tick.Quote(1_000, 0, 10, 10.02);
        for (int i = 0; i < 10; i++)
            await js.PublishAsync(NatsSubjects.Ticks("AAA"), WireRecord("AAA", tick), TimeSpan.FromSeconds(5));
        // the oldest ticks age out (here: purged up to sequence 6): a reader that needed them must hear it
        await js.Context.PurgeStreamAsync("GAP_TICKS", new NATS.Client.JetStream.Models.StreamPurgeRequest { Seq = 6 });
        var gap = await Assert.ThrowsAsync<JetStreamApiException>(() => TickStreamReader.ReadAfterAsync(js, "GAP_TICKS", 2, _ => true, symbols, _ => { }, Long));
        Assert.Contains("the ticks after sequence 2 are gone (the stream starts at 6", gap.Message, StringComparison.Ordinal);
        var read = new List<KeptTick>();
        await TickStreamReader.ReadAfterAsync(js, "GAP_TICKS", 5, _ => true, symbols, read.Add, Long);
        Assert.Equal([6UL, 7, 8, 9, 10], read.Select(k => k.Sequence));
    }

    [Theory]
    [InlineData("has.dot")]
    [InlineData("has space")]
    [InlineData("wild*")]
    public void A_tick_stream_name_nats_server_would_refuse_is_refused_naming_the_key(string name)
    {
        var e = Assert.Throws<SettingsException>(() => new GatewaySectionOptions { TickStream = name }.Validate());
        Assert.StartsWith("Gateway:TickStream: ", e.Message, StringComparison.Ordinal);
        Assert.Throws<SettingsException>(() => new GatewaySectionOptions { TickStream = "OK", TickStreamReplicas = 0 }.Validate());
        Assert.Null(new GatewaySectionOptions().ToTickStream());
    }

    private static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"timed out waiting for {what}");
            await Task.Delay(20);
        }
    }

    private static Row RowOf(SymbolTable symbols, KeptTick k) =>
        new(symbols[k.Tick.SymbolId], k.Tick.TimeNs, (int)k.Tick.Fields, k.Tick.Bid, k.Tick.Ask, k.Tick.Last);

    private static byte[] WireRecord(string symbol, Streamer.Rules.Market.Tick tick)
    {
        var buffer = new byte[TickWire.MaxRecordBytes];
        int n = TickWire.Write(buffer, in tick, Encoding.ASCII.GetBytes(symbol));
        return buffer.AsSpan(0, n).ToArray();
    }
}
