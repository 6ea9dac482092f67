using System.Runtime.InteropServices;

namespace Streamer.Rules.Market;

/// <summary>
/// One market-data event after parsing. A plain struct: ticks travel through rings and
/// channels by value, never boxed. Time is UTC nanoseconds since the Unix epoch
/// (<see cref="Time.NanoTime"/>), the exchange's own timestamp.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct Tick
{
    public long TimeNs;
    public int SymbolId;
    public TickFields Fields;
    public double Bid;
    public double Ask;
    public double Last;

    public static Tick Quote(long timeNs, int symbolId, double bid, double ask) =>
        new() { TimeNs = timeNs, SymbolId = symbolId, Fields = TickFields.Quote, Bid = bid, Ask = ask, Last = double.NaN };

    public static Tick Trade(long timeNs, int symbolId, double last) =>
        new() { TimeNs = timeNs, SymbolId = symbolId, Fields = TickFields.Trade, Bid = double.NaN, Ask = double.NaN, Last = last };

    public readonly bool HasQuote => (Fields & TickFields.Quote) != 0;
    public readonly bool HasTrade => (Fields & TickFields.Trade) != 0;

    /// <summary>
    /// The highest price a quote or trade may carry (10,000,000 per share or contract; BRK.A trades
    /// near 1e6). Past it a price is a bad frame, not a market: 1e308 would overflow the mid into an
    /// infinite mark, and every P&amp;L after it into null (docs/limits.md).
    /// </summary>
    public const double MaxPrice = 10_000_000;

    /// <summary>rules.md: bid ≥ 0, ask > 0, bid ≤ ask; and ask ≤ <see cref="MaxPrice"/> (NaN fails every comparison, so it is insane too).</summary>
    public readonly bool IsSaneQuote => Bid >= 0 && Ask > 0 && Bid <= Ask && Ask <= MaxPrice;

    /// <summary>a trade price above 0 and at most <see cref="MaxPrice"/>.</summary>
    public readonly bool IsSaneTrade => Last > 0 && Last <= MaxPrice;
}
