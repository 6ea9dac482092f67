namespace Streamer.Rules.Engine;

/// <summary>Last sane quote and last trade of a symbol (engine-wide, indexed by symbol id).</summary>
internal struct SymbolQuote
{
    public double Bid;
    public double Ask;
    public long QuoteNs;    // long.MinValue: none yet
    public double Last;
    public long TradeNs;    // long.MinValue: none yet

    public static SymbolQuote Empty => new() { Bid = double.NaN, Ask = double.NaN, QuoteNs = long.MinValue, Last = double.NaN, TradeNs = long.MinValue };

    /// <summary>The underlying's price: the mid of the last sane quote or the last trade, whichever is newer (a tie takes the mid).</summary>
    public readonly bool TryGetPrice(out double price, out long timeNs)
    {
        if (QuoteNs != long.MinValue && QuoteNs >= TradeNs)
        {
            price = 0.5 * (Bid + Ask);
            timeNs = QuoteNs;
            return true;
        }
        if (TradeNs != long.MinValue)
        {
            price = Last;
            timeNs = TradeNs;
            return true;
        }
        price = double.NaN;
        timeNs = long.MinValue;
        return false;
    }
}
