using Streamer.Rules.Market;

namespace Streamer.Feed.Alpaca;

/// <summary>Receives what <see cref="AlpacaFrameParser"/> finds in a frame, synchronously, in frame order.</summary>
public interface IAlpacaFrameHandler
{
    /// <summary>A quote or trade for a known symbol. Called on the hot path: do not allocate.</summary>
    void OnTick(in Tick tick);

    /// <summary>A success/error/subscription message (cold path).</summary>
    void OnControl(AlpacaControlMessage message);
}
