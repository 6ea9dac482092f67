using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Streamer.Rules.Market;

namespace Streamer.Stream.Service.Gateway;

/// <summary>
/// The payload of <c>streamer.ticks.&lt;UNDERLYING&gt;</c> (docs/cluster.md "Feed gateway"): one or more
/// fixed-width tick records back to back, little-endian, the <c>.stape</c> tick record (docs/tapes.md)
/// with the symbol inline instead of a tape-local index, because a subscriber joins at any tick and has
/// no symbol table to refer to:
/// <code>
///  0  u8   tag 'T' (0x54)
///  1  i64  time, UTC ns since the epoch (the exchange's stamp)
///  9  u8   fields: 1 quote, 2 trade, 3 both
/// 10  f64  bid   (NaN without a quote)
/// 18  f64  ask   (NaN without a quote)
/// 26  f64  last  (NaN without a trade)
/// 34  u8   n, the symbol's length, 1..64
/// 35  n    the symbol, ASCII (a ticker or a compact OCC symbol)
/// </code>
/// Fixed offsets and no varints: writing one is seven stores and a copy, reading one needs no parser
/// (the tape measurement in docs/tapes.md chose fixed-width over MemoryPack blocks for the same reason).
/// </summary>
internal static class TickWire
{
    public const byte Tag = (byte)'T';
    public const int HeaderBytes = 35;
    public const int MaxSymbolBytes = 64;
    public const int MaxRecordBytes = HeaderBytes + MaxSymbolBytes;

    /// <summary>Writes one record into <paramref name="destination"/> (at least 35 + symbol bytes); returns its length.</summary>
    public static int Write(Span<byte> destination, in Tick tick, ReadOnlySpan<byte> symbol)
    {
        if ((uint)(symbol.Length - 1) >= MaxSymbolBytes) ThrowSymbolLength(symbol.Length);
        int length = HeaderBytes + symbol.Length;
        if (destination.Length < length) ThrowDestination(destination.Length, length);
        destination[0] = Tag;
        BinaryPrimitives.WriteInt64LittleEndian(destination[1..], tick.TimeNs);
        destination[9] = (byte)tick.Fields;
        BinaryPrimitives.WriteDoubleLittleEndian(destination[10..], tick.HasQuote ? tick.Bid : double.NaN);
        BinaryPrimitives.WriteDoubleLittleEndian(destination[18..], tick.HasQuote ? tick.Ask : double.NaN);
        BinaryPrimitives.WriteDoubleLittleEndian(destination[26..], tick.HasTrade ? tick.Last : double.NaN);
        destination[34] = (byte)symbol.Length;
        symbol.CopyTo(destination[HeaderBytes..]);
        return length;
    }

    /// <summary>
    /// Reads the record at <paramref name="offset"/> (advanced past it) into <paramref name="tick"/>
    /// (its <see cref="Tick.SymbolId"/> left 0: the reader's own table resolves <paramref name="symbol"/>).
    /// Throws <see cref="TickWireException"/> naming the byte at fault.
    /// </summary>
    public static void Read(ReadOnlySpan<byte> payload, ref int offset, out Tick tick, out ReadOnlySpan<byte> symbol)
    {
        var r = payload[offset..];
        // the tag first: a payload that is not a tick at all says so, rather than that it is short
        if (r.Length == 0 || r[0] != Tag) ThrowTag(offset, r.Length == 0 ? (byte)0 : r[0]);
        if (r.Length < HeaderBytes) ThrowCut(offset, r.Length, HeaderBytes);
        var fields = (TickFields)r[9];
        if (fields is not (TickFields.Quote or TickFields.Trade or (TickFields.Quote | TickFields.Trade))) ThrowFields(offset, r[9]);
        int n = r[34];
        if ((uint)(n - 1) >= MaxSymbolBytes) ThrowWireSymbolLength(offset, n);
        if (r.Length < HeaderBytes + n) ThrowCut(offset, r.Length, HeaderBytes + n);
        tick = new Tick
        {
            TimeNs = BinaryPrimitives.ReadInt64LittleEndian(r[1..]),
            Fields = fields,
            Bid = BinaryPrimitives.ReadDoubleLittleEndian(r[10..]),
            Ask = BinaryPrimitives.ReadDoubleLittleEndian(r[18..]),
            Last = BinaryPrimitives.ReadDoubleLittleEndian(r[26..]),
        };
        symbol = r.Slice(HeaderBytes, n);
        offset += HeaderBytes + n;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowSymbolLength(int n) => throw new ArgumentException($"a tick's symbol is {n} bytes (1 to {MaxSymbolBytes} fit the wire record)", "symbol");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowDestination(int have, int need) => throw new ArgumentException($"the buffer has {have} bytes; the record needs {need}", "destination");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowCut(int offset, int have, int need) =>
        throw new TickWireException($"tick record at byte {offset} is cut short: {have} bytes left, the record needs {need}");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowTag(int offset, byte tag) =>
        throw new TickWireException($"tick record at byte {offset}: tag 0x{tag:X2} is not 'T' (0x54)");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowFields(int offset, byte fields) =>
        throw new TickWireException($"tick record at byte {offset}: field 'fields' is {fields} (1 quote, 2 trade, 3 both)");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowWireSymbolLength(int offset, int n) =>
        throw new TickWireException($"tick record at byte {offset}: field 'symbol' length is {n} (1 to {MaxSymbolBytes})");
}

/// <summary>A <c>streamer.ticks.*</c> payload that is not a sequence of tick records; the message says which byte and field.</summary>
internal sealed class TickWireException(string message) : Exception(message);
