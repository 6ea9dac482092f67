using System.Runtime.CompilerServices;
using System.Text;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;

namespace Streamer.Feed.Alpaca;

/// <summary>
/// Turns Alpaca market-data frames into <see cref="Tick"/>s: stock frames as JSON arrays
/// (<see cref="ParseJson"/>), option frames as MessagePack arrays of maps
/// (<see cref="ParseMessagePack"/>). Quotes (<c>T:"q"</c>) and trades (<c>T:"t"</c>) become
/// ticks; bars, statuses, LULDs, corrections, cancels and unknown types are skipped and
/// counted; control messages go to <see cref="IAlpacaFrameHandler.OnControl"/>.
/// A data message is only emitted once it has been read whole, so a broken frame can cost
/// ticks but never produce a false one. Nothing allocates per data message.
/// One parser per connection: the counters are single-writer.
/// </summary>
public sealed partial class AlpacaFrameParser(SymbolTable symbols)
{
    private readonly SymbolTable _symbols = symbols;

    /// <summary>Intern symbols the table does not know yet instead of skipping them (cold, allocates once per symbol).</summary>
    public bool InternUnknownSymbols { get; init; }

    /// <summary>Quotes and trades handed to the handler.</summary>
    public long Ticks { get; private set; }

    /// <summary>Data messages of a type we do not turn into ticks (bars, statuses, …) plus unknown types.</summary>
    public long Skipped { get; private set; }

    /// <summary>Messages whose <c>T</c> we do not know (included in <see cref="Skipped"/>).</summary>
    public long UnknownTypes { get; private set; }

    /// <summary>Quotes/trades for symbols the table does not hold (skipped unless <see cref="InternUnknownSymbols"/>).</summary>
    public long UnknownSymbols { get; private set; }

    /// <summary>Messages that were missing a field or had one of the wrong type.</summary>
    public long MalformedMessages { get; private set; }

    /// <summary>Frames that could not be read to their end (truncated, not an array, bad syntax).</summary>
    public long MalformedFrames { get; private set; }

    /// <summary>What was wrong with the last malformed message or frame, or null.</summary>
    public string? LastError { get; private set; }

    private enum MessageKind : byte { Missing, Quote, Trade, Control, Other, Unknown }

    // which of the fields a quote/trade needs were seen
    [Flags]
    private enum Seen : byte { None = 0, Symbol = 1, Bid = 2, Ask = 4, Price = 8, Time = 16 }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static MessageKind Classify(ReadOnlySpan<byte> type)
    {
        if (type.Length == 1)
        {
            switch (type[0])
            {
                case (byte)'q': return MessageKind.Quote;
                case (byte)'t': return MessageKind.Trade;
                // bars, daily bars, updated bars, status, LULD, correction, cancel/error, news, orderbook, imbalance
                case (byte)'b' or (byte)'d' or (byte)'u' or (byte)'s' or (byte)'l' or (byte)'c' or (byte)'x'
                    or (byte)'n' or (byte)'o' or (byte)'i':
                    return MessageKind.Other;
            }
            return MessageKind.Unknown;
        }
        if (type.SequenceEqual("success"u8) || type.SequenceEqual("error"u8) || type.SequenceEqual("subscription"u8))
            return MessageKind.Control;
        return MessageKind.Unknown;
    }

    /// <summary>Validates what a message carried and emits its tick. Returns false when it was malformed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Complete(MessageKind kind, Seen seen, ReadOnlySpan<byte> symbol, double bid, double ask, double price, long timeNs,
        IAlpacaFrameHandler handler, string where, int index)
    {
        switch (kind)
        {
            case MessageKind.Quote:
                if ((seen & (Seen.Symbol | Seen.Bid | Seen.Ask | Seen.Time)) != (Seen.Symbol | Seen.Bid | Seen.Ask | Seen.Time))
                {
                    MessageMissing(where, index, "quote", seen, Seen.Symbol | Seen.Bid | Seen.Ask | Seen.Time, symbol);
                    return;
                }
                break;
            case MessageKind.Trade:
                if ((seen & (Seen.Symbol | Seen.Price | Seen.Time)) != (Seen.Symbol | Seen.Price | Seen.Time))
                {
                    MessageMissing(where, index, "trade", seen, Seen.Symbol | Seen.Price | Seen.Time, symbol);
                    return;
                }
                break;
            case MessageKind.Other:
                Skipped++;
                return;
            case MessageKind.Unknown:
                Skipped++;
                UnknownTypes++;
                return;
            case MessageKind.Missing:
                MessageMalformed(where, index, "no \"T\" type");
                return;
            default:
                return;
        }

        int id = _symbols.Lookup(symbol);
        if (id == 0)
        {
            UnknownSymbols++;
            if (!InternUnknownSymbols) return;
            id = InternCold(symbol);
            if (id == 0) return;
        }
        var tick = kind == MessageKind.Quote ? Tick.Quote(timeNs, id, bid, ask) : Tick.Trade(timeNs, id, price);
        Ticks++;
        handler.OnTick(in tick);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private int InternCold(ReadOnlySpan<byte> symbol)
    {
        try
        {
            return _symbols.LookupOrIntern(symbol);
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            MessageMalformed("symbol table", 0, $"'{Encoding.UTF8.GetString(symbol)}' cannot be interned: {e.Message}");
            return 0;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void MessageMissing(string where, int index, string what, Seen seen, Seen needed, ReadOnlySpan<byte> symbol)
    {
        var missing = new List<string>();
        if ((needed & Seen.Symbol) != 0 && (seen & Seen.Symbol) == 0) missing.Add("S");
        if ((needed & Seen.Bid) != 0 && (seen & Seen.Bid) == 0) missing.Add("bp");
        if ((needed & Seen.Ask) != 0 && (seen & Seen.Ask) == 0) missing.Add("ap");
        if ((needed & Seen.Price) != 0 && (seen & Seen.Price) == 0) missing.Add("p");
        if ((needed & Seen.Time) != 0 && (seen & Seen.Time) == 0) missing.Add("t");
        string sym = symbol.IsEmpty ? "" : $" for {Encoding.UTF8.GetString(symbol)}";
        MessageMalformed(where, index, $"{what}{sym} missing or invalid {string.Join(", ", missing.Select(m => $"'{m}'"))}");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void MessageMalformed(string where, int index, string what)
    {
        MalformedMessages++;
        LastError = $"{where}, message {index}: {what}";
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool FrameMalformed(string where, string what)
    {
        MalformedFrames++;
        LastError = $"{where}: {what}";
        return false;
    }
}
