using System.Buffers;
using Streamer.Feed.Alpaca;
using Streamer.Feed.MessagePack;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;

namespace Streamer.Feed.Tests.Alpaca;

// option frames: maps with alpaca.md's keys; c is a single string, t the timestamp extension
public class AlpacaMessagePackFrameTests
{
    private const string Call = "AAPL240315C00172500";
    private readonly SymbolTable _symbols = new();
    private readonly int _call, _put;

    public AlpacaMessagePackFrameTests()
    {
        _call = _symbols.Intern(Call);
        _put = _symbols.Intern("SPY260220P00580000");
    }

    // typed by hand: [{"T":"t","S":"AAPL240315C00172500","t":ts64(1614870977 s + 18 ns),"p":1.5,"s":1,"x":"C","c":"I"}]
    private static readonly byte[] HandTypedTrade = Convert.FromHexString((
        "91 87 a1 54 a1 74" +
        "a1 53 b3 41 41 50 4c 32 34 30 33 31 35 43 30 30 31 37 32 35 30 30" +
        "a1 74 d7 ff 00 00 00 48 60 40 f9 c1" +
        "a1 70 cb 3f f8 00 00 00 00 00 00" +
        "a1 73 01 a1 78 a1 43 a1 63 a1 49").Replace(" ", "", StringComparison.Ordinal));

    private (AlpacaFrameParser Parser, RecordingHandler Handler, bool Ok) Parse(ReadOnlySpan<byte> frame)
    {
        var parser = new AlpacaFrameParser(_symbols);
        var handler = new RecordingHandler();
        bool ok = parser.ParseMessagePack(frame, handler);
        return (parser, handler, ok);
    }

    /// <summary>Builds frames with <see cref="MessagePackWriter"/> (itself tested against the spec's bytes).</summary>
    private static byte[] Frame(params Action<MessagePackWriter>[] messages)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var w = new MessagePackWriter(buffer);
        w.WriteArrayHeader(messages.Length);
        foreach (var m in messages) m(w);
        return buffer.WrittenSpan.ToArray();
    }

    private static Action<MessagePackWriter> Quote(string symbol, double bid, double ask, long ns) => w =>
    {
        w.WriteMapHeader(10);
        w.WriteString("T"); w.WriteString("q");
        w.WriteString("S"); w.WriteString(symbol);
        w.WriteString("t"); w.WriteTimestamp(ns);
        w.WriteString("bx"); w.WriteString("C");
        w.WriteString("bp"); w.WriteDouble(bid);
        w.WriteString("bs"); w.WriteInt64(12);
        w.WriteString("ax"); w.WriteString("X");
        w.WriteString("ap"); w.WriteDouble(ask);
        w.WriteString("as"); w.WriteInt64(3);
        w.WriteString("c"); w.WriteString("A");
    };

    private static Action<MessagePackWriter> Map(params (string Key, Action<MessagePackWriter> Value)[] pairs) => w =>
    {
        w.WriteMapHeader(pairs.Length);
        foreach (var (k, v) in pairs) { w.WriteString(k); v(w); }
    };

    [Fact]
    public void Parses_a_hand_typed_option_trade()
    {
        var (parser, h, ok) = Parse(HandTypedTrade);
        Assert.True(ok);
        var t = Assert.Single(h.Ticks);
        Assert.Equal(_call, t.SymbolId);
        Assert.Equal(TickFields.Trade, t.Fields);
        Assert.Equal(1.5, t.Last);
        Assert.Equal(Ns.At(2021, 3, 4, 15, 16, 17, 18), t.TimeNs);
        Assert.Equal(0, parser.MalformedMessages);
    }

    [Fact]
    public void Parses_a_batch_of_option_quotes()
    {
        long t0 = Ns.At(2026, 1, 21, 15, 2, 11, 123456789);
        var frame = Frame(Quote(Call, 1.25, 1.3, t0), Quote("SPY260220P00580000", 0.6, 0.62, t0 + 1));
        var (_, h, ok) = Parse(frame);
        Assert.True(ok);
        Assert.Equal(2, h.Ticks.Count);
        Assert.Equal(Tick.Quote(t0, _call, 1.25, 1.3), h.Ticks[0]);
        Assert.Equal((_put, 0.6, 0.62, t0 + 1), (h.Ticks[1].SymbolId, h.Ticks[1].Bid, h.Ticks[1].Ask, h.Ticks[1].TimeNs));
    }

    [Fact]
    public void Whole_prices_written_as_integers_and_string_times_are_accepted()
    {
        var frame = Frame(Map(("T", w => w.WriteString("q")), ("S", w => w.WriteString(Call)), ("bp", w => w.WriteInt64(2)),
            ("ap", w => w.WriteSingle(2.5f)), ("t", w => w.WriteString("2021-03-04T15:16:17Z"))));
        var (_, h, ok) = Parse(frame);
        Assert.True(ok);
        Assert.Equal(Tick.Quote(Ns.At(2021, 3, 4, 15, 16, 17), _call, 2, 2.5), Assert.Single(h.Ticks));
    }

    [Fact]
    public void Control_messages_are_reported()
    {
        var frame = Frame(
            Map(("T", w => w.WriteString("success")), ("msg", w => w.WriteString("connected"))),
            Map(("T", w => w.WriteString("error")), ("code", w => w.WriteInt64(413)), ("msg", w => w.WriteString("star subscription is not allowed for option quotes"))),
            Map(("T", w => w.WriteString("subscription")),
                ("trades", w => { w.WriteArrayHeader(1); w.WriteString(Call); }),
                ("quotes", w => { w.WriteArrayHeader(2); w.WriteString(Call); w.WriteString("SPY260220P00580000"); })));
        var (_, h, ok) = Parse(frame);
        Assert.True(ok);
        Assert.Equal(3, h.Controls.Count);
        Assert.True(h.Controls[0].IsConnected);
        Assert.Equal((AlpacaControlKind.Error, 413), (h.Controls[1].Kind, h.Controls[1].Code));
        Assert.Equal([Call], h.Controls[2].Trades);
        Assert.Equal([Call, "SPY260220P00580000"], h.Controls[2].Quotes);
    }

    [Fact]
    public void Wrong_types_unknown_types_and_missing_fields_are_counted_and_neighbours_survive()
    {
        long t0 = Ns.At(2026, 1, 21, 15, 0, 0);
        var frame = Frame(
            Quote(Call, 1, 2, t0),
            Map(("T", w => w.WriteString("q")), ("S", w => w.WriteString(Call)), ("bp", w => w.WriteString("1.0")), ("ap", w => w.WriteDouble(2)), ("t", w => w.WriteTimestamp(t0))),
            Map(("T", w => w.WriteString("t")), ("S", w => w.WriteString(Call)), ("p", w => w.WriteDouble(2))),
            Map(("T", w => w.WriteString("t")), ("S", w => w.WriteInt64(7)), ("p", w => w.WriteDouble(2)), ("t", w => w.WriteTimestamp(t0))),
            Map(("T", w => w.WriteString("t")), ("S", w => w.WriteString(Call)), ("p", w => w.WriteDouble(2)), ("t", w => w.WriteInt64(5))),
            Map(("T", w => w.WriteString("zz")), ("S", w => w.WriteString(Call))),
            Map(("S", w => w.WriteString(Call)), ("p", w => w.WriteDouble(2)), ("t", w => w.WriteTimestamp(t0))),
            w => w.WriteString("not a map"),
            Map(("T", w => w.WriteString("b")), ("S", w => w.WriteString(Call)), ("c", w => w.WriteDouble(1))),
            Quote(Call, 3, 4, t0 + 5));
        var (parser, h, ok) = Parse(frame);
        Assert.True(ok);
        Assert.Equal([1.0, 3.0], h.Ticks.Select(t => t.Bid));
        Assert.Equal(6, parser.MalformedMessages); // bp string, no t, S int, t int, no T, not a map
        Assert.Equal(2, parser.Skipped);           // zz, b
        Assert.Equal(1, parser.UnknownTypes);
    }

    [Fact]
    public void Every_truncation_yields_only_true_ticks()
    {
        long t0 = Ns.At(2026, 1, 21, 15, 0, 0, 5);
        var full = Frame(Quote(Call, 1.25, 1.3, t0),
            Map(("T", w => w.WriteString("subscription")), ("quotes", w => { w.WriteArrayHeader(1); w.WriteString(Call); })),
            Quote("SPY260220P00580000", 0.6, 0.62, t0 + 1));
        var expected = Parse(full).Handler.Ticks;
        Assert.Equal(2, expected.Count);
        for (int cut = 0; cut < full.Length; cut++)
        {
            var (parser, h, ok) = Parse(full.AsSpan(0, cut));
            Assert.False(ok);
            Assert.Equal(1, parser.MalformedFrames);
            Assert.Contains("Truncated", parser.LastError, StringComparison.Ordinal);
            Assert.True(h.Ticks.Count <= expected.Count);
            for (int i = 0; i < h.Ticks.Count; i++) Assert.Equal(expected[i], h.Ticks[i]);
        }
    }

    [Fact]
    public void Every_truncation_of_the_hand_typed_trade_yields_no_tick()
    {
        for (int cut = 0; cut < HandTypedTrade.Length; cut++)
        {
            var (parser, h, ok) = Parse(HandTypedTrade.AsSpan(0, cut));
            Assert.False(ok);
            Assert.Empty(h.Ticks);
            Assert.Equal(1, parser.MalformedFrames);
        }
    }

    [Fact]
    public void Corrupt_bytes_never_throw()
    {
        var frame = Frame(Quote(Call, 1.25, 1.3, 1), Quote(Call, 1.5, 1.6, 2));
        var rng = new Random(7);
        for (int i = 0; i < 5000; i++)
        {
            var copy = (byte[])frame.Clone();
            for (int k = 0; k < 3; k++) copy[rng.Next(copy.Length)] = (byte)rng.Next(256);
            var (_, h, _) = Parse(copy);
            // a corrupted frame may still be readable; whatever ticks come out name a known symbol
            Assert.All(h.Ticks, t => Assert.Equal(_call, t.SymbolId));
        }
    }

    [Fact]
    public void Parsing_allocates_nothing_per_message()
    {
        var frame = Frame(Quote(Call, 1.25, 1.3, 1), Quote("SPY260220P00580000", 0.6, 0.62, 2),
            Map(("T", w => w.WriteString("t")), ("S", w => w.WriteString(Call)), ("p", w => w.WriteDouble(2)), ("t", w => w.WriteTimestamp(3)), ("c", w => w.WriteString("I"))));
        var parser = new AlpacaFrameParser(_symbols);
        var h = new CountingHandler();
        for (int i = 0; i < 100; i++) parser.ParseMessagePack(frame, h);
        // the runtime may allocate one-offs on this thread (tiering, OSR) in any pass: one clean pass proves 0 B per message
        long best = long.MaxValue;
        for (int pass = 0; pass < 6 && best != 0; pass++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 1000; i++) parser.ParseMessagePack(frame, h);
            best = Math.Min(best, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.Equal(0, best);
        Assert.True(h.Ticks >= 3300);
    }
}
