using System.Buffers;
using System.Text;
using Streamer.Feed.Alpaca;
using Streamer.Feed.MessagePack;

namespace Streamer.Feed.Tests.Alpaca;

public class AlpacaClientMessagesTests
{
    private static readonly AlpacaCredentials Keys = new("PKTEST", "s3cret");

    [Fact]
    public void Stock_messages_are_the_documented_json()
    {
        var b = new ArrayBufferWriter<byte>();
        AlpacaClientMessages.WriteAuth(b, AlpacaStreamKind.Stocks, Keys);
        Assert.Equal("""{"action":"auth","key":"PKTEST","secret":"s3cret"}""", Encoding.UTF8.GetString(b.WrittenSpan));
        b.Clear();
        AlpacaClientMessages.WriteSubscription(b, AlpacaStreamKind.Stocks, "subscribe", ["AAPL"], ["AMD", "CLDR"]);
        Assert.Equal("""{"action":"subscribe","trades":["AAPL"],"quotes":["AMD","CLDR"]}""", Encoding.UTF8.GetString(b.WrittenSpan));
    }

    [Fact]
    public void Option_messages_are_messagepack_maps()
    {
        var b = new ArrayBufferWriter<byte>();
        AlpacaClientMessages.WriteSubscription(b, AlpacaStreamKind.Options, "unsubscribe", [], ["AAPL240315C00172500"]);
        var r = new MessagePackReader(b.WrittenSpan);
        Assert.True(r.TryReadMapHeader(out int n));
        Assert.Equal(3, n);
        Assert.True(r.TryReadString(out var k)); Assert.Equal("action", Encoding.UTF8.GetString(k));
        Assert.True(r.TryReadString(out var v)); Assert.Equal("unsubscribe", Encoding.UTF8.GetString(v));
        Assert.True(r.TryReadString(out k)); Assert.Equal("trades", Encoding.UTF8.GetString(k));
        Assert.True(r.TryReadArrayHeader(out int t)); Assert.Equal(0, t);
        Assert.True(r.TryReadString(out k)); Assert.Equal("quotes", Encoding.UTF8.GetString(k));
        Assert.True(r.TryReadArrayHeader(out int q)); Assert.Equal(1, q);
        Assert.True(r.TryReadString(out v)); Assert.Equal("AAPL240315C00172500", Encoding.UTF8.GetString(v));
        Assert.True(r.End);
    }

    [Fact]
    public void Credentials_never_print()
    {
        Assert.DoesNotContain("s3cret", Keys.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("PKTEST", Keys.ToString(), StringComparison.Ordinal);
    }
}
