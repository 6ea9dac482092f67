using Streamer.Feed.Alpaca;
using Streamer.Stream.Alpaca.MarketData;

namespace Streamer.Stream.Tests.Alpaca;

public class AlpacaStreamOptionsTests
{
    [Theory]
    [InlineData("wss://stream.data.alpaca.markets", AlpacaStreamKind.Stocks, "sip", "wss://stream.data.alpaca.markets/v2/sip")]
    [InlineData("https://stream.data.alpaca.markets/", AlpacaStreamKind.Options, "opra", "wss://stream.data.alpaca.markets/v1beta1/opra")]
    [InlineData("ws://127.0.0.1:5123", AlpacaStreamKind.Options, "indicative", "ws://127.0.0.1:5123/v1beta1/indicative")]
    [InlineData("http://127.0.0.1:5123", AlpacaStreamKind.Stocks, "iex", "ws://127.0.0.1:5123/v2/iex")]
    public void Endpoints_follow_the_data_url(string dataUrl, AlpacaStreamKind kind, string feed, string expected) =>
        Assert.Equal(expected, new AlpacaStreamOptions { DataUrl = new Uri(dataUrl), Kind = kind, Feed = feed }.Endpoint.ToString());
}
