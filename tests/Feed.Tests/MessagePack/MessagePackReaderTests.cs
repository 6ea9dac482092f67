using System.Text;
using Streamer.Feed.MessagePack;

namespace Streamer.Feed.Tests.MessagePack;

// byte sequences are typed from the MessagePack spec (msgpack/msgpack spec.md), not produced by our writer
public class MessagePackReaderTests
{
    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

    [Theory]
    [InlineData("00", 0L)]
    [InlineData("7f", 127L)]
    [InlineData("ff", -1L)]
    [InlineData("e0", -32L)]
    [InlineData("cc 80", 128L)]
    [InlineData("cc ff", 255L)]
    [InlineData("cd 01 00", 256L)]
    [InlineData("cd ff ff", 65535L)]
    [InlineData("ce 00 01 00 00", 65536L)]
    [InlineData("ce ff ff ff ff", 4294967295L)]
    [InlineData("cf 00 00 00 01 00 00 00 00", 4294967296L)]
    [InlineData("cf 7f ff ff ff ff ff ff ff", long.MaxValue)]
    [InlineData("d0 df", -33L)]
    [InlineData("d0 80", -128L)]
    [InlineData("d1 ff 7f", -129L)]
    [InlineData("d1 80 00", -32768L)]
    [InlineData("d2 ff ff 7f ff", -32769L)]
    [InlineData("d2 80 00 00 00", (long)int.MinValue)]
    [InlineData("d3 ff ff ff ff 7f ff ff ff", (long)int.MinValue - 1)]
    [InlineData("d3 80 00 00 00 00 00 00 00", long.MinValue)]
    [InlineData("d3 00 00 00 00 00 00 00 05", 5L)] // not the shortest form, still valid
    [InlineData("cf 00 00 00 00 00 00 00 05", 5L)]
    public void Reads_every_integer_format(string hex, long expected)
    {
        var bytes = Hex(hex);
        var r = new MessagePackReader(bytes);
        Assert.Equal(MessagePackType.Integer, r.PeekType());
        Assert.True(r.TryReadInt64(out long v));
        Assert.Equal(expected, v);
        Assert.True(r.End);
    }

    [Fact]
    public void Uint64_above_long_max_overflows_int64_but_reads_as_uint64()
    {
        var bytes = Hex("cf ff ff ff ff ff ff ff ff");
        var r = new MessagePackReader(bytes);
        Assert.False(r.TryReadInt64(out _));
        Assert.Equal(MessagePackError.Overflow, r.Error);
        Assert.Equal(0, r.Position);
        Assert.True(r.TryReadUInt64(out ulong u));
        Assert.Equal(ulong.MaxValue, u);
    }

    [Fact]
    public void Int32_rejects_values_that_do_not_fit()
    {
        var bytes = Hex("ce 80 00 00 00");
        var r = new MessagePackReader(bytes);
        Assert.False(r.TryReadInt32(out _));
        Assert.Equal(MessagePackError.Overflow, r.Error);
        Assert.Equal(0, r.Position);
        var neg = Hex("ff");
        var r2 = new MessagePackReader(neg);
        Assert.False(r2.TryReadUInt64(out _));
        Assert.Equal(MessagePackError.Overflow, r2.Error);
    }

    [Theory]
    [InlineData("cb 3f f8 00 00 00 00 00 00", 1.5)]
    [InlineData("ca 3f c0 00 00", 1.5)]
    [InlineData("cb c0 5e dd 2f 1a 9f be 77", -123.456)]
    [InlineData("cc c8", 200.0)]   // a whole price written as an integer
    [InlineData("d0 9c", -100.0)]
    public void Reads_floats_and_integers_as_double(string hex, double expected)
    {
        var r = new MessagePackReader(Hex(hex));
        Assert.True(r.TryReadDouble(out double v));
        Assert.Equal(expected, v);
        Assert.True(r.End);
    }

    [Fact]
    public void Reads_nil_and_booleans()
    {
        var r = new MessagePackReader(Hex("c0 c2 c3"));
        Assert.Equal(MessagePackType.Nil, r.PeekType());
        Assert.True(r.TryReadNil());
        Assert.True(r.TryReadBoolean(out bool f));
        Assert.False(f);
        Assert.True(r.TryReadBoolean(out bool t));
        Assert.True(t);
        Assert.True(r.End);
    }

    [Theory]
    [InlineData(0, "a0")]
    [InlineData(31, "bf")]
    [InlineData(32, "d9 20")]
    [InlineData(255, "d9 ff")]
    [InlineData(256, "da 01 00")]
    [InlineData(65535, "da ff ff")]
    [InlineData(65536, "db 00 01 00 00")]
    public void Reads_strings_at_every_length_boundary(int length, string header)
    {
        var payload = Enumerable.Range(0, length).Select(i => (byte)('a' + i % 26)).ToArray();
        var bytes = Hex(header).Concat(payload).ToArray();
        var r = new MessagePackReader(bytes);
        Assert.Equal(MessagePackType.String, r.PeekType());
        Assert.True(r.TryReadString(out var s));
        Assert.True(s.SequenceEqual(payload));
        Assert.True(r.End);
    }

    [Fact]
    public void Reads_fixstr_as_utf8()
    {
        var r = new MessagePackReader(Hex("a4 41 41 50 4c"));
        Assert.True(r.TryReadString(out var s));
        Assert.Equal("AAPL", Encoding.UTF8.GetString(s));
    }

    [Theory]
    [InlineData(0, "c4 00")]
    [InlineData(255, "c4 ff")]
    [InlineData(256, "c5 01 00")]
    [InlineData(65536, "c6 00 01 00 00")]
    public void Reads_binaries(int length, string header)
    {
        var payload = Enumerable.Range(0, length).Select(i => (byte)i).ToArray();
        var r = new MessagePackReader(Hex(header).Concat(payload).ToArray());
        Assert.Equal(MessagePackType.Binary, r.PeekType());
        Assert.True(r.TryReadBinary(out var b));
        Assert.True(b.SequenceEqual(payload));
        Assert.True(r.End);
    }

    [Theory]
    [InlineData(0, "90")]
    [InlineData(15, "9f")]
    [InlineData(16, "dc 00 10")]
    [InlineData(65535, "dc ff ff")]
    [InlineData(65536, "dd 00 01 00 00")]
    public void Reads_array_headers_at_every_boundary(int count, string header)
    {
        var bytes = Hex(header).Concat(Enumerable.Repeat((byte)0x01, count)).ToArray();
        var r = new MessagePackReader(bytes);
        Assert.True(r.TryReadArrayHeader(out int n));
        Assert.Equal(count, n);
        for (int i = 0; i < n; i++) Assert.True(r.TryReadInt64(out _));
        Assert.True(r.End);
        var again = new MessagePackReader(bytes);
        Assert.True(again.TrySkip());
        Assert.True(again.End);
    }

    [Theory]
    [InlineData(0, "80")]
    [InlineData(15, "8f")]
    [InlineData(16, "de 00 10")]
    [InlineData(65536, "df 00 01 00 00")]
    public void Reads_map_headers_at_every_boundary(int count, string header)
    {
        var bytes = Hex(header).Concat(Enumerable.Repeat((byte)0x01, count * 2)).ToArray();
        var r = new MessagePackReader(bytes);
        Assert.True(r.TryReadMapHeader(out int n));
        Assert.Equal(count, n);
        var again = new MessagePackReader(bytes);
        Assert.True(again.TrySkip());
        Assert.True(again.End);
    }

    [Fact]
    public void A_header_promising_more_elements_than_bytes_left_is_truncated_not_allocated()
    {
        var r = new MessagePackReader(Hex("dd ff ff ff ff 01 02"));
        Assert.False(r.TryReadArrayHeader(out _));
        Assert.Equal(MessagePackError.Truncated, r.Error);
        Assert.False(r.TrySkip());
        Assert.Equal(MessagePackError.Truncated, r.Error);
        var m = new MessagePackReader(Hex("df ff ff ff ff 01 02"));
        Assert.False(m.TryReadMapHeader(out _));
        Assert.False(m.TrySkip());
        var s = new MessagePackReader(Hex("db ff ff ff ff 41"));
        Assert.False(s.TryReadString(out _));
        Assert.Equal(MessagePackError.Truncated, s.Error);
    }

    [Fact]
    public void Reads_the_32_bit_timestamp()
    {
        // 2021-03-04T15:16:17Z = 1614870977 s
        var r = new MessagePackReader(Hex("d6 ff 60 40 f9 c1"));
        Assert.Equal(MessagePackType.Extension, r.PeekType());
        Assert.True(r.TryReadTimestamp(out long ns));
        Assert.Equal(1614870977L * 1_000_000_000, ns);
    }

    [Fact]
    public void Reads_the_64_bit_timestamp()
    {
        // seconds 1614870977 (0x6040f9c1), nanoseconds 18 (the Go SDK fixture time): 18 << 34 | seconds
        ulong packed = (18UL << 34) | 0x6040f9c1UL;
        var bytes = new byte[10];
        bytes[0] = 0xd7; bytes[1] = 0xff;
        for (int i = 0; i < 8; i++) bytes[2 + i] = (byte)(packed >> (56 - 8 * i));
        Assert.Equal(Hex("d7 ff 00 00 00 48 60 40 f9 c1"), bytes); // hand check of the layout
        var r = new MessagePackReader(bytes);
        Assert.True(r.TryReadTimestamp(out long ns));
        Assert.Equal(1614870977L * 1_000_000_000 + 18, ns);
    }

    [Fact]
    public void Reads_the_96_bit_timestamp_including_before_1970()
    {
        // nanoseconds 999999999 (0x3b9ac9ff), seconds -1 → one nanosecond before the epoch
        var r = new MessagePackReader(Hex("c7 0c ff 3b 9a c9 ff ff ff ff ff ff ff ff ff"));
        Assert.True(r.TryReadTimestamp(out long ns));
        Assert.Equal(-1L, ns);
        Assert.True(r.End);
    }

    [Fact]
    public void Rejects_bad_timestamps()
    {
        var wrongExt = new MessagePackReader(Hex("d6 05 00 00 00 01"));
        Assert.False(wrongExt.TryReadTimestamp(out _));
        Assert.Equal(MessagePackError.WrongType, wrongExt.Error);
        Assert.Equal(0, wrongExt.Position);

        var wrongLength = new MessagePackReader(Hex("d5 ff 00 01"));
        Assert.False(wrongLength.TryReadTimestamp(out _));
        Assert.Equal(MessagePackError.InvalidFormat, wrongLength.Error);

        var nanosTooBig = new MessagePackReader(Hex("c7 0c ff 3b 9a ca 00 00 00 00 00 00 00 00 00"));
        Assert.False(nanosTooBig.TryReadTimestamp(out _));
        Assert.Equal(MessagePackError.InvalidFormat, nanosTooBig.Error);

        var tooFar = new MessagePackReader(Hex("c7 0c ff 00 00 00 00 7f ff ff ff ff ff ff ff"));
        Assert.False(tooFar.TryReadTimestamp(out _));
        Assert.Equal(MessagePackError.Overflow, tooFar.Error);

        var notExt = new MessagePackReader(Hex("a1 41"));
        Assert.False(notExt.TryReadTimestamp(out _));
        Assert.Equal(MessagePackError.WrongType, notExt.Error);
    }

    [Fact]
    public void Wrong_types_fail_without_moving()
    {
        var r = new MessagePackReader(Hex("a1 41"));
        Assert.False(r.TryReadInt64(out _));
        Assert.Equal(MessagePackError.WrongType, r.Error);
        Assert.False(r.TryReadDouble(out _));
        Assert.False(r.TryReadArrayHeader(out _));
        Assert.False(r.TryReadMapHeader(out _));
        Assert.False(r.TryReadNil());
        Assert.False(r.TryReadBoolean(out _));
        Assert.False(r.TryReadBinary(out _));
        Assert.Equal(MessagePackError.WrongType, r.Error);
        Assert.Equal(0, r.Position);
        Assert.True(r.TryReadString(out var s));
        Assert.Equal("A"u8.ToArray(), s.ToArray());
    }

    [Fact]
    public void The_never_used_byte_is_invalid()
    {
        var r = new MessagePackReader(Hex("92 01 c1"));
        Assert.False(r.TrySkip());
        Assert.Equal(MessagePackError.InvalidFormat, r.Error);
        Assert.Equal(0, r.Position);
    }

    [Fact]
    public void Empty_input_is_truncated_for_every_read()
    {
        var r = new MessagePackReader([]);
        Assert.Equal(MessagePackType.Unknown, r.PeekType());
        Assert.False(r.TryReadInt64(out _)); Assert.Equal(MessagePackError.Truncated, r.Error);
        Assert.False(r.TryReadDouble(out _)); Assert.Equal(MessagePackError.Truncated, r.Error);
        Assert.False(r.TryReadString(out _)); Assert.Equal(MessagePackError.Truncated, r.Error);
        Assert.False(r.TryReadTimestamp(out _)); Assert.Equal(MessagePackError.Truncated, r.Error);
        Assert.False(r.TrySkip()); Assert.Equal(MessagePackError.Truncated, r.Error);
    }

    // {"T":"q","S":"AAPL","bp":1.5,"t":<ts64>,"c":["A",{"x":[nil,true]}],"b":bin(2),"e":fixext1}
    private static readonly byte[] Frame = Hex(
        "91 87" +
        "a1 54 a1 71" +
        "a1 53 a4 41 41 50 4c" +
        "a2 62 70 cb 3f f8 00 00 00 00 00 00" +
        "a1 74 d7 ff 00 00 00 48 60 40 f9 c1" +
        "a1 63 92 a1 41 81 a1 78 92 c0 c3" +
        "a1 62 c4 02 01 02" +
        "a1 65 d4 07 09");

    [Fact]
    public void Skips_a_whole_nested_frame()
    {
        var r = new MessagePackReader(Frame);
        Assert.True(r.TrySkip());
        Assert.True(r.End);
    }

    [Fact]
    public void Every_truncation_of_a_valid_frame_fails_cleanly()
    {
        for (int cut = 0; cut < Frame.Length; cut++)
        {
            var r = new MessagePackReader(Frame.AsSpan(0, cut));
            Assert.False(r.TrySkip());
            Assert.Equal(MessagePackError.Truncated, r.Error);
            Assert.Equal(0, r.Position);
            // a structured walk must also stop with an error, never throw
            Assert.False(Walk(Frame.AsSpan(0, cut)));
        }
        Assert.True(Walk(Frame));
    }

    private static bool Walk(ReadOnlySpan<byte> bytes)
    {
        var r = new MessagePackReader(bytes);
        if (!r.TryReadArrayHeader(out int n)) return false;
        for (int i = 0; i < n; i++)
        {
            if (!r.TryReadMapHeader(out int pairs)) return false;
            for (int p = 0; p < pairs; p++)
            {
                if (!r.TryReadString(out var key)) return false;
                bool ok = key.SequenceEqual("bp"u8) ? r.TryReadDouble(out _)
                    : key.SequenceEqual("t"u8) ? r.TryReadTimestamp(out _)
                    : key.SequenceEqual("S"u8) || key.SequenceEqual("T"u8) ? r.TryReadString(out _)
                    : r.TrySkip();
                if (!ok) return false;
            }
        }
        return r.End;
    }
}
