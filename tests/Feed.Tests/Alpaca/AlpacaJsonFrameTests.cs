using System.Text;
using Streamer.Feed.Alpaca;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;

namespace Streamer.Feed.Tests.Alpaca;

// frames re-typed from alpaca.md, Alpaca's stream docs and the SDK test fixtures
// (alpaca-trade-api-go message_test.go, alpaca-py tests/data/test_websockets.py)
public class AlpacaJsonFrameTests
{
    private readonly SymbolTable _symbols = new();
    private readonly int _fakepaca, _aapl, _spip, _test, _djt;

    public AlpacaJsonFrameTests()
    {
        _fakepaca = _symbols.Intern("FAKEPACA");
        _aapl = _symbols.Intern("AAPL");
        _spip = _symbols.Intern("SPIP");
        _test = _symbols.Intern("TEST");
        _djt = _symbols.Intern("DJT");
    }

    private (AlpacaFrameParser Parser, RecordingHandler Handler, bool Ok) Parse(string json, bool intern = false)
    {
        var parser = new AlpacaFrameParser(_symbols) { InternUnknownSymbols = intern };
        var handler = new RecordingHandler();
        bool ok = parser.ParseJson(Encoding.UTF8.GetBytes(json), handler);
        return (parser, handler, ok);
    }

    [Fact]
    public void Parses_the_spec_quote()
    {
        var (parser, h, ok) = Parse("""[{"T":"q","S":"FAKEPACA","bx":"O","bp":133.85,"bs":4,"ax":"R","ap":135.77,"as":5,"c":["R"],"z":"A","t":"2024-07-24T07:56:53.639713735Z"}]""");
        Assert.True(ok);
        var t = Assert.Single(h.Ticks);
        Assert.Equal(_fakepaca, t.SymbolId);
        Assert.Equal(TickFields.Quote, t.Fields);
        Assert.Equal(133.85, t.Bid);
        Assert.Equal(135.77, t.Ask);
        Assert.True(double.IsNaN(t.Last));
        Assert.Equal(Ns.At(2024, 7, 24, 7, 56, 53, 639713735), t.TimeNs);
        Assert.Equal(1, parser.Ticks);
        Assert.Equal(0, parser.MalformedMessages + parser.MalformedFrames);
    }

    [Fact]
    public void Parses_the_documented_trade()
    {
        var (_, h, ok) = Parse("""[{"T":"t","i":96921,"S":"AAPL","x":"D","p":126.55,"s":1,"t":"2021-02-22T15:51:44.208Z","c":["@","I"],"z":"C"}]""");
        Assert.True(ok);
        var t = Assert.Single(h.Ticks);
        Assert.Equal(_aapl, t.SymbolId);
        Assert.Equal(TickFields.Trade, t.Fields);
        Assert.Equal(126.55, t.Last);
        Assert.True(double.IsNaN(t.Bid));
        Assert.Equal(Ns.At(2021, 2, 22, 15, 51, 44, 208_000_000), t.TimeNs);
    }

    [Fact]
    public void A_batch_keeps_quotes_and_trades_and_skips_every_other_type()
    {
        var (parser, h, ok) = Parse("""
            [{"T":"o","w":"whatever"},
             {"T":"t","S":"TEST","i":42,"x":"X","p":100,"s":10,"t":"2021-03-04T15:16:17.000000018Z","c":[" "],"z":"A"},
             {"T":"s","S":"BIIB","sc":"T","sm":"Trading Resumption","rc":"","rm":"","t":"2021-03-05T16:00:00Z","z":"C"},
             {"T":"q","S":"SPIP","bx":"V","bp":25.41,"bs":35,"ax":"V","ap":25.43,"as":35,"c":["R"],"z":"B","t":"2021-03-04T15:16:17Z"},
             {"T":"b","S":"AAPL","o":177.94,"c":178.005,"h":178.005,"l":177.94,"v":8547,"t":"2021-03-05T16:00:00Z","n":66,"vw":177.987562},
             {"T":"d","S":"AAPL","o":1,"h":1,"l":1,"c":1,"v":1,"t":"2021-03-05T16:00:00Z"},
             {"T":"u","S":"AAPL","o":1,"h":1,"l":1,"c":1,"v":1,"t":"2021-03-05T16:00:00Z"},
             {"T":"l","S":"AAPL","u":1.2,"d":1.1,"i":"B","t":"2021-03-05T16:00:00Z","z":"C"},
             {"T":"c","S":"AAPL","x":"D","oi":1,"op":1,"os":1,"oc":["@"],"ci":2,"cp":2,"cs":2,"cc":["@"],"t":"2021-03-05T16:00:00Z","z":"C"},
             {"T":"x","S":"DJT","i":4868,"x":"D","p":36.18,"s":31800,"a":"C","z":"C","t":"1970-01-01T00:00:10.00000001Z"},
             {"T":"zz","S":"AAPL","p":1,"t":"2021-03-05T16:00:00Z"}]
            """);
        Assert.True(ok);
        Assert.Equal(2, h.Ticks.Count);
        Assert.Equal(_test, h.Ticks[0].SymbolId);
        Assert.Equal(100.0, h.Ticks[0].Last);
        Assert.Equal(Ns.At(2021, 3, 4, 15, 16, 17, 18), h.Ticks[0].TimeNs);
        Assert.Equal(_spip, h.Ticks[1].SymbolId);
        Assert.Equal(25.41, h.Ticks[1].Bid);
        Assert.Equal(25.43, h.Ticks[1].Ask);
        Assert.Equal(9, parser.Skipped);     // o s b d u l c x zz
        Assert.Equal(1, parser.UnknownTypes); // zz ("o" is the crypto orderbook)
        Assert.Equal(0, parser.MalformedMessages);
        Assert.DoesNotContain(h.Ticks, t => t.SymbolId == _djt); // a cancel is not a trade
    }

    [Fact]
    public void Key_order_does_not_matter()
    {
        var (_, h, ok) = Parse("""[{"t":"2021-03-04T15:16:17Z","ap":2.5,"S":"AAPL","bp":2.25,"T":"q"}]""");
        Assert.True(ok);
        var t = Assert.Single(h.Ticks);
        Assert.Equal((2.25, 2.5), (t.Bid, t.Ask));
    }

    [Fact]
    public void Control_messages_are_reported()
    {
        var (_, h, ok) = Parse("""[{"T":"success","msg":"connected"}]""");
        Assert.True(ok);
        Assert.True(Assert.Single(h.Controls).IsConnected);

        (_, h, _) = Parse("""[{"msg":"authenticated","T":"success"}]""");
        Assert.True(Assert.Single(h.Controls).IsAuthenticated);

        (_, h, _) = Parse("""[{"T":"error","code":402,"msg":"auth failed"}]""");
        var e = Assert.Single(h.Controls);
        Assert.Equal(AlpacaControlKind.Error, e.Kind);
        Assert.Equal(402, e.Code);
        Assert.Equal("auth failed", e.Message);

        (_, h, _) = Parse("""[{"T":"subscription","trades":["AAPL"],"quotes":["AMD","CLDR"],"bars":["*"],"updatedBars":[],"dailyBars":["VOO"],"statuses":["*"],"lulds":[],"corrections":["AAPL"],"cancelErrors":["AAPL"]}]""");
        var s = Assert.Single(h.Controls);
        Assert.Equal(AlpacaControlKind.Subscription, s.Kind);
        Assert.Equal(["AAPL"], s.Trades);
        Assert.Equal(["AMD", "CLDR"], s.Quotes);
        Assert.Equal(["*"], s.Bars);
        Assert.Equal(["VOO"], s.OtherChannels["dailyBars"]);
        Assert.Equal(["AAPL"], s.OtherChannels["cancelErrors"]);
        Assert.Empty(s.OtherChannels["lulds"]);
    }

    [Fact]
    public void Unknown_symbols_are_skipped_and_counted_unless_interning_is_asked()
    {
        const string frame = """[{"T":"q","S":"NVDA","bp":1,"ap":2,"t":"2021-03-04T15:16:17Z"}]""";
        var (parser, h, ok) = Parse(frame);
        Assert.True(ok);
        Assert.Empty(h.Ticks);
        Assert.Equal(1, parser.UnknownSymbols);
        Assert.Equal(0, _symbols.Lookup("NVDA"u8));

        (parser, h, _) = Parse(frame, intern: true);
        var t = Assert.Single(h.Ticks);
        Assert.Equal("NVDA", _symbols[t.SymbolId]);
    }

    [Theory]
    [InlineData("""{"T":"q","bp":1,"ap":2,"t":"2021-03-04T15:16:17Z"}""", "'S'")]
    [InlineData("""{"T":"q","S":"AAPL","bp":1,"ap":2}""", "'t'")]
    [InlineData("""{"T":"q","S":"AAPL","bp":"1","ap":2,"t":"2021-03-04T15:16:17Z"}""", "'bp'")]
    [InlineData("""{"T":"q","S":"AAPL","bp":1,"t":"2021-03-04T15:16:17Z"}""", "'ap'")]
    [InlineData("""{"T":"t","S":"AAPL","t":"2021-03-04T15:16:17Z"}""", "'p'")]
    [InlineData("""{"T":"t","S":"AAPL","p":1,"t":"yesterday"}""", "'t'")]
    [InlineData("""{"T":"t","S":["AAPL"],"p":1,"t":"2021-03-04T15:16:17Z"}""", "'S'")]
    [InlineData("""{"S":"AAPL","p":1,"t":"2021-03-04T15:16:17Z"}""", "\"T\"")]
    public void A_malformed_message_is_counted_and_named_and_its_neighbours_survive(string bad, string named)
    {
        var (parser, h, ok) = Parse($$"""[{"T":"t","S":"AAPL","p":1.5,"t":"2021-03-04T15:16:17Z"},{{bad}},{"T":"t","S":"AAPL","p":2.5,"t":"2021-03-04T15:16:18Z"}]""");
        Assert.True(ok);
        Assert.Equal([1.5, 2.5], h.Ticks.Select(t => t.Last));
        Assert.Equal(1, parser.MalformedMessages);
        Assert.Contains("message 1", parser.LastError, StringComparison.Ordinal);
        Assert.Contains(named, parser.LastError, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{\"T\":\"q\"}")]
    [InlineData("[{\"T\":\"q\",]")]
    [InlineData("[1,2] x")]
    [InlineData("not json")]
    public void Broken_frames_are_counted_never_thrown(string frame)
    {
        var (parser, h, ok) = Parse(frame);
        Assert.False(ok);
        Assert.Empty(h.Ticks);
        Assert.Equal(1, parser.MalformedFrames);
        Assert.NotNull(parser.LastError);
    }

    [Fact]
    public void Every_truncation_yields_only_true_ticks()
    {
        var full = Encoding.UTF8.GetBytes("""[{"T":"q","S":"AAPL","bp":133.85,"ap":135.77,"c":["R"],"t":"2024-07-24T07:56:53.639713735Z"},{"T":"success","msg":"connected"},{"T":"t","S":"SPIP","p":25.5,"c":["@","I"],"t":"2021-03-04T15:16:17.5Z"}]""");
        var expected = new RecordingHandler();
        Assert.True(new AlpacaFrameParser(_symbols).ParseJson(full, expected));
        Assert.Equal(2, expected.Ticks.Count);
        for (int cut = 0; cut < full.Length; cut++)
        {
            var parser = new AlpacaFrameParser(_symbols);
            var h = new RecordingHandler();
            Assert.False(parser.ParseJson(full.AsSpan(0, cut), h));
            Assert.Equal(1, parser.MalformedFrames);
            Assert.True(h.Ticks.Count <= expected.Ticks.Count);
            for (int i = 0; i < h.Ticks.Count; i++) Assert.Equal(expected.Ticks[i], h.Ticks[i]);
        }
    }

    [Fact]
    public void Parsing_allocates_nothing_per_message()
    {
        var frame = Encoding.UTF8.GetBytes("""[{"T":"q","S":"AAPL","bx":"O","bp":133.85,"bs":4,"ax":"R","ap":135.77,"as":5,"c":["R"],"z":"A","t":"2024-07-24T07:56:53.639713735Z"},{"T":"t","S":"SPIP","i":1,"x":"V","p":25.5,"s":1,"c":["@","I"],"z":"C","t":"2021-03-04T15:16:17.5Z"},{"T":"b","S":"AAPL","o":1,"h":1,"l":1,"c":1,"v":1,"t":"2021-03-05T16:00:00Z"}]""");
        var parser = new AlpacaFrameParser(_symbols);
        var h = new CountingHandler();
        for (int i = 0; i < 100; i++) parser.ParseJson(frame, h); // warm up
        // the runtime may allocate one-offs on this thread (tiering, OSR) in any pass: one clean pass proves 0 B per message
        long best = long.MaxValue;
        for (int pass = 0; pass < 6 && best != 0; pass++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 1000; i++) parser.ParseJson(frame, h);
            best = Math.Min(best, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.Equal(0, best);
        Assert.True(h.Ticks >= 2200);
    }
}
