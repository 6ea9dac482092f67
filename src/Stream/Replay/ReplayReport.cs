using System.Globalization;
using System.Text;
using System.Text.Json;
using Streamer.Rules.Calendar;
using Streamer.Rules.Time;
using Streamer.Stream.Contracts;
namespace Streamer.Stream.Replay;

/// <summary>The replay report (formats.md): JSON, an exits CSV, and the console summary a trader reads.</summary>
public static class ReplayReport
{
    public static void WriteJson(ReplayResult result, System.IO.Stream output)
    {
        using var w = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteStartArray("exits"u8);
        foreach (var e in result.Exits)
        {
            using var doc = JsonDocument.Parse(e.Json);
            doc.RootElement.WriteTo(w);
        }
        w.WriteEndArray();
        w.WriteStartArray("positions"u8);
        foreach (var p in result.Positions)
        {
            w.WriteStartObject();
            w.WriteString("id"u8, p.Id);
            w.WriteString("status"u8, p.Status);
            w.WriteNumber("contracts_remaining"u8, p.ContractsRemaining);
            ExitEventJson.Number(w, "realized_pnl"u8, p.RealizedPnl, 2);
            w.WriteString("book"u8, p.Book);
            w.WriteNumber("contracts_original"u8, p.ContractsOriginal);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        var s = result.Stats;
        w.WriteStartObject("stats"u8);
        w.WriteNumber("ticks"u8, s.Ticks);
        w.WriteNumber("exits"u8, s.Exits);
        w.WriteNumber("elapsed_ms"u8, Math.Round(s.ElapsedMs, 3));
        w.WriteNumber("ticks_per_second"u8, Math.Round(s.TicksPerSecond));
        w.WriteNumber("positions"u8, s.Positions);
        w.WriteNumber("symbols"u8, s.Symbols);
        w.WriteNumber("insane_quotes_ignored"u8, s.InsaneQuotes);
        w.WriteNumber("out_of_order_ignored"u8, s.OutOfOrder);
        w.WriteNumber("iv_failures"u8, s.IvFailures);
        w.WriteNumber("deferred_to_open"u8, s.Deferred);
        w.WriteStartObject("tick_latency_ns"u8);
        w.WriteNumber("p50"u8, s.TickP50Ns);
        w.WriteNumber("p99"u8, s.TickP99Ns);
        w.WriteNumber("p99_9"u8, s.TickP999Ns);
        w.WriteNumber("max"u8, s.TickMaxNs);
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    public static void WriteCsv(ReplayResult result, TextWriter output)
    {
        output.WriteLine("id,position_id,underlying,rule,reason,time,contracts_closed,contracts_remaining,contracts_original,underlying_price,value,pnl,pnl_pct,pct_max_profit,delta,gamma,theta,vega");
        foreach (var e in result.Exits)
        {
            output.WriteLine(string.Join(',',
                Csv(e.Id), Csv(e.PositionId), Csv(e.Underlying), e.Rule, Csv(e.Reason), NanoTime.FormatRfc3339(e.TimeNs),
                I(e.ContractsClosed), I(e.ContractsRemaining), I(e.ContractsOriginal),
                D(e.UnderlyingPrice, 4), D(e.Value, 2), D(e.Pnl, 2), D(e.PnlPct, 6), D(e.PctMaxProfit, 6),
                D(e.Greeks.Delta, 6), D(e.Greeks.Gamma, 6), D(e.Greeks.Theta, 6), D(e.Greeks.Vega, 6)));
        }
    }

    /// <summary>One line per exit as it fires: New York time, exit id, the trader's log line.</summary>
    public static string ExitLine(ExitRecord e) => $"{NewYork(e.TimeNs)}  {e.Id,-14} {e.LogLine}";

    public static void WriteSummary(ReplayResult result, TextWriter o)
    {
        o.WriteLine();
        o.WriteLine($"{"position",-14} {"book",-10} {"status",-7} {"open",9} {"realized P&L",14}  exits");
        foreach (var p in result.Positions)
        {
            var rules = string.Join(", ", result.Exits.Where(e => e.PositionId == p.Id).Select(e => $"{e.Rule} {e.ContractsClosed}"));
            o.WriteLine($"{p.Id,-14} {p.Book,-10} {p.Status,-7} {$"{p.ContractsRemaining}/{p.ContractsOriginal}",9} {Money(p.RealizedPnl),14}  {(rules.Length == 0 ? "-" : rules)}");
        }
        double total = result.Positions.Sum(p => p.RealizedPnl);
        o.WriteLine($"{"total",-14} {"",-10} {"",-7} {"",9} {Money(total),14}");
        var s = result.Stats;
        o.WriteLine();
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{s.Ticks:N0} ticks, {s.Exits} exits, {s.ElapsedMs:F1} ms ({s.TicksPerSecond:N0} ticks/s); engine per tick p50 {s.TickP50Ns} ns, p99 {s.TickP99Ns} ns"));
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ignored: {s.InsaneQuotes} insane quotes (crossed, zero ask), {s.OutOfOrder} out-of-order ticks; {s.IvFailures} marks with no implied vol; {s.Deferred} exits deferred to the next open"));
    }

    public static string Money(double v) =>
        double.IsFinite(v) ? (v < 0 ? "-$" : "$") + Math.Abs(v).ToString("#,##0.00", CultureInfo.InvariantCulture) : "n/a";

    public static string NewYork(long ns)
    {
        var local = NanoTime.ToDateTime(ns + MarketCalendar.UtcOffsetNs(ns));
        return local.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " ET";
    }

    private static string I(int v) => v.ToString(CultureInfo.InvariantCulture);

    private static string D(double v, int decimals) =>
        double.IsFinite(v) ? Math.Round(v, decimals, MidpointRounding.AwayFromZero).ToString("R", CultureInfo.InvariantCulture) : "";

    private static string Csv(string s) =>
        s.AsSpan().IndexOfAny(",\"\n") >= 0 ? "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : s;

    public static readonly Encoding Utf8NoBom = new UTF8Encoding(false);
}
