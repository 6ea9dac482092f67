using System.Buffers;
using System.Text;
using Streamer.Stream.Nats;
using Xunit;

namespace Streamer.Stream.Tests.Nats;

/// <summary>The pinned connection reads each JetStream publish reply in place: acks, errors and junk, each named.</summary>
public sealed class PubAckReplyTests
{
    private static PubAckReply Parse(string json, ref string last) => PubAckReply.Parse(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(json)), ref last);

    [Fact]
    public void An_ack_gives_stream_sequence_and_duplicate_and_reuses_the_stream_name()
    {
        string last = "";
        var first = Parse("""{"stream":"STREAMER_EXITS","seq":42}""", ref last);
        Assert.True(first.TryGet("streamer.exits.SPY", out var ack, out var error));
        Assert.Null(error);
        Assert.Equal(new PubAck("STREAMER_EXITS", 42, false), ack);

        var second = Parse("""{"stream":"STREAMER_EXITS","domain":"x","seq":43,"duplicate":true}""", ref last);
        Assert.True(second.TryGet("s", out var again, out _));
        Assert.Equal(43UL, again.Sequence);
        Assert.True(again.Duplicate);
        Assert.Same(ack.Stream, again.Stream); // no new string for the same stream
    }

    [Fact]
    public void A_refusal_becomes_the_streams_own_error()
    {
        string last = "";
        var reply = Parse("""{"error":{"code":503,"err_code":10077,"description":"maximum messages exceeded"},"stream":"S","seq":0}""", ref last);
        Assert.False(reply.TryGet("streamer.exits.SPY", out _, out var error));
        var e = Assert.IsType<JetStreamApiException>(error);
        Assert.Equal(503, e.Code);
        Assert.Equal(10077, e.ErrorCode);
        Assert.Equal("maximum messages exceeded", e.Description);
        Assert.Contains("streamer.exits.SPY", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{"stream":"S"}""")]
    [InlineData("""{"seq":"7","stream":"S"}""")]
    [InlineData("[1,2]")]
    [InlineData("")]
    public void Anything_else_is_named_with_its_text(string json)
    {
        string last = "";
        var reply = Parse(json, ref last);
        Assert.False(reply.TryGet("streamer.exits.SPY", out _, out var error));
        var e = Assert.IsType<JetStreamApiException>(error);
        Assert.Contains("is not a PubAck", e.Message, StringComparison.Ordinal);
        Assert.Contains(json.Length == 0 ? "(empty)" : json, e.Message, StringComparison.Ordinal);
    }
}
