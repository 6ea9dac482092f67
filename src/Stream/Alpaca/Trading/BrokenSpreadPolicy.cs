namespace Streamer.Stream.Alpaca.Trading;

/// <summary><c>Alpaca:BrokenSpreadPolicy</c>: what becomes of the legs a broken spread or an assignment left.</summary>
public enum BrokenSpreadPolicy
{
    /// <summary>monitor them as a new position under <c>Alpaca:BrokenSpreadBook</c>.</summary>
    Monitor,
    /// <summary>that too, and close them through the executor at once (market orders, one per leg).</summary>
    Close,
}
