using System.Threading.Channels;
using Streamer.Feed.Alpaca;
using Streamer.Feed.Tapes;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;
using Streamer.Stream.Alpaca.MarketData;
using Streamer.Stream.Emulator;
using Streamer.Stream.Tests.Run;

namespace Streamer.Stream.Tests.Recording;

// `streamer record` and `streamer fetch` as their own processes against the emulator, and `streamer
// replay` over what they wrote
public sealed class RecordFetchProcessTests : IDisposable
{
    private const string Call = "AAPL260220C00200000";
    private static readonly long T0 = (new DateTime(2026, 1, 21, 15, 0, 0, DateTimeKind.Utc).Ticks - DateTime.UnixEpoch.Ticks) * 100;
    private static readonly Dictionary<string, string> Keys = new() { ["APCA_API_KEY_ID"] = "K", ["APCA_API_SECRET_KEY"] = "S" };

    private readonly string _dir = Directory.CreateTempSubdirectory("record-process-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>20 s: AAPL quotes and trades every 10 ms, the call's quotes and trades after a 1 s lead-in.</summary>
    private static EmulatorTape Tape()
    {
        var symbols = new SymbolTable();
        int aapl = symbols.Intern("AAPL"), call = symbols.Intern(Call);
        var ticks = new List<Tick>();
        for (int k = 0; k < 2000; k++)
        {
            long t = T0 + k * 10_000_000L;
            ticks.Add(Tick.Quote(t, aapl, 200 + k * 0.001, 200.02 + k * 0.001));
            if (k % 5 == 0) ticks.Add(Tick.Trade(t + 1, aapl, 200.01 + k * 0.001));
            if (k >= 100) ticks.Add(Tick.Quote(t + 2, call, 5 + k * 0.001, 5.1 + k * 0.001));
            if (k >= 100 && k % 10 == 0) ticks.Add(Tick.Trade(t + 3, call, 5.05 + k * 0.001));
        }
        return EmulatorTape.FromTicks(symbols, ticks);
    }

    private string Positions()
    {
        string path = Path.Combine(_dir, "positions.json");
        File.WriteAllText(path, """
            { "positions": [
              { "id": "AAPL-1", "book": "primary", "opened_at": "2026-01-21T15:00:00Z", "underlying_entry": 200.0,
                "legs": [ { "symbol": "AAPL260220C00200000", "qty": 2, "entry_price": 5.05 } ] } ] }
            """);
        return path;
    }

    private static List<(string Symbol, long Time, TickFields Fields, double Bid, double Ask, double Last)> Rows(string path)
    {
        var symbols = new SymbolTable();
        using var reader = TapeReader.Open(path, symbols);
        var rows = new List<(string, long, TickFields, double, double, double)>();
        while (reader.TryRead(out var t)) rows.Add((symbols[t.SymbolId], t.TimeNs, t.Fields, t.Bid, t.Ask, t.Last));
        return rows;
    }

    [Fact]
    public async Task A_killed_recorder_loses_at_most_the_last_second_and_replay_runs_its_tape()
    {
        var tape = Tape();
        await using var emulator = new AlpacaEmulator(tape, new EmulatorOptions { Speed = 1, Key = "K", Secret = "S" });
        await emulator.StartAsync();
        string outDir = Path.Combine(_dir, "tapes");
        using var record = StreamerProcess.Start(_dir, Keys, "record", "--out", outDir, "--positions", Positions(), "--data-url", emulator.DataUrl.ToString());
        // a witness on the same clock: the latest tick time the emulator has sent a stock client
        var symbols = new SymbolTable();
        symbols.Intern("AAPL");
        var seen = Channel.CreateUnbounded<Tick>();
        await using var witness = new AlpacaStreamClient(new AlpacaStreamOptions { DataUrl = emulator.DataUrl }, new AlpacaCredentials("K", "S"), symbols, seen.Writer);
        await witness.SubscribeAsync(["AAPL"]);
        witness.Start();
        long witnessed = long.MinValue;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (witnessed < T0 + 8_000_000_000L)
        {
            Assert.True(DateTime.UtcNow < deadline && !record.HasExited, $"the recorder did not get going; output:\n{record.Output}");
            while (seen.Reader.TryRead(out var t)) witnessed = Math.Max(witnessed, t.TimeNs);
            await Task.Delay(10);
        }
        record.Crash(); // kill -9 at about 8 s into the tape
        while (seen.Reader.TryRead(out var t)) witnessed = Math.Max(witnessed, t.TimeNs);

        string file = Path.Combine(outDir, "2026-01-21.csv");
        var recorded = Rows(file); // whole rows only, in time order
        var have = recorded.ToHashSet();
        long firstStock = recorded.First(r => r.Symbol == "AAPL").Time;
        var due = tape.Ticks
            .Select(t => (tape.Symbols[t.SymbolId], t.TimeNs, t.Fields, t.Bid, t.Ask, t.Last))
            .Where(r => r.TimeNs >= firstStock && r.TimeNs <= witnessed - 1_000_000_000L)
            .ToList();
        Assert.True(due.Count > 300, $"only {due.Count} rows were due before the kill");
        var lost = due.Where(r => !have.Contains(r)).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} rows older than a second before the kill are not on the tape, first at {(lost.FirstOrDefault().TimeNs - T0) / 1e6} ms; output:\n{record.Output}");

        var (code, output) = await StreamerProcess.RunAsync(_dir, "replay", "--positions", Positions(), "--ticks", file);
        Assert.True(code == 0, output);
        Assert.Contains("AAPL-1", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fetch_builds_a_tape_replay_runs_and_a_second_fetch_of_it_is_identical()
    {
        var tape = Tape();
        await using var emulator = new AlpacaEmulator(tape, new EmulatorOptions { Speed = 1, Key = "K", Secret = "S", History = true, DataRateLimit = new RateLimit(1, TimeSpan.FromSeconds(1)) });
        await emulator.StartAsync();
        string output = Path.Combine(_dir, "fetched.csv");
        using var fetch = StreamerProcess.Start(_dir, Keys, "fetch", "--from", "2026-01-21", "--to", "2026-01-21", "--positions", Positions(), "--out", output, "--data-url", emulator.TradingUrl.ToString());
        Assert.True(await fetch.WaitForExitAsync(TimeSpan.FromSeconds(60)) == 0, fetch.Output);
        Assert.Contains("rate-limited", fetch.Output, StringComparison.Ordinal);
        Assert.Contains("rate limited (429): waiting", fetch.Output, StringComparison.Ordinal);
        // stocks: quotes and trades; the option: its trades only (Alpaca keeps no historical option quotes)
        var expected = tape.Ticks.Where(t => !tape.Symbols.IsOption(t.SymbolId) || t.HasTrade).Count();
        Assert.Equal(expected, Rows(output).Count);

        var (code, replay) = await StreamerProcess.RunAsync(_dir, "replay", "--positions", Positions(), "--ticks", output);
        Assert.True(code == 0, replay);

        string again = Path.Combine(_dir, "again.stape");
        var (code2, out2) = await StreamerProcess.RunWithAsync(_dir, Keys, "fetch", "--from", "2026-01-21", "--to", "2026-01-21", "--symbols", $"AAPL,{Call}", "--out", again, "--data-url", emulator.TradingUrl.ToString());
        Assert.True(code2 == 0, out2);
        Assert.Equal(Rows(output), Rows(again)); // the binary tape holds the same ticks
    }

    [Fact]
    public async Task Without_keys_record_and_fetch_say_which_variables_to_set()
    {
        var (code, output) = await StreamerProcess.RunAsync(_dir, "record", "--out", Path.Combine(_dir, "x"), "--symbols", "AAPL");
        Assert.Equal(2, code);
        Assert.Contains("APCA_API_KEY_ID", output, StringComparison.Ordinal);
        var (code2, output2) = await StreamerProcess.RunAsync(_dir, "fetch", "--from", "2026-01-21", "--to", "2026-01-20", "--symbols", "AAPL", "--out", Path.Combine(_dir, "y.csv"));
        Assert.Equal(2, code2);
        Assert.Contains("--to is before --from", output2, StringComparison.Ordinal);
        var (code3, output3) = await StreamerProcess.RunAsync(_dir, "record", "--out", Path.Combine(_dir, "x"), "--symbols", "aapl;rm");
        Assert.Equal(2, code3);
        Assert.Contains("is not a symbol", output3, StringComparison.Ordinal);
    }
}
