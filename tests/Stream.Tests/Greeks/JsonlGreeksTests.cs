using System.Text;
using System.Text.Json;
using Streamer.Stream.Host.Cli;
using Streamer.Stream.Host.Commands;
using Streamer.Stream.Host.Greeks;
namespace Streamer.Stream.Tests.Greeks;

public sealed class JsonlGreeksTests
{
    private static List<JsonElement> Run(string input)
    {
        using var inStream = new MemoryStream(Encoding.UTF8.GetBytes(input));
        using var outStream = new MemoryStream();
        JsonlGreeks.Run(inStream, outStream);
        var text = Encoding.UTF8.GetString(outStream.ToArray());
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        return text.TrimEnd('\n').Split('\n').Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
    }

    private const string EuropeanCall = """{"right":"call","spot":100,"strike":100,"expiry_years":0.2,"rate":0.045,"dividend":0.01,"vol":0.25}""";

    [Fact]
    public void European_line_matches_quantlib_in_its_units()
    {
        // QuantLib 1.29 AnalyticEuropeanEngine, 73 days ACT/365 (tools/quantlib, same flat curves)
        var o = Assert.Single(Run(EuropeanCall + "\n"));
        Assert.Equal(4.790322676897933, o.GetProperty("price").GetDouble(), 1e-10);
        Assert.Equal(0.5460756048237668, o.GetProperty("delta").GetDouble(), 1e-12);
        Assert.Equal(0.03536198514338078, o.GetProperty("gamma").GetDouble(), 1e-12);
        Assert.Equal(17.68099257169039, o.GetProperty("vega").GetDouble(), 1e-9);
        Assert.Equal(-12.746320453729277, o.GetProperty("theta").GetDouble(), 1e-9);
        Assert.Equal(9.963447561095743, o.GetProperty("rho").GetDouble(), 1e-9);
        Assert.Equal(0.25, o.GetProperty("iv").GetDouble());
        Assert.Equal(["price", "delta", "gamma", "vega", "theta", "rho", "iv"], o.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void Price_instead_of_vol_solves_implied_vol_first()
    {
        var o = Assert.Single(Run("""{"right":"call","spot":100,"strike":100,"expiry_years":0.2,"rate":0.045,"dividend":0.01,"price":4.790322676897933}"""));
        Assert.Equal(0.25, o.GetProperty("iv").GetDouble(), 1e-9);
        Assert.Equal(4.790322676897933, o.GetProperty("price").GetDouble(), 1e-9);
        Assert.Equal(0.5460756048237668, o.GetProperty("delta").GetDouble(), 1e-8);
    }

    [Fact]
    public void American_style_prices_with_early_exercise_and_solves_american_iv()
    {
        // QuantLib 1.29 QdFpAmericanEngine high precision: 2.867454853264913 for this put at vol 0.3
        const string put = """{"right":"put","spot":100,"strike":95,"expiry_years":0.2,"rate":0.045,"dividend":0.01,"style":"american",""";
        var rows = Run(put + "\"vol\":0.3}\n" + put + "\"price\":2.867454853264913}\n");
        Assert.Equal(2.867454853264913, rows[0].GetProperty("price").GetDouble(), 1e-3);
        Assert.Equal(0.3, rows[1].GetProperty("iv").GetDouble(), 1e-4);
        // the European put is worth less
        var eu = Assert.Single(Run(put.Replace("\"style\":\"american\",", "", StringComparison.Ordinal) + "\"vol\":0.3}"));
        Assert.True(eu.GetProperty("price").GetDouble() < rows[0].GetProperty("price").GetDouble());
    }

    [Fact]
    public void Bad_lines_get_an_error_naming_the_problem_and_the_run_goes_on_in_order()
    {
        string[] lines =
        [
            EuropeanCall,
            "not json",
            """{"right":"call","strike":100,"expiry_years":0.2,"rate":0.045,"dividend":0.01,"vol":0.25}""",
            """{"right":"put","spot":100,"strike":100,"expiry_years":-0.5,"rate":0.045,"dividend":0.01,"vol":0.25}""",
            """{"right":"call","spot":120,"strike":100,"expiry_years":1,"rate":0.05,"dividend":0,"price":10}""",
            """{"right":"put","spot":100,"strike":100,"expiry_years":1,"rate":0.05,"dividend":0,"price":99}""",
            """{"right":"straddle","spot":100,"strike":100,"expiry_years":1,"rate":0.05,"dividend":0,"vol":0.2}""",
            """{"right":"call","spot":100,"strike":100,"expiry_years":1,"rate":0.05,"dividend":0,"vol":0.2,"style":"bermudan"}""",
            """{"right":"call","spot":"100","strike":100,"expiry_years":1,"rate":0.05,"dividend":0,"vol":0.2}""",
            "",
            EuropeanCall,
        ];
        var rows = Run(string.Join("\r\n", lines) + "\n");
        Assert.Equal(lines.Length, rows.Count);
        string Err(int i) => rows[i].GetProperty("error").GetString()!;
        Assert.Equal(4.790322676897933, rows[0].GetProperty("price").GetDouble(), 1e-10);
        Assert.Contains("line 2", Err(1), StringComparison.Ordinal);
        Assert.Contains("bad JSON", Err(1), StringComparison.Ordinal);
        Assert.Contains("missing field \"spot\"", Err(2), StringComparison.Ordinal);
        Assert.Contains("negative time", Err(3), StringComparison.Ordinal);
        Assert.Contains("below the discounted intrinsic", Err(4), StringComparison.Ordinal);
        Assert.Contains("no-arbitrage bound", Err(5), StringComparison.Ordinal);
        Assert.Contains("\"right\"", Err(6), StringComparison.Ordinal);
        Assert.Contains("\"style\"", Err(7), StringComparison.Ordinal);
        Assert.Contains("\"spot\" must be a finite number", Err(8), StringComparison.Ordinal);
        Assert.Contains("line 10: empty line", Err(9), StringComparison.Ordinal);
        Assert.Equal(4.790322676897933, rows[10].GetProperty("price").GetDouble(), 1e-10);
        Assert.False(rows[10].TryGetProperty("error", out _));
    }

    [Fact]
    public void Last_line_without_newline_is_answered_and_unknown_fields_are_ignored()
    {
        var rows = Run(EuropeanCall + "\n" + EuropeanCall.Replace("}", ",\"note\":{\"a\":[1,2]}}", StringComparison.Ordinal));
        Assert.Equal(2, rows.Count);
        Assert.Equal(rows[0].GetProperty("price").GetDouble(), rows[1].GetProperty("price").GetDouble());
    }

    [Fact]
    public void Many_lines_spanning_read_buffers_keep_their_order()
    {
        var sb = new StringBuilder();
        for (int i = 0; i < 3000; i++)
            sb.Append("{\"right\":\"put\",\"spot\":").Append(50 + i % 100).Append(",\"strike\":100,\"expiry_years\":0.5,\"rate\":0.03,\"dividend\":0,\"vol\":0.3}\n");
        var rows = Run(sb.ToString());
        Assert.Equal(3000, rows.Count);
        for (int i = 1; i < 100; i++) // put value falls as spot rises
            Assert.True(rows[i].GetProperty("price").GetDouble() < rows[i - 1].GetProperty("price").GetDouble());
        Assert.Equal(rows[7].GetProperty("price").GetDouble(), rows[107].GetProperty("price").GetDouble());
    }

    [Fact]
    public void Command_without_jsonl_is_a_usage_error()
    {
        var e = Assert.Throws<CliException>(() => GreeksCommand.Run([]));
        Assert.Contains("--jsonl", e.Message, StringComparison.Ordinal);
        Assert.Throws<CliException>(() => GreeksCommand.Run(["--jsonl", "--bogus"]));
    }
}
