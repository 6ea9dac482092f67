using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Streamer.Feed.MessagePack;

/// <summary>
/// Writes MessagePack into an <see cref="IBufferWriter{T}"/>, always in the shortest form
/// (as the spec recommends). Used for the client's messages to the options stream and by
/// the emulator; the caller owns the buffer and its reuse.
/// </summary>
public readonly struct MessagePackWriter(IBufferWriter<byte> output)
{
    public void WriteNil() => WriteByte(0xc0);

    public void WriteBoolean(bool value) => WriteByte(value ? (byte)0xc3 : (byte)0xc2);

    public void WriteInt64(long value)
    {
        if (value >= 0)
        {
            WriteUInt64((ulong)value);
            return;
        }
        if (value >= -32) { WriteByte((byte)(sbyte)value); return; }
        if (value >= sbyte.MinValue) { var s = output.GetSpan(2); s[0] = 0xd0; s[1] = (byte)(sbyte)value; output.Advance(2); return; }
        if (value >= short.MinValue) { var s = output.GetSpan(3); s[0] = 0xd1; BinaryPrimitives.WriteInt16BigEndian(s[1..], (short)value); output.Advance(3); return; }
        if (value >= int.MinValue) { var s = output.GetSpan(5); s[0] = 0xd2; BinaryPrimitives.WriteInt32BigEndian(s[1..], (int)value); output.Advance(5); return; }
        var l = output.GetSpan(9);
        l[0] = 0xd3;
        BinaryPrimitives.WriteInt64BigEndian(l[1..], value);
        output.Advance(9);
    }

    public void WriteUInt64(ulong value)
    {
        if (value <= 0x7f) { WriteByte((byte)value); return; }
        if (value <= byte.MaxValue) { var s = output.GetSpan(2); s[0] = 0xcc; s[1] = (byte)value; output.Advance(2); return; }
        if (value <= ushort.MaxValue) { var s = output.GetSpan(3); s[0] = 0xcd; BinaryPrimitives.WriteUInt16BigEndian(s[1..], (ushort)value); output.Advance(3); return; }
        if (value <= uint.MaxValue) { var s = output.GetSpan(5); s[0] = 0xce; BinaryPrimitives.WriteUInt32BigEndian(s[1..], (uint)value); output.Advance(5); return; }
        var l = output.GetSpan(9);
        l[0] = 0xcf;
        BinaryPrimitives.WriteUInt64BigEndian(l[1..], value);
        output.Advance(9);
    }

    public void WriteDouble(double value)
    {
        var s = output.GetSpan(9);
        s[0] = 0xcb;
        BinaryPrimitives.WriteDoubleBigEndian(s[1..], value);
        output.Advance(9);
    }

    public void WriteSingle(float value)
    {
        var s = output.GetSpan(5);
        s[0] = 0xca;
        BinaryPrimitives.WriteSingleBigEndian(s[1..], value);
        output.Advance(5);
    }

    /// <summary>A string from its UTF-8 bytes.</summary>
    public void WriteString(ReadOnlySpan<byte> utf8)
    {
        WriteLengthHeader(utf8.Length, 0xa0, 31, 0xd9);
        Write(utf8);
    }

    public void WriteString(string value)
    {
        int max = Encoding.UTF8.GetMaxByteCount(value.Length);
        if (max <= 256)
        {
            Span<byte> tmp = stackalloc byte[max];
            WriteString(tmp[..Encoding.UTF8.GetBytes(value, tmp)]);
        }
        else
        {
            WriteString(Encoding.UTF8.GetBytes(value));
        }
    }

    public void WriteBinary(ReadOnlySpan<byte> bytes)
    {
        int n = bytes.Length;
        if (n <= byte.MaxValue) { var s = output.GetSpan(2); s[0] = 0xc4; s[1] = (byte)n; output.Advance(2); }
        else if (n <= ushort.MaxValue) { var s = output.GetSpan(3); s[0] = 0xc5; BinaryPrimitives.WriteUInt16BigEndian(s[1..], (ushort)n); output.Advance(3); }
        else { var s = output.GetSpan(5); s[0] = 0xc6; BinaryPrimitives.WriteUInt32BigEndian(s[1..], (uint)n); output.Advance(5); }
        Write(bytes);
    }

    public void WriteArrayHeader(int count) => WriteCollectionHeader(count, 0x90, 0xdc);

    public void WriteMapHeader(int count) => WriteCollectionHeader(count, 0x80, 0xde);

    /// <summary>The timestamp extension (−1) in the shortest of its 32/64/96-bit forms.</summary>
    public void WriteTimestamp(long unixNanoseconds)
    {
        long seconds = Math.DivRem(unixNanoseconds, 1_000_000_000L, out long nanos);
        if (nanos < 0) { nanos += 1_000_000_000L; seconds--; }
        if (seconds >> 34 == 0)
        {
            if (nanos == 0 && seconds <= uint.MaxValue)
            {
                var s = output.GetSpan(6);
                s[0] = 0xd6; s[1] = 0xff;
                BinaryPrimitives.WriteUInt32BigEndian(s[2..], (uint)seconds);
                output.Advance(6);
                return;
            }
            var m = output.GetSpan(10);
            m[0] = 0xd7; m[1] = 0xff;
            BinaryPrimitives.WriteUInt64BigEndian(m[2..], ((ulong)nanos << 34) | (ulong)seconds);
            output.Advance(10);
            return;
        }
        var l = output.GetSpan(15);
        l[0] = 0xc7; l[1] = 12; l[2] = 0xff;
        BinaryPrimitives.WriteUInt32BigEndian(l[3..], (uint)nanos);
        BinaryPrimitives.WriteInt64BigEndian(l[7..], seconds);
        output.Advance(15);
    }

    /// <summary>Copies an already encoded value (or several) as they are.</summary>
    public void WriteRaw(ReadOnlySpan<byte> encoded) => Write(encoded);

    private void WriteCollectionHeader(int count, byte fix, byte code16)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count <= 15) { WriteByte((byte)(fix | count)); return; }
        if (count <= ushort.MaxValue) { var s = output.GetSpan(3); s[0] = code16; BinaryPrimitives.WriteUInt16BigEndian(s[1..], (ushort)count); output.Advance(3); return; }
        var l = output.GetSpan(5);
        l[0] = (byte)(code16 + 1);
        BinaryPrimitives.WriteUInt32BigEndian(l[1..], (uint)count);
        output.Advance(5);
    }

    private void WriteLengthHeader(int length, byte fix, int fixMax, byte code8)
    {
        if (length <= fixMax) { WriteByte((byte)(fix | length)); return; }
        if (length <= byte.MaxValue) { var s = output.GetSpan(2); s[0] = code8; s[1] = (byte)length; output.Advance(2); return; }
        if (length <= ushort.MaxValue) { var s = output.GetSpan(3); s[0] = (byte)(code8 + 1); BinaryPrimitives.WriteUInt16BigEndian(s[1..], (ushort)length); output.Advance(3); return; }
        var l = output.GetSpan(5);
        l[0] = (byte)(code8 + 2);
        BinaryPrimitives.WriteUInt32BigEndian(l[1..], (uint)length);
        output.Advance(5);
    }

    private void WriteByte(byte b)
    {
        output.GetSpan(1)[0] = b;
        output.Advance(1);
    }

    private void Write(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty) return;
        bytes.CopyTo(output.GetSpan(bytes.Length));
        output.Advance(bytes.Length);
    }
}
