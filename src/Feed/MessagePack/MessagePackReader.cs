using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Streamer.Feed.MessagePack;

/// <summary>
/// Reads MessagePack (https://github.com/msgpack/msgpack/blob/master/spec.md) from a span
/// without allocating: strings and binaries come back as slices of the input.
/// Every read is a <c>TryRead…</c>: on failure it returns false, leaves the position where
/// it was and records why in <see cref="Error"/> / <see cref="ErrorPosition"/>. Nothing here
/// throws on bad input, and every loop consumes at least one byte per step, so no input can
/// make it spin. Collection headers never promise more elements than bytes remain.
/// </summary>
public ref struct MessagePackReader
{
    /// <summary>MessagePack's timestamp extension type.</summary>
    public const sbyte TimestampExtension = -1;

    private readonly ReadOnlySpan<byte> _buffer;
    private int _position;

    public MessagePackReader(ReadOnlySpan<byte> buffer)
    {
        _buffer = buffer;
        _position = 0;
        Error = MessagePackError.None;
        ErrorPosition = -1;
    }

    /// <summary>The reason of the last failed read (reset by nothing: check it right after a false).</summary>
    public MessagePackError Error { get; private set; }

    /// <summary>Offset of the value whose read failed last, or -1.</summary>
    public int ErrorPosition { get; private set; }

    public readonly int Position => _position;

    public readonly int Remaining => _buffer.Length - _position;

    public readonly bool End => _position >= _buffer.Length;

    /// <summary>The family of the next value; <see cref="MessagePackType.Unknown"/> at the end or on 0xc1.</summary>
    public readonly MessagePackType PeekType()
    {
        if (_position >= _buffer.Length) return MessagePackType.Unknown;
        byte b = _buffer[_position];
        return b switch
        {
            <= 0x7f or >= 0xe0 => MessagePackType.Integer,
            <= 0x8f => MessagePackType.Map,
            <= 0x9f => MessagePackType.Array,
            <= 0xbf => MessagePackType.String,
            0xc0 => MessagePackType.Nil,
            0xc1 => MessagePackType.Unknown,
            0xc2 or 0xc3 => MessagePackType.Boolean,
            >= 0xc4 and <= 0xc6 => MessagePackType.Binary,
            >= 0xc7 and <= 0xc9 => MessagePackType.Extension,
            0xca or 0xcb => MessagePackType.Float,
            >= 0xcc and <= 0xd3 => MessagePackType.Integer,
            >= 0xd4 and <= 0xd8 => MessagePackType.Extension,
            >= 0xd9 and <= 0xdb => MessagePackType.String,
            0xdc or 0xdd => MessagePackType.Array,
            _ => MessagePackType.Map, // 0xde, 0xdf
        };
    }

    public bool TryReadNil()
    {
        if (_position >= _buffer.Length) return Fail(MessagePackError.Truncated);
        if (_buffer[_position] != 0xc0) return Fail(MessagePackError.WrongType);
        _position++;
        return true;
    }

    public bool TryReadBoolean(out bool value)
    {
        value = false;
        if (_position >= _buffer.Length) return Fail(MessagePackError.Truncated);
        byte b = _buffer[_position];
        if (b is not (0xc2 or 0xc3)) return Fail(MessagePackError.WrongType);
        value = b == 0xc3;
        _position++;
        return true;
    }

    /// <summary>Any integer format. A uint64 above <see cref="long.MaxValue"/> is <see cref="MessagePackError.Overflow"/>.</summary>
    public bool TryReadInt64(out long value)
    {
        int start = _position;
        if (!TryReadIntegerCore(out value, out bool bigUnsigned)) return false;
        if (bigUnsigned) { value = 0; _position = start; return Fail(MessagePackError.Overflow); }
        return true;
    }

    /// <summary>Any integer format that fits an <c>int</c>.</summary>
    public bool TryReadInt32(out int value)
    {
        value = 0;
        int start = _position;
        if (!TryReadInt64(out long v)) return false;
        if (v is < int.MinValue or > int.MaxValue) { _position = start; return Fail(MessagePackError.Overflow); }
        value = (int)v;
        return true;
    }

    /// <summary>Any non-negative integer.</summary>
    public bool TryReadUInt64(out ulong value)
    {
        value = 0;
        int start = _position;
        if (!TryReadIntegerCore(out long v, out bool bigUnsigned)) return false;
        if (!bigUnsigned && v < 0) { _position = start; return Fail(MessagePackError.Overflow); }
        value = (ulong)v;
        return true;
    }

    /// <summary>float64, float32 or any integer (encoders write whole prices as integers).</summary>
    public bool TryReadDouble(out double value)
    {
        value = 0;
        if (_position >= _buffer.Length) return Fail(MessagePackError.Truncated);
        byte b = _buffer[_position];
        if (b == 0xcb)
        {
            if (!Has(9)) return Fail(MessagePackError.Truncated);
            value = BinaryPrimitives.ReadDoubleBigEndian(_buffer.Slice(_position + 1, 8));
            _position += 9;
            return true;
        }
        if (b == 0xca)
        {
            if (!Has(5)) return Fail(MessagePackError.Truncated);
            value = BinaryPrimitives.ReadSingleBigEndian(_buffer.Slice(_position + 1, 4));
            _position += 5;
            return true;
        }
        if (!TryReadIntegerCore(out long v, out bool bigUnsigned)) return false;
        value = bigUnsigned ? (double)(ulong)v : v;
        return true;
    }

    /// <summary>fixstr, str8/16/32: the UTF-8 bytes, a slice of the input (not validated as UTF-8).</summary>
    public bool TryReadString(out ReadOnlySpan<byte> utf8)
    {
        utf8 = default;
        if (_position >= _buffer.Length) return Fail(MessagePackError.Truncated);
        byte b = _buffer[_position];
        int header;
        long length;
        if (b is >= 0xa0 and <= 0xbf) { header = 1; length = b & 0x1f; }
        else if (b is >= 0xd9 and <= 0xdb)
        {
            if (!TryLength(b - 0xd9, out header, out length)) return false;
        }
        else return Fail(MessagePackError.WrongType);
        if (length > Remaining - header) return Fail(MessagePackError.Truncated);
        utf8 = _buffer.Slice(_position + header, (int)length);
        _position += header + (int)length;
        return true;
    }

    /// <summary>bin8/16/32: the bytes, a slice of the input.</summary>
    public bool TryReadBinary(out ReadOnlySpan<byte> bytes)
    {
        bytes = default;
        if (_position >= _buffer.Length) return Fail(MessagePackError.Truncated);
        byte b = _buffer[_position];
        if (b is < 0xc4 or > 0xc6) return Fail(MessagePackError.WrongType);
        if (!TryLength(b - 0xc4, out int header, out long length)) return false;
        if (length > Remaining - header) return Fail(MessagePackError.Truncated);
        bytes = _buffer.Slice(_position + header, (int)length);
        _position += header + (int)length;
        return true;
    }

    /// <summary>fixarray, array16/32. The count is checked against the bytes left (each element takes ≥ 1).</summary>
    public bool TryReadArrayHeader(out int count)
    {
        count = 0;
        if (_position >= _buffer.Length) return Fail(MessagePackError.Truncated);
        byte b = _buffer[_position];
        int header;
        long n;
        if (b is >= 0x90 and <= 0x9f) { header = 1; n = b & 0x0f; }
        else if (b is 0xdc or 0xdd)
        {
            if (!TryLength(b - 0xdc + 1, out header, out n)) return false;
        }
        else return Fail(MessagePackError.WrongType);
        if (n > Remaining - header) return Fail(MessagePackError.Truncated);
        count = (int)n;
        _position += header;
        return true;
    }

    /// <summary>fixmap, map16/32: the number of key/value pairs (each pair takes ≥ 2 bytes).</summary>
    public bool TryReadMapHeader(out int count)
    {
        count = 0;
        if (_position >= _buffer.Length) return Fail(MessagePackError.Truncated);
        byte b = _buffer[_position];
        int header;
        long n;
        if (b is >= 0x80 and <= 0x8f) { header = 1; n = b & 0x0f; }
        else if (b is 0xde or 0xdf)
        {
            if (!TryLength(b - 0xde + 1, out header, out n)) return false;
        }
        else return Fail(MessagePackError.WrongType);
        if (n * 2 > Remaining - header) return Fail(MessagePackError.Truncated);
        count = (int)n;
        _position += header;
        return true;
    }

    /// <summary>Reads an extension's header and payload (fixext1..16, ext8/16/32).</summary>
    public bool TryReadExtension(out sbyte type, out ReadOnlySpan<byte> data)
    {
        type = 0;
        data = default;
        if (_position >= _buffer.Length) return Fail(MessagePackError.Truncated);
        byte b = _buffer[_position];
        int header;
        long length;
        switch (b)
        {
            case >= 0xd4 and <= 0xd8:
                header = 2;
                length = 1 << (b - 0xd4);
                break;
            case >= 0xc7 and <= 0xc9:
                if (!TryLength(b - 0xc7, out int lengthBytes, out length)) return false;
                header = lengthBytes + 1; // the type byte follows the length
                break;
            default:
                return Fail(MessagePackError.WrongType);
        }
        if (!Has(header) || length > Remaining - header) return Fail(MessagePackError.Truncated);
        type = (sbyte)_buffer[_position + header - 1];
        data = _buffer.Slice(_position + header, (int)length);
        _position += header + (int)length;
        return true;
    }

    /// <summary>The timestamp extension (type −1) in its 32, 64 or 96-bit form, as UTC nanoseconds since the epoch.</summary>
    public bool TryReadTimestamp(out long unixNanoseconds)
    {
        unixNanoseconds = 0;
        int start = _position;
        if (PeekType() != MessagePackType.Extension)
            return Fail(_position >= _buffer.Length ? MessagePackError.Truncated : MessagePackError.WrongType);
        if (!TryReadExtension(out sbyte type, out var data)) return false;
        if (type != TimestampExtension) { _position = start; return Fail(MessagePackError.WrongType); }
        long seconds;
        long nanos;
        switch (data.Length)
        {
            case 4:
                seconds = BinaryPrimitives.ReadUInt32BigEndian(data);
                nanos = 0;
                break;
            case 8:
                ulong packed = BinaryPrimitives.ReadUInt64BigEndian(data);
                nanos = (long)(packed >> 34);
                seconds = (long)(packed & 0x3_ffff_ffffUL);
                break;
            case 12:
                nanos = BinaryPrimitives.ReadUInt32BigEndian(data);
                seconds = BinaryPrimitives.ReadInt64BigEndian(data[4..]);
                break;
            default:
                _position = start;
                return Fail(MessagePackError.InvalidFormat);
        }
        if (nanos >= 1_000_000_000) { _position = start; return Fail(MessagePackError.InvalidFormat); }
        // long nanoseconds cover 1677..2262; anything outside does not fit
        const long maxSeconds = long.MaxValue / 1_000_000_000 - 1;
        if (seconds is > maxSeconds or < -maxSeconds) { _position = start; return Fail(MessagePackError.Overflow); }
        unixNanoseconds = seconds * 1_000_000_000 + nanos;
        return true;
    }

    /// <summary>Skips one complete value, however deeply nested, without recursion.</summary>
    public bool TrySkip()
    {
        int start = _position;
        long pending = 1;
        while (pending > 0)
        {
            if (_position >= _buffer.Length) { _position = start; return Fail(MessagePackError.Truncated); }
            byte b = _buffer[_position];
            pending--;
            long skip; // bytes after the first one
            switch (b)
            {
                case <= 0x7f or >= 0xe0 or 0xc0 or 0xc2 or 0xc3:
                    skip = 0;
                    break;
                case <= 0x8f:
                    pending += 2L * (b & 0x0f);
                    skip = 0;
                    break;
                case <= 0x9f:
                    pending += b & 0x0f;
                    skip = 0;
                    break;
                case <= 0xbf:
                    skip = b & 0x1f;
                    break;
                case 0xc1:
                    _position = start;
                    return Fail(MessagePackError.InvalidFormat);
                case >= 0xc4 and <= 0xc6:
                case >= 0xd9 and <= 0xdb:
                {
                    int lengthBytes = b <= 0xc6 ? b - 0xc4 : b - 0xd9;
                    if (!TryLength(lengthBytes, out int header, out long length)) { _position = start; return false; }
                    skip = header - 1 + length;
                    break;
                }
                case >= 0xc7 and <= 0xc9:
                {
                    if (!TryLength(b - 0xc7, out int header, out long length)) { _position = start; return false; }
                    skip = header + length; // + the type byte
                    break;
                }
                case 0xca: skip = 4; break;
                case 0xcb: skip = 8; break;
                case >= 0xcc and <= 0xcf: skip = 1 << (b - 0xcc); break;
                case >= 0xd0 and <= 0xd3: skip = 1 << (b - 0xd0); break;
                case >= 0xd4 and <= 0xd8: skip = 1 + (1 << (b - 0xd4)); break;
                case 0xdc or 0xdd or 0xde or 0xdf:
                {
                    int lengthBytes = b is 0xdc or 0xde ? 2 : 4;
                    if (!TryLength(lengthBytes == 2 ? 1 : 2, out int header, out long n)) { _position = start; return false; }
                    pending += b >= 0xde ? 2 * n : n;
                    skip = header - 1;
                    break;
                }
            }
            if (skip > Remaining - 1) { _position = start; return Fail(MessagePackError.Truncated); }
            _position += 1 + (int)skip;
            // every pending value needs at least one byte: a header promising more is a truncation
            if (pending > Remaining) { _position = start; return Fail(MessagePackError.Truncated); }
        }
        return true;
    }

    /// <summary>
    /// Reads the length that follows the format byte: <paramref name="lengthBytesLog2"/> 0/1/2 → 1/2/4 bytes.
    /// <paramref name="header"/> is the format byte plus the length bytes.
    /// </summary>
    private bool TryLength(int lengthBytesLog2, out int header, out long length)
    {
        int lengthBytes = 1 << lengthBytesLog2;
        header = 1 + lengthBytes;
        length = 0;
        if (!Has(header)) return Fail(MessagePackError.Truncated);
        var s = _buffer.Slice(_position + 1, lengthBytes);
        length = lengthBytes switch
        {
            1 => s[0],
            2 => BinaryPrimitives.ReadUInt16BigEndian(s),
            _ => BinaryPrimitives.ReadUInt32BigEndian(s),
        };
        return true;
    }

    private bool TryReadIntegerCore(out long value, out bool bigUnsigned)
    {
        value = 0;
        bigUnsigned = false;
        if (_position >= _buffer.Length) return Fail(MessagePackError.Truncated);
        byte b = _buffer[_position];
        if (b <= 0x7f) { value = b; _position++; return true; }
        if (b >= 0xe0) { value = (sbyte)b; _position++; return true; }
        if (b is < 0xcc or > 0xd3) return Fail(MessagePackError.WrongType);
        int size = b <= 0xcf ? 1 << (b - 0xcc) : 1 << (b - 0xd0);
        if (!Has(1 + size)) return Fail(MessagePackError.Truncated);
        var s = _buffer.Slice(_position + 1, size);
        switch (b)
        {
            case 0xcc: value = s[0]; break;
            case 0xcd: value = BinaryPrimitives.ReadUInt16BigEndian(s); break;
            case 0xce: value = BinaryPrimitives.ReadUInt32BigEndian(s); break;
            case 0xcf:
                ulong u = BinaryPrimitives.ReadUInt64BigEndian(s);
                value = (long)u;
                bigUnsigned = u > long.MaxValue;
                break;
            case 0xd0: value = (sbyte)s[0]; break;
            case 0xd1: value = BinaryPrimitives.ReadInt16BigEndian(s); break;
            case 0xd2: value = BinaryPrimitives.ReadInt32BigEndian(s); break;
            default: value = BinaryPrimitives.ReadInt64BigEndian(s); break;
        }
        _position += 1 + size;
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly bool Has(int bytes) => bytes <= _buffer.Length - _position;

    private bool Fail(MessagePackError error)
    {
        Error = error;
        ErrorPosition = _position;
        return false;
    }
}
