using System.Globalization;
using Microsoft.Extensions.Configuration;
using Streamer.Stream.Pipeline;
using Streamer.Stream.Contracts;
namespace Streamer.Stream.Service;

/// <summary>
/// The pipeline's keys of the <c>run</c> configuration (formats.md's <c>Feed:Tape</c>, <c>Feed:Speed</c>
/// come from <see cref="StreamerSettings"/>): <c>Feed:StaleAfter</c> (seconds, 30),
/// <c>Pipeline:Shards</c> (min(cores, 4)), <c>Pipeline:ShardCapacity</c> (8192),
/// <c>Pipeline:UnmonitoredAfter</c> (seconds, 60), <c>Snapshots:Interval</c> (seconds, 1; 0 = off),
/// <c>Pipeline:SpinMicroseconds</c> (50), <c>Alpaca:MarketClockSpeed</c> (0 = the wall clock; N = the
/// feed's own time at N×, for a dry run against <c>streamer emulate --speed N</c>).
/// A bad value throws <see cref="SettingsException"/> naming the key.
/// </summary>
internal static class PipelineSettings
{
    public static PipelineOptions From(IConfiguration c, StreamerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(c);
        ArgumentNullException.ThrowIfNull(settings);
        bool tape = settings.FeedTape is not null;
        // a live feed whose timestamps are not now (the emulator replays a recorded day): the clock follows
        // the feed's market time, anchored at its first tick and running N× the wall clock
        double market = tape ? 0 : Number(c, "Alpaca:MarketClockSpeed", 0, 0, 1_000_000);
        var options = new PipelineOptions
        {
            Clock = market > 0 ? ClockMode.Scaled : PipelineOptions.ClockFor(tape, settings.FeedSpeed),
            Speed = tape && settings.FeedSpeed > 0 ? settings.FeedSpeed : market > 0 ? market : 1,
            Shards = (int)Number(c, "Pipeline:Shards", Math.Min(Environment.ProcessorCount, 4), 1, 256),
            ShardCapacity = (int)Number(c, "Pipeline:ShardCapacity", 8192, 1, 1 << 24),
            StaleAfter = TimeSpan.FromSeconds(Number(c, "Feed:StaleAfter", 30, 0.001, 86_400)),
            UnmonitoredAfter = TimeSpan.FromSeconds(Number(c, "Pipeline:UnmonitoredAfter", 60, 0.001, 86_400)),
            SnapshotInterval = TimeSpan.FromSeconds(Number(c, "Snapshots:Interval", 1, 0, 86_400)),
            SpinBeforeSleep = TimeSpan.FromMicroseconds(Number(c, "Pipeline:SpinMicroseconds", 50, 0, 1_000_000)),
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

    private static double Number(IConfiguration c, string key, double fallback, double min, double max)
    {
        var v = c[key];
        if (string.IsNullOrWhiteSpace(v)) return fallback;
        if (!double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) || !double.IsFinite(d))
        {
            // also accept a TimeSpan ("00:00:30") for the durations
            if (TimeSpan.TryParse(v, CultureInfo.InvariantCulture, out var span)) d = span.TotalSeconds;
            else throw new SettingsException($"{key}: '{v}' is not a number");
        }
        if (d < min || d > max)
            throw new SettingsException(string.Create(CultureInfo.InvariantCulture, $"{key}: {d} is outside {min}..{max}"));
        return d;
    }
}
