using Streamer.Stream.Pipeline;
using Streamer.Stream.Contracts;
namespace Streamer.Stream.Service;

/// <summary>
/// The pipeline's shape from the bound sections: <c>Pipeline:*</c>, <c>Feed:Speed</c>/<c>Feed:Tape</c>
/// (the clock), <c>Feed:StaleAfter</c>, <c>Snapshots:Interval</c>, and <c>Alpaca:MarketClockSpeed</c>
/// (0 = the wall clock; N = the feed's own time at N×, for a dry run against <c>streamer emulate --speed N</c>),
/// which the host passes in because the Alpaca section is bound in the Alpaca layer.
/// </summary>
internal static class PipelineSettings
{
    public static PipelineOptions From(StreamerSettings settings, double marketClockSpeed)
    {
        ArgumentNullException.ThrowIfNull(settings);
        bool tape = settings.FeedTape is not null;
        // a live feed whose timestamps are not now (the emulator replays a recorded day): the clock follows
        // the feed's market time, anchored at its first tick and running N× the wall clock
        double market = tape ? 0 : marketClockSpeed;
        var p = settings.Pipeline;
        var options = new PipelineOptions
        {
            Clock = market > 0 ? ClockMode.Scaled : PipelineOptions.ClockFor(tape, settings.FeedSpeed),
            Speed = tape && settings.FeedSpeed > 0 ? settings.FeedSpeed : market > 0 ? market : 1,
            Shards = p.Shards,
            ShardCapacity = p.ShardCapacity,
            StaleAfter = settings.Feed.StaleAfter,
            UnmonitoredAfter = p.UnmonitoredAfter,
            SnapshotInterval = settings.Snapshots.Interval,
            SpinBeforeSleep = p.WaitSpin,
            YieldBeforeSleep = p.WaitYield,
            LatencyInPayload = p.LatencyInPayload,
            PublishOnShard = p.PublishFrom == "shard",
        };
        try
        {
            options.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new SettingsException(e.Message, e);
        }
        return options;
    }
}
