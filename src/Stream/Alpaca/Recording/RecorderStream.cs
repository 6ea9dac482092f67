using System.Threading.Channels;
using Streamer.Rules.Market;
using Streamer.Stream.Alpaca.MarketData;

namespace Streamer.Stream.Alpaca.Recording;

/// <summary>
/// One of the recorder's two connections (stocks or options) and what the recorder knows about its
/// continuity: the last tick time it delivered, and whether it is in a gap (dropped, not yet
/// delivering again). A drop is marked in the tick channel itself, behind the ticks the session
/// delivered, so the gap starts exactly after the last tick that made it.
/// </summary>
internal sealed class RecorderStream
{
    /// <summary>SymbolId of the in-channel marker that says "the connection dropped here" (TimeNs: wall clock).</summary>
    public const int DropMarker = -1;

    public RecorderStream(string name)
    {
        Name = name;
        Ticks = Channel.CreateUnbounded<Tick>(new UnboundedChannelOptions { SingleReader = true });
    }

    public string Name { get; }

    // unbounded: the writer turns rows into bytes far faster than any feed sends them, and a full
    // channel would make the client drop the connection, which is a gap we would then have to name
    public Channel<Tick> Ticks { get; }

    public AlpacaStreamClient? Client { get; set; }

    private volatile bool _live;
    private volatile string _lastReason = "connection closed";

    /// <summary>Last tick time delivered (exchange time); long.MinValue before the first.</summary>
    public long LastTickNs { get; set; } = long.MinValue;

    /// <summary>First tick time this run delivered; long.MinValue before it.</summary>
    public long FirstTickNs { get; set; } = long.MinValue;

    /// <summary>The open gap, if the connection dropped (or the recorder was not running) and the stream has not delivered a tick since.</summary>
    public RecorderGap? OpenGap { get; set; }

    public void OnStateChanged(FeedState state)
    {
        if (state is FeedState.Live or FeedState.Stale)
        {
            _live = true;
            return;
        }
        if (!_live || Stopping) return; // still dialling, or closed by the recorder itself: nothing was flowing, nothing is missed yet
        _live = false;
        Ticks.Writer.TryWrite(new Tick { SymbolId = DropMarker, TimeNs = WallNs() });
    }

    public void OnAlert(AlpacaAlert alert)
    {
        if (alert.Kind is AlpacaAlertKind.Disconnected or AlpacaAlertKind.GaveUp) _lastReason = alert.Message;
    }

    public string LastReason => _lastReason;

    /// <summary>Set before the recorder closes the connection itself.</summary>
    public volatile bool Stopping;

    public static long WallNs() => (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
}
