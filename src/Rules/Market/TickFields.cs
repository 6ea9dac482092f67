namespace Streamer.Rules.Market;

/// <summary>What a tick carries: a quote (bid/ask), a trade (last), or both (a CSV row with all cells).</summary>
[Flags]
public enum TickFields : byte
{
    None = 0,
    Quote = 1,
    Trade = 2,
}
