using Streamer.Rules.Instruments;
using Streamer.Rules.Market;
using Streamer.Rules.Positions;
using Streamer.Rules.Time;

namespace Streamer.Stream.Tests.Pipeline;

/// <summary>Small builders for hand-made tick streams.</summary>
internal static class Ticks
{
    public static long At(string rfc3339) => NanoTime.ParseRfc3339(rfc3339);

    public static Tick Quote(SymbolTable symbols, string symbol, long timeNs, double bid, double ask) =>
        Tick.Quote(timeNs, symbols.Intern(symbol), bid, ask);

    public static PositionSpec Position(string json) => PositionsFile.ParseOne(json, "test position");

    /// <summary>A put credit spread on SPY: short 580P at 2.10, long 575P at 0.90 (credit 1.20 per spread).</summary>
    public static PositionSpec PutCreditSpread(string id, int qty = 10, string expiry = "260220", string? openedAt = null) => Position(
        $$"""
        { "id": "{{id}}", "book": "primary", {{(openedAt is null ? "" : $"\"opened_at\": \"{openedAt}\",")}}
          "legs": [ { "symbol": "SPY{{expiry}}P00580000", "qty": {{-qty}}, "entry_price": 2.10 },
                    { "symbol": "SPY{{expiry}}P00575000", "qty": {{qty}}, "entry_price": 0.90 } ] }
        """);

    public static long WallNow() => NanoTime.FromDateTime(DateTime.UtcNow);
}
