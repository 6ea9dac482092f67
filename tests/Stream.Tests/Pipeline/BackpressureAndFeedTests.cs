using Streamer.Rules.Books;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;
using Streamer.Stream.Alpaca.MarketData;
using Streamer.Stream.Pipeline;
using Streamer.Stream.Service;
using Streamer.Stream.Tests.Infrastructure;

namespace Streamer.Stream.Tests.Pipeline;

[Collection(PipelineCollection.Name)]
public sealed class BackpressureAndFeedTests
{
    [Fact]
    public async Task A_full_shard_channel_makes_the_source_wait_and_the_wait_is_measured_and_alerted_never_dropped()
    {
        var symbols = new SymbolTable();
        var alerts = new List<PipelineAlert>();
        await using var pipeline = new TickPipeline(new PipelineOptions { Shards = 1, ShardCapacity = 2 }, symbols, BookSet.BuiltIn, new CollectingExitTarget());
        using var _ = pipeline.Alerts.Subscribe(a => { lock (alerts) alerts.Add(a); });
        pipeline.Start();
        int spy = symbols.Intern("SPY");

        // hold the shard's thread inside a command, so its channel fills up
        using var gate = new ManualResetEventSlim();
        var held = pipeline.QueryAsync(_ => gate.Wait(TimeSpan.FromSeconds(30)));
        const int Count = 50;
        var source = Task.Run(() =>
        {
            long t = Ticks.WallNow();
            for (int i = 0; i < Count; i++) pipeline.Ingress.Publish(Tick.Quote(t + i, spy, 600, 600.02));
        });
        await Waits.UntilAsync(() => pipeline.Shards[0].QueueLength == 2, "the channel is full");
        // no sleep: 50 ticks cannot pass 2 slots while the shard is held, so the source is still in Publish
        // (a dropping channel would let it finish, and TicksProcessed == Count below would fail)
        Assert.False(source.IsCompleted);
        gate.Set();
        await source;
        Assert.True((await held)[0]);
        await pipeline.FlushAsync();

        var status = pipeline.Status();
        Assert.Equal(Count, status.TicksIn);
        Assert.Equal(Count, status.TicksProcessed);
        Assert.True(status.ShardStalls >= 1, "the wait was counted");
        Assert.True(status.ShardStallMs > 0, "the wait was timed");
        lock (alerts) Assert.Contains(alerts, a => a.Kind == PipelineAlert.Kinds.Backpressure && a.Message.Contains("shard 0", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_silent_feed_turns_stale_with_an_alert_and_the_next_tick_makes_it_live_again()
    {
        var symbols = new SymbolTable();
        var states = new List<FeedStatus>();
        var alerts = new List<PipelineAlert>();
        await using var pipeline = new TickPipeline(new PipelineOptions
        {
            StaleAfter = TimeSpan.FromMilliseconds(150),
            HousekeepingInterval = TimeSpan.FromMilliseconds(20),
        }, symbols, BookSet.BuiltIn, new CollectingExitTarget());
        using var s1 = pipeline.FeedStatus.Subscribe(s => { lock (states) states.Add(s); });
        using var s2 = pipeline.Alerts.Subscribe(a => { lock (alerts) alerts.Add(a); });
        pipeline.Start();
        int spy = symbols.Intern("SPY");

        pipeline.Ingress.Publish(Tick.Quote(Ticks.WallNow(), spy, 600, 600.02));
        Assert.Equal(FeedStatus.Live, pipeline.Feed.Current);
        await Waits.UntilAsync(() => pipeline.Feed.Current == FeedStatus.Stale, "the feed goes stale");
        lock (alerts) Assert.Contains(alerts, a => a.Kind == PipelineAlert.Kinds.StaleFeed);
        Assert.Equal(FeedStatus.Stale, pipeline.Status().Feed);

        pipeline.Ingress.Publish(Tick.Quote(Ticks.WallNow(), spy, 600.01, 600.03));
        Assert.Equal(FeedStatus.Live, pipeline.Feed.Current);
        lock (states) Assert.Equal([FeedStatus.Connecting, FeedStatus.Live, FeedStatus.Stale, FeedStatus.Live], states);
        Assert.Equal(1, pipeline.Feed.StaleEpisodes);
    }

    [Fact]
    public async Task Insane_quotes_are_counted_per_symbol_and_never_reach_the_marks()
    {
        var symbols = new SymbolTable();
        var target = new CollectingExitTarget();
        await using var pipeline = new TickPipeline(new PipelineOptions { Clock = ClockMode.Virtual }, symbols, BookSet.BuiltIn, target);
        pipeline.Start();
        _ = pipeline.AddPositionAsync(Ticks.PutCreditSpread("PCS"));
        long t = Ticks.At("2026-01-06T15:00:00Z");
        void Send(string s, double bid, double ask) => pipeline.Ingress.Publish(Ticks.Quote(symbols, s, t += 1_000_000, bid, ask));
        Send("SPY", 600, 600.02);
        Send("SPY260220P00580000", 2.09, 2.11);
        Send("SPY260220P00575000", 0.89, 0.91);
        // crossed and zero-ask quotes that would read as a 90%+ profit if they reached the marks
        Send("SPY260220P00580000", 0.20, 0.05);
        Send("SPY260220P00580000", 0, 0);
        Send("SPY260220P00575000", 0.95, 0.10);
        await pipeline.StopAsync();

        Assert.Empty(target.Exits);
        Assert.Equal(3, pipeline.Ingress.InsaneQuotes);
        Assert.Equal(2, pipeline.Ingress.InsaneQuotesOf(symbols.Lookup("SPY260220P00580000")));
        Assert.Equal(1, pipeline.Ingress.InsaneQuotesOf(symbols.Lookup("SPY260220P00575000")));
        Assert.Equal(6, pipeline.Status().TicksProcessed); // their time still reached the engine (as in replay)
    }
}
