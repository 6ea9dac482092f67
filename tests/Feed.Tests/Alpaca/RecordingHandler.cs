using Streamer.Feed.Alpaca;
using Streamer.Rules.Market;

namespace Streamer.Feed.Tests.Alpaca;

internal sealed class RecordingHandler : IAlpacaFrameHandler
{
    public List<Tick> Ticks { get; } = [];
    public List<AlpacaControlMessage> Controls { get; } = [];

    public void OnTick(in Tick tick) => Ticks.Add(tick);

    public void OnControl(AlpacaControlMessage message) => Controls.Add(message);
}

/// <summary>Counts without storing: for the allocation check.</summary>
internal sealed class CountingHandler : IAlpacaFrameHandler
{
    public long Ticks;
    public double Sum;

    public void OnTick(in Tick tick) { Ticks++; Sum += tick.HasQuote ? tick.Bid : tick.Last; }

    public void OnControl(AlpacaControlMessage message) { }
}

internal static class Ns
{
    /// <summary>UTC ns computed from calendar fields, independent of NanoTime's parser.</summary>
    public static long At(int y, int mo, int d, int h, int mi, int s, long nanos = 0) =>
        (new DateTime(y, mo, d, h, mi, s, DateTimeKind.Utc).Ticks - DateTime.UnixEpoch.Ticks) * 100 + nanos;
}
