using System.Globalization;
using Streamer.Stream.Contracts;

namespace Streamer.Stream.Pipeline;

/// <summary>The <c>Feed</c> section: where ticks come from and how fast (docs/run.md, docs/pipeline.md).</summary>
public sealed record FeedOptions : ISettingsSection
{
    /// <summary><c>Feed:Tape</c>: a tape file instead of live market data (resolved against the working directory by the host).</summary>
    public string? Tape { get; init; }

    /// <summary><c>Feed:Speed</c> (1): × real time; 0 = as fast as possible.</summary>
    public double Speed { get; init; } = 1;

    /// <summary><c>Feed:StaleAfter</c> (30 s): no tick for this long → the feed is stale.</summary>
    public TimeSpan StaleAfter { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary><c>Feed:ExitWhenDone</c> (false): stop once the tape is consumed and every exit is acked.</summary>
    public bool ExitWhenDone { get; init; }

    /// <summary><c>Feed:Source</c> (alpaca): <c>alpaca</c> = Alpaca's websockets at <c>Alpaca:DataUrl</c>;
    /// <c>gateway</c> = the feed gateway's ticks over NATS (docs/cluster.md "Feed gateway"). <c>Feed:Tape</c> wins over both.</summary>
    public string Source { get; init; } = "alpaca";

    public bool FromGateway => Source == "gateway";

    public void Validate()
    {
        if (Source is not ("alpaca" or "gateway")) throw new SettingsException($"Feed:Source: '{Source}' is not alpaca or gateway");
        if (Speed < 0) throw new SettingsException($"Feed:Speed: {Speed.ToString(CultureInfo.InvariantCulture)} must be 0 (as fast as possible) or more");
        ISettingsSection.InRange("Feed:StaleAfter", StaleAfter.TotalSeconds, 0.001, 86_400);
    }
}
