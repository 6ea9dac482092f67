using System.Diagnostics;
using Streamer.Stream.Pipeline;

namespace Streamer.Stream.Tests.Pipeline;

/// <summary>
/// Staleness on explicit timestamps, no clock and no waiting: the boundary is exactly
/// <c>Feed:StaleAfter</c>, one alert per stale episode, the next tick makes the feed live again.
/// (The pipeline's periodic check feeding it real timestamps is BackpressureAndFeedTests.)
/// </summary>
public sealed class FeedMonitorTests
{
    private static long At(double seconds) => 1_000_000 + (long)(seconds * Stopwatch.Frequency);

    [Fact]
    public void Silent_for_exactly_StaleAfter_is_still_live_a_moment_longer_is_stale_once_and_a_tick_revives_it()
    {
        var alerts = new List<PipelineAlert>();
        using var feed = new FeedMonitor(TimeSpan.FromSeconds(30), alerts.Add);
        var states = new List<FeedStatus>();
        using var _ = feed.Changes.Subscribe(states.Add);

        feed.Check(At(100)); // no tick yet: nothing to go stale
        Assert.False(feed.AnyTick);
        feed.OnTick(At(0));
        Assert.Equal(FeedStatus.Live, feed.Current);
        feed.Check(At(30));
        Assert.Equal(FeedStatus.Live, feed.Current);
        feed.Check(At(30.001));
        Assert.Equal(FeedStatus.Stale, feed.Current);
        feed.Check(At(45)); // still stale: no second alert for the same episode
        var alert = Assert.Single(alerts);
        Assert.Equal(PipelineAlert.Kinds.StaleFeed, alert.Kind);
        Assert.Contains("no market data for 30 s (stale after 30 s)", alert.Message, StringComparison.Ordinal);

        feed.OnTick(At(50));
        Assert.Equal(FeedStatus.Live, feed.Current);
        feed.Check(At(79));
        Assert.Equal(FeedStatus.Live, feed.Current);
        feed.Check(At(81));
        Assert.Equal(2, feed.StaleEpisodes);
        Assert.Equal([FeedStatus.Live, FeedStatus.Stale, FeedStatus.Live, FeedStatus.Stale], states.SkipWhile(s => s == FeedStatus.Connecting));
    }

    [Fact]
    public void The_last_source_stopping_is_down_with_an_alert_and_a_stale_check_does_not_override_it()
    {
        var alerts = new List<PipelineAlert>();
        using var feed = new FeedMonitor(TimeSpan.FromSeconds(30), alerts.Add);
        feed.SourceStarted();
        feed.SourceStarted();
        feed.OnTick(At(0));
        feed.SourceStopped("tape-a", "ended");
        Assert.Equal(FeedStatus.Live, feed.Current); // one source still runs
        feed.SourceStopped("tape-b", "ended");
        Assert.Equal(FeedStatus.Down, feed.Current);
        feed.Check(At(100));
        Assert.Equal(FeedStatus.Down, feed.Current);
        Assert.Equal([PipelineAlert.Kinds.FeedDown], alerts.Select(a => a.Kind));
        Assert.Contains("tape-b ended", alerts[0].Message, StringComparison.Ordinal);
    }
}
