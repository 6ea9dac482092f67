using System.Text.Json;
using Streamer.Feed.Alpaca;
using Streamer.Feed.Tapes;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;
using Streamer.Stream.Alpaca.Recording;
using Streamer.Stream.Emulator;

namespace Streamer.Stream.Tests.Recording;

// streamer record's recorder against the emulator over real websockets on 127.0.0.1: what the
// streams delivered is on the tape in time order, and what a drop or a restart cost is named
public sealed class RecordTests : IDisposable
{
    private const string Call = "AAPL260220C00200000";
    private static readonly AlpacaCredentials Keys = new("K", "S");
    private static readonly string[] Symbols = ["AAPL", "SPY", Call];
    private static readonly long T0 = (new DateTime(2026, 1, 21, 15, 0, 0, DateTimeKind.Utc).Ticks - DateTime.UnixEpoch.Ticks) * 100;

    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"record-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    /// <summary>
    /// Every 10 ms of tape time: quotes on AAPL and SPY, a trade on AAPL every 2nd step; after a lead-in of
    /// <paramref name="leadInSteps"/> the option's quotes too (so both streams are live before its first tick).
    /// </summary>
    private static EmulatorTape Tape(int steps, int leadInSteps)
    {
        var symbols = new SymbolTable();
        int aapl = symbols.Intern("AAPL"), spy = symbols.Intern("SPY"), call = symbols.Intern(Call);
        var ticks = new List<Tick>();
        for (int k = 0; k < steps; k++)
        {
            long t = T0 + k * 10_000_000L;
            ticks.Add(Tick.Quote(t, aapl, 200 + k * 0.01, 200.02 + k * 0.01));
            ticks.Add(Tick.Quote(t, spy, 590 + k * 0.01, 590.01 + k * 0.01));
            if (k % 2 == 0) ticks.Add(Tick.Trade(t + 1, aapl, 200.01 + k * 0.01));
            if (k >= leadInSteps) ticks.Add(Tick.Quote(t + 2, call, 5 + k * 0.01, 5.1 + k * 0.01));
        }
        return EmulatorTape.FromTicks(symbols, ticks);
    }

    private TapeRecorder Recorder(AlpacaEmulator emulator, TextWriter? log = null) => new(new TapeRecorderOptions
    {
        DataUrl = emulator.DataUrl,
        Credentials = Keys,
        OutputDirectory = _dir,
        Symbols = Symbols,
        FlushInterval = TimeSpan.FromMilliseconds(100),
        InitialBackoff = TimeSpan.FromMilliseconds(100),
        MaxBackoff = TimeSpan.FromMilliseconds(200),
    }, log ?? TextWriter.Null);

    private static async Task WaitFor(Func<bool> condition, string what, int timeoutMs = 30_000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (!condition())
        {
            if (Environment.TickCount64 > deadline) throw new TimeoutException($"timed out waiting for {what}");
            await Task.Delay(20);
        }
    }

    private static List<(string Symbol, long Time, TickFields Fields, double Bid, double Ask, double Last)> Rows(string path)
    {
        var symbols = new SymbolTable();
        using var reader = TapeReader.Open(path, symbols); // refuses a tape out of time order
        var rows = new List<(string, long, TickFields, double, double, double)>();
        while (reader.TryRead(out var t)) rows.Add((symbols[t.SymbolId], t.TimeNs, t.Fields, t.Bid, t.Ask, t.Last));
        return rows;
    }

    private static List<(string Symbol, long Time, TickFields Fields, double Bid, double Ask, double Last)> Source(EmulatorTape tape) =>
        [.. tape.Ticks.Select(t => (tape.Symbols[t.SymbolId], t.TimeNs, t.Fields, t.Bid, t.Ask, t.Last))];

    private static bool IsOption(string symbol) => OccSymbol.LooksLikeOption(symbol);

    private static List<JsonElement> Sidecar(string tape) =>
        [.. File.ReadAllLines(TapeRecorder.SidecarPath(tape)).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement.Clone())];

    [Fact]
    public async Task Records_every_tick_both_streams_delivered_in_time_order()
    {
        var tape = Tape(steps: 300, leadInSteps: 100);
        await using var emulator = new AlpacaEmulator(tape, new EmulatorOptions { Speed = 1, Key = "K", Secret = "S" });
        await emulator.StartAsync();
        var recorder = Recorder(emulator);
        using var stop = new CancellationTokenSource();
        var run = recorder.RunAsync(stop.Token);
        await WaitFor(() => emulator.TapeFinished, "the emulator to play its tape");
        await Task.Delay(700); // holdback + flush
        await stop.CancelAsync();
        await run;

        var file = Assert.Single(recorder.Files);
        Assert.Equal(Path.Combine(_dir, "2026-01-21.csv"), file);
        var recorded = Rows(file);
        var source = Source(tape);
        // the clock starts at the first subscription, so the stocks stream may miss its first few ms; the
        // option's first tick comes a second in, when both streams are long live
        long firstStock = recorded.First(r => !IsOption(r.Symbol)).Time;
        Assert.True(firstStock <= T0 + 200_000_000L, $"first stock row at +{(firstStock - T0) / 1e6} ms");
        var expected = source.Where(r => IsOption(r.Symbol) || r.Time >= firstStock).ToList();
        Assert.Equal(expected, recorded);
        Assert.Empty(recorder.Gaps);
        Assert.Equal(0, recorder.LateRows);
        var meta = Sidecar(file);
        Assert.Equal(["start", "stop"], meta.Select(m => m.GetProperty("kind").GetString()));
        Assert.Equal(recorded.Count, meta[1].GetProperty("rows").GetInt64());
    }

    [Fact]
    public async Task A_dropped_connection_is_a_named_gap_covering_every_tick_it_lost()
    {
        var tape = Tape(steps: 400, leadInSteps: 50);
        await using var emulator = new AlpacaEmulator(tape, new EmulatorOptions { Speed = 1, Key = "K", Secret = "S" });
        await emulator.StartAsync();
        var log = new StringWriter();
        var recorder = Recorder(emulator, TextWriter.Synchronized(log));
        using var stop = new CancellationTokenSource();
        var run = recorder.RunAsync(stop.Token);
        await WaitFor(() => emulator.ConnectionCount == 2 && emulator.MessagesSent > 300, "both streams to be live and flowing");
        emulator.DropConnections();
        await WaitFor(() => recorder.Gaps.Count(g => g.ToNs is not null) >= 2, "both streams to come back");
        await WaitFor(() => emulator.TapeFinished, "the emulator to play its tape");
        await Task.Delay(700);
        await stop.CancelAsync();
        await run;

        var file = Assert.Single(recorder.Files);
        var recorded = Rows(file);
        var seen = recorded.ToHashSet();
        long firstStock = recorded.First(r => !IsOption(r.Symbol)).Time;
        var missing = Source(tape).Where(r => (IsOption(r.Symbol) || r.Time >= firstStock) && !seen.Contains(r)).ToList();
        Assert.NotEmpty(missing); // the drop cost something, or this test would prove nothing
        foreach (var row in missing)
        {
            string stream = IsOption(row.Symbol) ? "options" : "stocks";
            Assert.True(recorder.Gaps.Any(g => g.Stream == stream && (g.FromNs ?? long.MinValue) <= row.Time && row.Time <= (g.ToNs ?? long.MaxValue)),
                $"{row.Symbol} at {Rfc(row.Time)} is missing and no {stream} gap names it; gaps: {string.Join("; ", recorder.Gaps)}");
        }
        // each gap is no wider than what was lost: its ends are ticks that did arrive
        foreach (var g in recorder.Gaps)
        {
            Assert.Contains(recorded, r => r.Time == g.FromNs);
            Assert.Contains(recorded, r => r.Time == g.ToNs);
        }
        var gaps = Sidecar(file).Where(m => m.GetProperty("kind").GetString() == "gap").ToList();
        Assert.Equal(recorder.Gaps.Count, gaps.Count);
        Assert.All(gaps, g => Assert.False(string.IsNullOrEmpty(g.GetProperty("reason").GetString())));
        Assert.Contains("gap named", log.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_restart_on_the_same_day_continues_the_tape_and_names_the_time_it_was_down()
    {
        var tape = Tape(steps: 400, leadInSteps: 50);
        await using var emulator = new AlpacaEmulator(tape, new EmulatorOptions { Speed = 1, Key = "K", Secret = "S" });
        await emulator.StartAsync();
        var first = Recorder(emulator);
        using (var stop = new CancellationTokenSource())
        {
            var run = first.RunAsync(stop.Token);
            await WaitFor(() => first.RowsWritten > 200, "the first recorder to write");
            await stop.CancelAsync();
            await run;
        }
        var file = Assert.Single(first.Files);
        long lastOfFirst = Rows(file)[^1].Time;
        // a kill mid-write leaves half a row: the next recorder cuts it off
        await File.AppendAllTextAsync(file, "2026-01-21T15:00:0");
        await Task.Delay(300);

        var second = Recorder(emulator);
        using (var stop = new CancellationTokenSource())
        {
            var run = second.RunAsync(stop.Token);
            await WaitFor(() => emulator.TapeFinished, "the emulator to play its tape");
            await Task.Delay(700);
            await stop.CancelAsync();
            await run;
        }
        Assert.Equal(file, Assert.Single(second.Files));
        var lines = await File.ReadAllLinesAsync(file);
        Assert.Single(lines, l => l.StartsWith("time,", StringComparison.Ordinal)); // one header
        var recorded = Rows(file); // in time order across both runs
        // per stream: from its own last row in the file (the streams stop one after the other) to its first tick now
        Assert.Equal(["options", "stocks"], second.Gaps.Select(g => g.Stream).Order());
        Assert.All(second.Gaps, g => Assert.StartsWith("not recording", g.Reason, StringComparison.Ordinal));
        Assert.Contains(second.Gaps, g => g.FromNs == lastOfFirst);
        var seen = recorded.ToHashSet();
        long firstStock = recorded.First(r => !IsOption(r.Symbol)).Time;
        var missing = Source(tape).Where(r => (IsOption(r.Symbol) || r.Time >= firstStock) && !seen.Contains(r)).ToList();
        Assert.NotEmpty(missing);
        foreach (var row in missing)
        {
            string stream = IsOption(row.Symbol) ? "options" : "stocks";
            var gap = Assert.Single(second.Gaps, g => g.Stream == stream);
            Assert.InRange(row.Time, gap.FromNs!.Value, gap.ToNs!.Value);
        }
        Assert.Equal(2, Sidecar(file).Count(m => m.GetProperty("kind").GetString() == "gap" && m.GetProperty("reason").GetString()!.StartsWith("not recording", StringComparison.Ordinal)));
    }

    private static string Rfc(long ns) => Streamer.Rules.Time.NanoTime.FormatRfc3339(ns);
}
