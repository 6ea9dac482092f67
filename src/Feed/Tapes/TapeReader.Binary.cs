using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Streamer.Rules.Market;
using Streamer.Rules.Time;

namespace Streamer.Feed.Tapes;

// the binary tape (BinaryTapeWriter, docs/tapes.md "Binary tape"): fixed-width records, symbols defined inline
public sealed partial class TapeReader
{
    private int[] _binarySymbols = new int[64]; // the tape's symbol index → this table's id
    private int _binarySymbolCount;
    private bool _binaryHeaderRead;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryReadBinary(out Tick tick)
    {
        if (!_binaryHeaderRead) ReadBinaryHeader();
        while (true)
        {
            // the fast path: a whole tick record in the buffer
            if (_end - _start >= BinaryTape.TickRecordBytes && _buffer[_start] == BinaryTape.TickTag)
            {
                var r = _buffer.AsSpan(_start, BinaryTape.TickRecordBytes);
                LineNumber++;
                long time = BinaryPrimitives.ReadInt64LittleEndian(r[1..]);
                uint symbol = BinaryPrimitives.ReadUInt32LittleEndian(r[9..]);
                byte fields = r[13];
                if (symbol >= (uint)_binarySymbolCount || (fields & ~(byte)(TickFields.Quote | TickFields.Trade)) != 0 || fields == 0 || !NanoTime.InRange(time))
                    BinaryRecordBroken(time, symbol, fields);
                CheckTimeOrder(time, "time");
                tick = new Tick
                {
                    TimeNs = time,
                    SymbolId = _binarySymbols[symbol],
                    Fields = (TickFields)fields,
                    Bid = BinaryPrimitives.ReadDoubleLittleEndian(r[14..]),
                    Ask = BinaryPrimitives.ReadDoubleLittleEndian(r[22..]),
                    Last = BinaryPrimitives.ReadDoubleLittleEndian(r[30..]),
                };
                _start += BinaryTape.TickRecordBytes;
                return true;
            }
            if (!ReadBinarySlow()) { tick = default; return false; }
        }
    }

    /// <summary>a symbol record, a refill, the end, or a broken record (cold). False at a clean end.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool ReadBinarySlow()
    {
        if (_end - _start == 0)
        {
            if (_eof) return false;
            Fill();
            return true;
        }
        byte tag = _buffer[_start];
        if (tag == BinaryTape.TickTag)
        {
            if (_eof) { LineNumber++; ThrowLine($"a tick record cut short ({_end - _start} of {BinaryTape.TickRecordBytes} bytes): the tape is truncated"); }
            Fill();
            return true;
        }
        if (tag != BinaryTape.SymbolTag) { LineNumber++; ThrowLine($"unknown record tag 0x{tag:X2} (the file is damaged or not a Streamer binary tape)"); }
        if (_end - _start < 3)
        {
            if (_eof) { LineNumber++; ThrowLine("a symbol record cut short: the tape is truncated"); }
            Fill();
            return true;
        }
        int length = BinaryPrimitives.ReadUInt16LittleEndian(_buffer.AsSpan(_start + 1));
        if (length is 0 or > BinaryTape.MaxSymbolBytes) { LineNumber++; ThrowLine($"a symbol of {length} bytes (1 to {BinaryTape.MaxSymbolBytes})"); }
        if (_end - _start < 3 + length)
        {
            if (_eof) { LineNumber++; ThrowLine("a symbol record cut short: the tape is truncated"); }
            Fill();
            return true;
        }
        LineNumber++;
        var name = _buffer.AsSpan(_start + 3, length);
        int id = _symbols.Lookup(name); // known already (a second tape, a shared table): no string made
        if (id == 0) id = InternNewSymbol(name, "symbol");
        if (_binarySymbolCount == _binarySymbols.Length) Array.Resize(ref _binarySymbols, _binarySymbols.Length * 2);
        _binarySymbols[_binarySymbolCount++] = id;
        _start += 3 + length;
        return true;
    }

    private void ReadBinaryHeader()
    {
        while (_end - _start < BinaryTape.Magic.Length && !_eof) Fill();
        if (!_buffer.AsSpan(_start, _end - _start).StartsWith(BinaryTape.Magic)) { LineNumber = 1; ThrowLine("not a Streamer binary tape (no STRTAPE1 header)"); }
        _start += BinaryTape.Magic.Length;
        _binaryHeaderRead = true;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void BinaryRecordBroken(long time, uint symbol, byte fields)
    {
        if (symbol >= (uint)_binarySymbolCount) ThrowField("symbol", $"index {symbol} was never defined (the tape defines {_binarySymbolCount})");
        if (fields == 0 || (fields & ~(byte)(TickFields.Quote | TickFields.Trade)) != 0) ThrowField("fields", $"0x{fields:X2} is neither a quote (1), a trade (2) nor both");
        ThrowField("time", $"{time} ns is outside the years {NanoTime.MinYear}-{NanoTime.MaxYear}");
    }
}

/// <summary>
/// The binary tape's layout (little-endian): the 8 bytes <c>STRTAPE1</c>, then records, each led
/// by a tag byte. <c>0x53</c> ('S') defines the next symbol index: u16 length + UTF-8 name (a
/// ticker or an OCC symbol, checked as CSV's are). <c>0x54</c> ('T') is a tick, 38 bytes: i64 time
/// (UTC ns), u32 symbol index, u8 fields (1 quote, 2 trade, 3 both), f64 bid, f64 ask, f64 last
/// (NaN where absent). Fixed width, so the reader copies nothing and parses no text.
/// </summary>
public static class BinaryTape
{
    public static ReadOnlySpan<byte> Magic => "STRTAPE1"u8;

    public const byte SymbolTag = (byte)'S';
    public const byte TickTag = (byte)'T';
    public const int TickRecordBytes = 38;
    public const int MaxSymbolBytes = 64;

    /// <summary>the extension <c>tape convert</c> and the readers know it by.</summary>
    public const string Extension = ".stape";
}
