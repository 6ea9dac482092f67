using System.Buffers;
using Streamer.Feed.MessagePack;

namespace Streamer.Feed.Tests.MessagePack;

// expected bytes are the spec's shortest encodings, typed by hand
public class MessagePackWriterTests
{
    private static string Write(Action<MessagePackWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(new MessagePackWriter(buffer));
        return Convert.ToHexString(buffer.WrittenSpan).ToLowerInvariant();
    }

    [Theory]
    [InlineData(0L, "00")]
    [InlineData(127L, "7f")]
    [InlineData(128L, "cc80")]
    [InlineData(255L, "ccff")]
    [InlineData(256L, "cd0100")]
    [InlineData(65535L, "cdffff")]
    [InlineData(65536L, "ce00010000")]
    [InlineData(4294967295L, "ceffffffff")]
    [InlineData(4294967296L, "cf0000000100000000")]
    [InlineData(-1L, "ff")]
    [InlineData(-32L, "e0")]
    [InlineData(-33L, "d0df")]
    [InlineData(-128L, "d080")]
    [InlineData(-129L, "d1ff7f")]
    [InlineData(-32768L, "d18000")]
    [InlineData(-32769L, "d2ffff7fff")]
    [InlineData(-2147483649L, "d3ffffffff7fffffff")]
    public void Writes_integers_in_the_shortest_form(long value, string hex) =>
        Assert.Equal(hex, Write(w => w.WriteInt64(value)));

    [Fact]
    public void Writes_scalars()
    {
        Assert.Equal("c0c2c3", Write(w => { w.WriteNil(); w.WriteBoolean(false); w.WriteBoolean(true); }));
        Assert.Equal("cb3ff8000000000000", Write(w => w.WriteDouble(1.5)));
        Assert.Equal("ca3fc00000", Write(w => w.WriteSingle(1.5f)));
        Assert.Equal("a441415050", Write(w => w.WriteString("AAPP")));
        Assert.Equal("c4020102", Write(w => w.WriteBinary([1, 2])));
    }

    [Theory]
    [InlineData(31, "bf")]
    [InlineData(32, "d920")]
    [InlineData(256, "da0100")]
    [InlineData(65536, "db00010000")]
    public void Writes_string_headers_at_boundaries(int length, string header)
    {
        var hex = Write(w => w.WriteString(new string('a', length)));
        Assert.StartsWith(header, hex, StringComparison.Ordinal);
        Assert.Equal(header.Length + 2 * length, hex.Length);
    }

    [Theory]
    [InlineData(15, "9f", "8f")]
    [InlineData(16, "dc0010", "de0010")]
    [InlineData(65536, "dd00010000", "df00010000")]
    public void Writes_collection_headers_at_boundaries(int count, string array, string map)
    {
        Assert.Equal(array, Write(w => w.WriteArrayHeader(count)));
        Assert.Equal(map, Write(w => w.WriteMapHeader(count)));
    }

    [Fact]
    public void Writes_timestamps_in_the_shortest_form()
    {
        Assert.Equal("d6ff6040f9c1", Write(w => w.WriteTimestamp(1614870977L * 1_000_000_000)));
        Assert.Equal("d7ff000000486040f9c1", Write(w => w.WriteTimestamp(1614870977L * 1_000_000_000 + 18)));
        Assert.Equal("c70cff3b9ac9ffffffffffffffffff", Write(w => w.WriteTimestamp(-1)));
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    [InlineData(-1L)]
    [InlineData(1721807813639713735L)]
    [InlineData(long.MaxValue - 1_000_000_000)]
    [InlineData(-86_400_000_000_123L)]
    public void Timestamps_round_trip(long ns)
    {
        var buffer = new ArrayBufferWriter<byte>();
        new MessagePackWriter(buffer).WriteTimestamp(ns);
        var r = new MessagePackReader(buffer.WrittenSpan);
        Assert.True(r.TryReadTimestamp(out long back));
        Assert.Equal(ns, back);
        Assert.True(r.End);
    }
}
