using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Streamer.Feed.Alpaca;
using Streamer.Feed.MessagePack;
using Streamer.Feed.Tapes;
using Streamer.Rules.Books;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;
using Streamer.Rules.Positions;
using Streamer.Rules.Time;
using Streamer.Stream.Service;

namespace Streamer.Stream.Tests.Fuzz;

/// <summary>
/// Every parser of outside input, fed valid samples broken at random (FsCheck: bytes flipped, cut,
/// repeated, and tokens a hostile sender would try spliced in). Each input either parses or is refused
/// with the parser's own error; none throws anything else, and none makes a tick or a position that
/// was not in it. <c>STREAMER_FUZZ_COUNT</c> (default 300 per parser) runs longer by hand, e.g. 100000.
/// </summary>
public sealed class InputFuzzTests
{
    private static readonly int Count = int.TryParse(Environment.GetEnvironmentVariable("STREAMER_FUZZ_COUNT"), out var n) && n > 0 ? n : 300;

    private static readonly string[] Tokens =
    [
        "\"", ",", "\n", "{", "}", "[", "]", ":", "\0", "\u001b[31m", "\u202e", "1e308", "-1e308", "NaN", "-0", "0", "99999999999999999999",
        "null", "true", "2262-04-12T00:00:00Z", "0001-01-01T00:00:00Z", "..", "*a", "&a", "!!binary", "A..B", "\\u0000", "\xff", "\xc3",
    ];

    /// <summary>A list of mutations, each (kind, where as a fraction, how long, which token).</summary>
    private static readonly Arbitrary<(int Kind, double At, int Length, int Token)[]> Mutations =
        (from kind in Gen.Choose(0, 5)
         from at in Gen.Choose(0, 10_000).Select(i => i / 10_000.0)
         from length in Gen.Choose(1, 12)
         from token in Gen.Choose(0, Tokens.Length - 1)
         select (kind, at, length, token)).ArrayOf().Select(a => a.Length > 6 ? a[..6] : a).ToArbitrary();

    private static byte[] Mutate(byte[] seed, (int Kind, double At, int Length, int Token)[] mutations)
    {
        var b = new List<byte>(seed);
        foreach (var (kind, at, length, token) in mutations)
        {
            int i = Math.Min(b.Count, (int)(at * b.Count));
            int len = Math.Min(length, b.Count - i);
            switch (kind)
            {
                case 0: if (i < b.Count) b[i] ^= (byte)(1 << (length % 8)); break;              // a bit flipped
                case 1: if (len > 0) b.RemoveRange(i, len); break;                               // cut
                case 2: if (len > 0) b.InsertRange(i, b.GetRange(i, len)); break;               // repeated
                case 3: b.InsertRange(i, Encoding.Latin1.GetBytes(Tokens[token])); break;       // a token spliced in (raw bytes: \xff stays invalid UTF-8)
                case 4: b.RemoveRange(i, b.Count - i); break;                                    // truncated
                default: b.InsertRange(i, Enumerable.Repeat((byte)'[', length * 40)); break;     // nesting
            }
        }
        return [.. b];
    }

    private static void Check(byte[][] seeds, Action<byte[]> property) =>
        Prop.ForAll(Gen.Choose(0, seeds.Length - 1).ToArbitrary(), Mutations, (seed, mutations) => property(Mutate(seeds[seed], mutations)))
            .Check(Config.QuickThrowOnFailure.WithMaxTest(Count).WithQuietOnSuccess(true));

    private static string Text(byte[] input) => Encoding.UTF8.GetString(input);

    private static byte[] ToBinary(byte[] csv)
    {
        var symbols = new SymbolTable();
        using var reader = TapeReader.Create(new MemoryStream(csv), "seed", symbols);
        var output = new MemoryStream();
        using (var writer = new BinaryTapeWriter(output, leaveOpen: true))
            while (reader.TryRead(out Tick t)) writer.Write(in t, symbols[t.SymbolId]);
        return output.ToArray();
    }

    [Fact]
    public void Tape_rows_parse_or_are_refused_naming_the_row_and_never_make_a_tick_that_was_not_in_them()
    {
        byte[][] csv =
        [
            "time,symbol,bid,ask,last\n2026-01-05T15:00:00Z,SPY,602.79,602.81,\n2026-01-05T15:00:00.001Z,SPY260220P00580000,5.88,5.90,\n2026-01-05T15:00:01Z,SPY,,,602.80\n"u8.ToArray(),
        ];
        byte[][] jsonl =
        [
            """
            {"T":"q","S":"SPY","bx":"V","bp":596.1,"bs":3,"ax":"V","ap":596.2,"as":4,"c":["R"],"z":"B","t":"2026-01-29T16:36:38.123456789Z"}
            {"T":"t","S":"SPY","i":1,"x":"V","p":596.15,"s":100,"c":["@"],"z":"B","t":"2026-01-29T16:36:39Z"}
            {"T":"q","S":"META260220C00720000","bp":17.1,"ap":17.2,"bx":"C","ax":"C","bs":1,"as":2,"c":"A","t":"2026-01-29T16:36:40Z"}
            """u8.ToArray(),
        ];
        byte[][] binary = [ToBinary(csv[0])];
        foreach (var (seeds, format) in new[] { (csv, TapeFormat.Csv), (jsonl, TapeFormat.Jsonl), (binary, TapeFormat.Binary) })
            Check(seeds, input =>
            {
                var symbols = new SymbolTable();
                using var reader = TapeReader.Create(new MemoryStream(input), "fuzz", symbols, format);
                var text = Encoding.Latin1.GetString(input);
                try
                {
                    while (reader.TryRead(out Tick tick))
                    {
                        Assert.Contains(symbols[tick.SymbolId], text, StringComparison.Ordinal);
                        Assert.True(NanoTime.InRange(tick.TimeNs), $"tick at {tick.TimeNs}");
                    }
                }
                catch (TapeFormatException e)
                {
                    Assert.StartsWith("fuzz:", e.Message, StringComparison.Ordinal); // names the source (and the line)
                }
            });
    }

    [Fact]
    public void Alpaca_frames_in_JSON_and_MessagePack_never_throw_and_never_tick_a_symbol_they_do_not_name()
    {
        var json = new[]
        {
            """[{"T":"q","S":"SPY","bx":"O","bp":133.85,"bs":4,"ax":"R","ap":135.77,"as":5,"c":["R"],"z":"A","t":"2024-07-24T07:56:53.639713735Z"},{"T":"t","S":"SPY","i":1,"x":"V","p":134.1,"s":100,"c":["@"],"z":"B","t":"2024-07-24T07:56:54Z"}]"""u8.ToArray(),
            """[{"T":"success","msg":"authenticated"},{"T":"error","code":406,"msg":"connection limit exceeded"}]"""u8.ToArray(),
        };
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        var w = new MessagePackWriter(buffer);
        w.WriteArrayHeader(1);
        w.WriteMapHeader(4);
        w.WriteString("T"); w.WriteString("q");
        w.WriteString("S"); w.WriteString("SPY260220P00580000");
        w.WriteString("bp"); w.WriteDouble(5.88);
        w.WriteString("ap"); w.WriteDouble(5.90);
        var msgpack = new[] { buffer.WrittenSpan.ToArray() };

        foreach (var (seeds, isJson) in new[] { (json, true), (msgpack, false) })
            Check(seeds, input =>
            {
                var symbols = new SymbolTable();
                symbols.Intern("SPY");
                symbols.Intern("SPY260220P00580000");
                var parser = new AlpacaFrameParser(symbols);
                var handler = new Handler();
                _ = isJson ? parser.ParseJson(input, handler) : parser.ParseMessagePack(input, handler);
                var text = Encoding.Latin1.GetString(input);
                foreach (var tick in handler.Ticks)
                {
                    Assert.Contains(symbols[tick.SymbolId], text, StringComparison.Ordinal);
                    Assert.True(tick.TimeNs == 0 || NanoTime.InRange(tick.TimeNs), $"tick at {tick.TimeNs}");
                }
                Assert.Equal(2, symbols.Count); // an unknown symbol is counted, never interned
            });
    }

    [Fact]
    public void Executions_parse_or_get_an_error_naming_what_is_wrong_and_every_fill_is_sane()
    {
        var seeds = new[]
        {
            """{"id":"exec-1","position_id":"META-1","symbol":"META260220C00720000","qty":-2,"price":18.40,"time":"2026-01-29T16:40:00Z"}"""u8.ToArray(),
            """{"id":"x-2","position_id":"PCS-1","time":"2026-01-29T16:40:00Z","exit_id":"PCS-1:1","legs":[{"symbol":"SPY260220P00580000","qty":2,"price":1.2},{"symbol":"SPY260220P00575000","qty":-2,"price":0.9}]}"""u8.ToArray(),
        };
        Check(seeds, input =>
        {
            var error = ExecutionIntakeService.TryParse(input, out var fills);
            if (error is not null)
            {
                Assert.StartsWith("execution", error, StringComparison.Ordinal);
                Assert.Null(fills);
                return;
            }
            Assert.NotEmpty(fills!);
            foreach (var f in fills!)
            {
                Assert.Null(PositionIds.Check(f.PositionId));
                Assert.Null(PositionIds.CheckText(ExecutionIntakeService.ExecutionId(f))); // a leg is journaled as <id>/<symbol>
                Assert.True(OccSymbol.LooksLikeOption(f.Symbol) ? OccSymbol.TryParse(f.Symbol, out _, out _) : LegSymbols.IsTicker(f.Symbol), f.Symbol);
                Assert.True(f.Quantity != 0 && double.IsFinite(f.Quantity) && Math.Abs(f.Quantity) <= ExecutionIntakeService.MaxFillQuantity);
                Assert.True(f.Price > 0 && f.Price <= ExecutionIntakeService.MaxFillPrice);
                Assert.True(NanoTime.InRange(f.TimeNs));
            }
        });
    }

    [Fact]
    public void Control_requests_are_checked_or_refused_and_never_throw()
    {
        var seeds = new[]
        {
            """{ "id": "META-1", "book": "day_trade", "opened_at": "2026-01-29T16:36:38Z", "underlying_entry": 720.93, "stop_underlying": 720.60, "legs": [ { "symbol": "META260220C00720000", "qty": 6, "entry_price": 17.15 } ] }"""u8.ToArray(),
            """{"after":"P-001","limit":2}"""u8.ToArray(),
        };
        Check(seeds, input =>
        {
            if (PositionDefinitionCheck.Validate(input, out var id) is null) Assert.Null(PositionIds.Check(id));
            _ = ListRequest.TryParse(input, out var page);
            Assert.InRange(page.Limit, 1, ListRequest.MaxLimit);
        });
    }

    [Fact]
    public void Positions_and_books_files_parse_or_raise_a_config_error_and_every_position_is_one_they_wrote()
    {
        var positions = new[]
        {
            """{ "positions": [ { "id": "META-1", "book": "day_trade", "legs": [ { "symbol": "META260220C00720000", "qty": 6, "entry_price": 17.15 } ] } ] }"""u8.ToArray(),
            "positions:\n  - id: PCS-1\n    book: put_credit\n    legs:\n      - { symbol: SPY260220P00580000, qty: -10, entry_price: 5.89 }\n      - { symbol: SPY260220P00575000, qty: 10, entry_price: 5.16 }\n"u8.ToArray(),
        };
        Check(positions, input =>
        {
            try
            {
                foreach (var p in PositionsFile.Parse(Text(input), "fuzz.yaml"))
                {
                    Assert.Null(PositionIds.Check(p.Id));
                    Assert.Contains(p.Id, Text(input), StringComparison.Ordinal);
                    Assert.All(p.Legs, l => Assert.True(l.Qty != 0));
                }
            }
            catch (ConfigException)
            {
            }
        });
        var books = new[] { "books:\n  t:\n    rules:\n      underlying_stop: {}\n      premium_target: { gain_pct: 0.5 }\n"u8.ToArray() };
        Check(books, input =>
        {
            try
            {
                _ = BookSet.Parse(Text(input), "fuzz-books.yaml");
            }
            catch (ConfigException)
            {
            }
        });
    }

    private sealed class Handler : IAlpacaFrameHandler
    {
        public List<Tick> Ticks { get; } = [];

        public void OnTick(in Tick tick) => Ticks.Add(tick);

        public void OnControl(AlpacaControlMessage message) { }
    }
}
