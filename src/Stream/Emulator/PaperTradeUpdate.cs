namespace Streamer.Stream.Emulator;

/// <summary>One trade_updates event (alpaca.md), serialised when it happened (the order changes later).</summary>
public sealed record PaperTradeUpdate(string Event, string OrderId, string Status, byte[] Json);
