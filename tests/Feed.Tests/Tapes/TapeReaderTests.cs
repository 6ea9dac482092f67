using System.Text;
using Streamer.Feed.Tapes;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;
using Streamer.Rules.Time;

namespace Streamer.Feed.Tests.Tapes;

public sealed class TapeReaderTests : IDisposable
{
    private readonly TapeFiles _files = new();
    private readonly SymbolTable _symbols = new();

    public void Dispose() => _files.Dispose();

    private const string Header = "time,symbol,bid,ask,last\n";

    [Fact]
    public void Reads_quotes_trades_and_option_rows_from_csv()
    {
        var path = _files.Write("ticks.csv", Header +
            "2026-01-29T16:36:38Z,META,720.90,720.96,\n" +
            "2026-01-29T16:36:38.5Z,META,,,720.93\n" +
            "2026-01-29T16:36:39.000001Z,META260220C00720000,17.10,17.20,17.15\n");
        var ticks = TapeFiles.ReadAll(path, _symbols);

        Assert.Equal(3, ticks.Count);
        Assert.Equal(TickFields.Quote, ticks[0].Fields);
        Assert.Equal("META", _symbols[ticks[0].SymbolId]);
        Assert.Equal(720.90, ticks[0].Bid);
        Assert.Equal(720.96, ticks[0].Ask);
        Assert.True(double.IsNaN(ticks[0].Last));
        Assert.Equal(NanoTime.ParseRfc3339("2026-01-29T16:36:38Z"), ticks[0].TimeNs);

        Assert.Equal(TickFields.Trade, ticks[1].Fields);
        Assert.Equal(720.93, ticks[1].Last);
        Assert.True(double.IsNaN(ticks[1].Bid) && double.IsNaN(ticks[1].Ask));
        Assert.Equal(ticks[0].SymbolId, ticks[1].SymbolId);

        Assert.Equal(TickFields.Quote | TickFields.Trade, ticks[2].Fields);
        Assert.True(_symbols.IsOption(ticks[2].SymbolId));
        Assert.Equal(ticks[0].SymbolId, _symbols.UnderlyingOf(ticks[2].SymbolId));
        Assert.Equal((17.10, 17.20, 17.15), (ticks[2].Bid, ticks[2].Ask, ticks[2].Last));
        Assert.Equal(NanoTime.ParseRfc3339("2026-01-29T16:36:39Z") + 1000, ticks[2].TimeNs);
    }

    [Fact]
    public void Crlf_lines_bom_blank_lines_and_a_missing_final_newline_read_the_same()
    {
        string lf = Header + "2026-01-29T16:36:38Z,SPY,596.1,596.2,\n2026-01-29T16:36:39Z,SPY,,,596.15\n";
        string crlf = "\r\n" + lf.Replace("\n", "\r\n", StringComparison.Ordinal) + "\r\n  \r\n";
        var expected = TapeFiles.ReadAll(_files.Write("lf.csv", lf), _symbols);
        var bom = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes(lf.TrimEnd('\n'))).ToArray();

        Assert.Equal(2, expected.Count);
        Assert.Equal(expected, TapeFiles.ReadAll(_files.Write("crlf.csv", crlf), _symbols));
        Assert.Equal(expected, TapeFiles.ReadAll(_files.WriteBytes("bom.csv", bom), _symbols));
    }

    [Fact]
    public void Nine_fractional_digits_keep_every_nanosecond()
    {
        var path = _files.Write("ns.csv", Header +
            "2024-07-24T07:56:53.639713735Z,SPY,1,2,\n" +
            "2024-07-24T07:56:53.639713736Z,SPY,1,2,\n");
        var ticks = TapeFiles.ReadAll(path, _symbols);
        Assert.Equal("2024-07-24T07:56:53.639713735Z", NanoTime.FormatRfc3339(ticks[0].TimeNs));
        Assert.Equal(1, ticks[1].TimeNs - ticks[0].TimeNs);
    }

    [Fact]
    public void Header_columns_may_come_in_any_order_and_equal_times_keep_file_order()
    {
        var path = _files.Write("order.csv", "symbol,last,time,ask,bid\n" +
            "SPY,,2026-01-29T16:00:00Z,2.5,2.4\n" +
            "QQQ,3,2026-01-29T16:00:00Z,,\n");
        var ticks = TapeFiles.ReadAll(path, _symbols);
        Assert.Equal(("SPY", 2.4, 2.5), (_symbols[ticks[0].SymbolId], ticks[0].Bid, ticks[0].Ask));
        Assert.Equal(("QQQ", 3.0), (_symbols[ticks[1].SymbolId], ticks[1].Last));
    }

    [Fact]
    public void Insane_quotes_are_passed_on_not_hidden()
    {
        var path = _files.Write("insane.csv", Header +
            "2026-01-29T16:00:00Z,SPY260220P00580000,2.50,2.40,\n" +   // crossed
            "2026-01-29T16:00:01Z,SPY260220P00580000,0,0,\n" +         // zero ask
            "2026-01-29T16:00:02Z,SPY260220P00580000,2.40,2.50,\n");
        var ticks = TapeFiles.ReadAll(path, _symbols);
        Assert.Equal(3, ticks.Count);
        Assert.False(ticks[0].IsSaneQuote);
        Assert.False(ticks[1].IsSaneQuote);
        Assert.True(ticks[2].IsSaneQuote);
        Assert.Equal((2.50, 2.40), (ticks[0].Bid, ticks[0].Ask));
    }

    [Fact]
    public void Reads_alpaca_jsonl_and_skips_other_message_types_and_keys()
    {
        var path = _files.Write("ticks.jsonl",
            """
            [{"T":"success","msg":"authenticated"}]
            {"T":"subscription","trades":["SPY"],"quotes":["SPY"]}
            {"T":"q","S":"SPY","bx":"V","bp":596.1,"bs":3,"ax":"V","ap":596.2,"as":4,"c":["R"],"z":"B","t":"2026-01-29T16:36:38.123456789Z"}
            {"T":"b","S":"SPY","o":1,"h":2,"l":0.5,"c":1.5,"v":100,"t":"2026-01-29T16:36:00Z"}
            {"t":"2026-01-29T16:36:39Z","S":"SPY","p":596.15,"s":100,"x":"V","i":52983525029461,"c":["@","I"],"z":"B","T":"t"}
            {"T":"q","S":"META260220C00720000","bp":17.1,"ap":17.2,"bx":"C","ax":"C","bs":1,"as":2,"c":"A","t":"2026-01-29T16:36:40Z"}
            {"T":"s","S":"SPY","sc":"H","sm":"Trading Halt","t":"2026-01-29T16:36:41Z"}
            {"T":"t","S":"\u0053PY","p":1e2,"t":"2026-01-29T16:36:42Z"}
            """.Replace("[{\"T\":\"success\",\"msg\":\"authenticated\"}]\n", "", StringComparison.Ordinal));
        var ticks = TapeFiles.ReadAll(path, _symbols);

        Assert.Equal(4, ticks.Count);
        Assert.Equal(TickFields.Quote, ticks[0].Fields);
        Assert.Equal((596.1, 596.2), (ticks[0].Bid, ticks[0].Ask));
        Assert.Equal("2026-01-29T16:36:38.123456789Z", NanoTime.FormatRfc3339(ticks[0].TimeNs));
        Assert.Equal(TickFields.Trade, ticks[1].Fields);
        Assert.Equal(596.15, ticks[1].Last);
        Assert.True(_symbols.IsOption(ticks[2].SymbolId));
        Assert.Equal("SPY", _symbols[ticks[3].SymbolId]); // escaped in the file
        Assert.Equal(100.0, ticks[3].Last);
    }

    [Fact]
    public void The_format_is_sniffed_when_the_extension_says_nothing()
    {
        var json = _files.Write("tape.txt", "\n{\"T\":\"t\",\"S\":\"SPY\",\"p\":1.5,\"t\":\"2026-01-29T16:36:42Z\"}\n");
        var csv = _files.Write("tape.dat", Header + "2026-01-29T16:36:42Z,SPY,,,1.5\n");
        using (var r = TapeReader.Open(json, _symbols)) Assert.Equal(TapeFormat.Jsonl, r.Format);
        using (var r = TapeReader.Open(csv, _symbols)) Assert.Equal(TapeFormat.Csv, r.Format);
        Assert.Equal(TapeFiles.ReadAll(json, _symbols), TapeFiles.ReadAll(csv, _symbols));
    }

    public static TheoryData<string, string, string> CsvErrors => new()
    {
        { "bad number", "2026-01-29T16:36:38Z,SPY,1.2x,1.3,\n", "ticks.csv:2: column 'bid': '1.2x' is not a number" },
        { "bad last", "2026-01-29T16:36:38Z,SPY,,,abc\n", "ticks.csv:2: column 'last': 'abc' is not a number" },
        { "bad time", "2026-01-29 16:36:38,SPY,1,2,\n", "ticks.csv:2: column 'time': '2026-01-29 16:36:38' is not an RFC 3339 time" },
        { "too few columns", "2026-01-29T16:36:38Z,SPY,1,2\n", "ticks.csv:2: expected 5 columns (time,symbol,bid,ask,last), got 4" },
        { "too many columns", "2026-01-29T16:36:38Z,SPY,1,2,3,4\n", "ticks.csv:2: expected 5 columns (time,symbol,bid,ask,last), got 6" },
        { "only bid", "2026-01-29T16:36:38Z,SPY,1,,\n", "ticks.csv:2: column 'ask': empty while 'bid' is set: a quote needs both bid and ask" },
        { "only ask", "2026-01-29T16:36:38Z,SPY,,1,\n", "ticks.csv:2: column 'bid': empty while 'ask' is set: a quote needs both bid and ask" },
        { "empty row", "2026-01-29T16:36:38Z,SPY,,,\n", "ticks.csv:2: row has neither a quote (bid and ask) nor a trade (last)" },
        { "bad option date", "2026-01-29T16:36:38Z,META260230C00720000,1,2,\n", "ticks.csv:2: column 'symbol': option symbol 'META260230C00720000': expiration '260230' is not a calendar date" },
        { "bad option right", "2026-01-29T16:36:38Z,META260220X00720000,1,2,\n", "ticks.csv:2: column 'symbol': option symbol 'META260220X00720000': right 'X' must be C or P" },
        { "empty symbol", "2026-01-29T16:36:38Z,,1,2,\n", "ticks.csv:2: column 'symbol': symbol is empty" },
        { "lowercase ticker", "2026-01-29T16:36:38Z,spy,1,2,\n", "ticks.csv:2: column 'symbol': 'spy' is neither a ticker" },
        { "backwards", "2026-01-29T16:36:38Z,SPY,1,2,\n2026-01-29T16:36:37.999Z,SPY,1,2,\n", "ticks.csv:3: column 'time': 2026-01-29T16:36:37.999Z is earlier than the previous row's 2026-01-29T16:36:38Z" },
    };

    [Theory]
    [MemberData(nameof(CsvErrors))]
    public void Malformed_csv_rows_name_file_line_and_column(string why, string rows, string expected)
    {
        var path = _files.Write("ticks.csv", Header + rows);
        var e = Assert.Throws<TapeFormatException>(() => TapeFiles.ReadAll(path, _symbols));
        Assert.StartsWith(Path.GetDirectoryName(path)!, e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.True(e.LineNumber >= 2, why);
    }

    [Fact]
    public void The_error_on_line_17_says_line_17()
    {
        var sb = new StringBuilder(Header);
        for (int i = 0; i < 15; i++) sb.Append("2026-01-29T16:36:").Append(10 + i).Append("Z,SPY,1.1,1.2,\n");
        sb.Append("2026-01-29T16:36:59Z,SPY,1.2x,1.3,\n");
        var path = _files.Write("ticks.csv", sb.ToString());
        var e = Assert.Throws<TapeFormatException>(() => TapeFiles.ReadAll(path, _symbols));
        Assert.EndsWith("ticks.csv:17: column 'bid': '1.2x' is not a number", e.Message, StringComparison.Ordinal);
        Assert.Equal(17, e.LineNumber);
        Assert.Equal("bid", e.Field);
        Assert.Equal(path, e.FilePath);
    }

    [Theory]
    [InlineData("2026-01-29T16:36:38Z,SPY,1,2,\n", "ticks.csv:1: missing header: expected 'time,symbol,bid,ask,last', got '2026-01-29T16:36:38Z,SPY,1,2,'")]
    [InlineData("time,symbol,bid,ask\n", "ticks.csv:1: missing header")]
    [InlineData("time,symbol,bid,ask,bid\n", "ticks.csv:1: missing header")]
    [InlineData("", "ticks.csv:1: missing header: the tape is empty")]
    public void A_csv_without_its_header_is_an_error(string content, string expected)
    {
        var path = _files.Write("ticks.csv", content);
        var e = Assert.Throws<TapeFormatException>(() => TapeFiles.ReadAll(path, _symbols));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> JsonErrors => new()
    {
        { "{\"T\":\"q\",\"S\":\"SPY\",\"bp\":1.0,\"ap\":\"1.1\",\"t\":\"2026-01-29T16:36:38Z\"}", "ticks.jsonl:1: field 'ap': expected a number, got String" },
        { "{\"T\":\"q\",\"S\":\"SPY\",\"bp\":1.0,\"t\":\"2026-01-29T16:36:38Z\"}", "ticks.jsonl:1: field 'ap': missing in a quote message" },
        { "{\"T\":\"t\",\"S\":\"SPY\",\"t\":\"2026-01-29T16:36:38Z\"}", "ticks.jsonl:1: field 'p': missing in a trade message" },
        { "{\"T\":\"t\",\"p\":1.0,\"t\":\"2026-01-29T16:36:38Z\"}", "ticks.jsonl:1: field 'S': missing in a trade message" },
        { "{\"T\":\"t\",\"S\":\"SPY\",\"p\":1.0}", "ticks.jsonl:1: field 't': missing in a trade message" },
        { "{\"T\":\"t\",\"S\":\"SPY\",\"p\":1.0,\"t\":\"yesterday\"}", "ticks.jsonl:1: field 't': 'yesterday' is not an RFC 3339 time" },
        { "{\"S\":\"SPY\",\"p\":1.0,\"t\":\"2026-01-29T16:36:38Z\"}", "ticks.jsonl:1: field 'T': missing" },
        { "{\"T\":\"t\",\"S\":\"SPY\",\"p\":1.0,\"t\":\"2026-01-29T16:36:38Z\"", "ticks.jsonl:1: not valid JSON" },
        { "[{\"T\":\"t\",\"S\":\"SPY\",\"p\":1.0,\"t\":\"2026-01-29T16:36:38Z\"}]", "ticks.jsonl:1: expected a JSON object" },
        { "{\"T\":\"t\",\"S\":\"SPY\",\"p\":1.0,\"t\":\"2026-01-29T16:36:38Z\"} {}", "ticks.jsonl:1: not valid JSON: '{' is invalid after a single JSON value" },
        { "{\"T\":\"q\",\"S\":\"SPY260220Q00580000\",\"bp\":1.0,\"ap\":1.1,\"t\":\"2026-01-29T16:36:38Z\"}", "ticks.jsonl:1: field 'S': option symbol 'SPY260220Q00580000': right 'Q' must be C or P" },
    };

    [Theory]
    [MemberData(nameof(JsonErrors))]
    public void Malformed_jsonl_lines_name_file_line_and_field(string line, string expected)
    {
        var path = _files.Write("ticks.jsonl", line + "\n");
        var e = Assert.Throws<TapeFormatException>(() => TapeFiles.ReadAll(path, _symbols));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Jsonl_time_going_backwards_is_an_error()
    {
        var path = _files.Write("ticks.jsonl",
            "{\"T\":\"t\",\"S\":\"SPY\",\"p\":1.0,\"t\":\"2026-01-29T16:36:38Z\"}\n" +
            "{\"T\":\"t\",\"S\":\"SPY\",\"p\":1.0,\"t\":\"2026-01-29T16:36:37Z\"}\n");
        var e = Assert.Throws<TapeFormatException>(() => TapeFiles.ReadAll(path, _symbols));
        Assert.Contains("ticks.jsonl:2: field 't': 2026-01-29T16:36:37Z is earlier than", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_says_which()
    {
        var path = Path.Combine(Path.GetDirectoryName(_files.Write("other.csv", Header))!, "missing.csv");
        var e = Assert.Throws<FileNotFoundException>(() => TapeReader.Open(path, _symbols));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }
}
