using System.Text.Json;
using Streamer.Feed.Alpaca;
using Streamer.Feed.Tapes;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;
using Streamer.Rules.Time;
using Streamer.Stream.Alpaca.Recording;
using Streamer.Stream.Emulator;

namespace Streamer.Stream.Tests.Recording;

// streamer fetch's fetcher against the emulator's market-data REST over real HTTP on 127.0.0.1
public sealed class FetchTests : IDisposable
{
    private const string Call = "AAPL260220C00200000";
    private static readonly AlpacaCredentials Keys = new("K", "S");
    private static readonly long T0 = (new DateTime(2026, 1, 21, 15, 0, 0, DateTimeKind.Utc).Ticks - DateTime.UnixEpoch.Ticks) * 100;

    private readonly string _dir = Directory.CreateTempSubdirectory("fetch-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Two days: AAPL quotes and trades, SPY quotes, option quotes and trades (the quotes Alpaca would not have).</summary>
    private static EmulatorTape Tape()
    {
        var symbols = new SymbolTable();
        int aapl = symbols.Intern("AAPL"), spy = symbols.Intern("SPY"), call = symbols.Intern(Call);
        var ticks = new List<Tick>();
        foreach (long day in new[] { 0L, 86_400_000_000_000L })
        {
            for (int k = 0; k < 700; k++)
            {
                long t = T0 + day + k * 1_000_000_000L;
                ticks.Add(Tick.Quote(t, aapl, 200 + k * 0.01, 200.02 + k * 0.01));
                ticks.Add(Tick.Quote(t, spy, 590 + k * 0.01, 590.01 + k * 0.01));
                if (k % 3 == 0) ticks.Add(Tick.Trade(t + 1, aapl, 200.01 + k * 0.01));
                ticks.Add(Tick.Quote(t + 2, call, 5 + k * 0.01, 5.1 + k * 0.01));
                if (k % 7 == 0) ticks.Add(Tick.Trade(t + 3, call, 5.05 + k * 0.01));
            }
        }
        return EmulatorTape.FromTicks(symbols, ticks);
    }

    private static async Task<AlpacaEmulator> Emulator(EmulatorTape tape, RateLimit? limit = null)
    {
        var e = new AlpacaEmulator(tape, new EmulatorOptions { Speed = 1, Key = "K", Secret = "S", History = true, DataRateLimit = limit });
        await e.StartAsync();
        return e;
    }

    private TapeFetchOptions Options(AlpacaEmulator e, string output, int pageLimit = 500, AlpacaCredentials? keys = null) => new()
    {
        DataUrl = e.TradingUrl,
        Credentials = keys ?? Keys,
        StartNs = T0 - 3_600_000_000_000L,
        EndNs = T0 + 2 * 86_400_000_000_000L,
        Symbols = ["AAPL", "SPY", Call],
        Output = Path.Combine(_dir, output),
        PageLimit = pageLimit,
        MaxBackoff = TimeSpan.FromSeconds(2),
    };

    private static List<(string Symbol, long Time, TickFields Fields, double Bid, double Ask, double Last)> Rows(string path)
    {
        var symbols = new SymbolTable();
        using var reader = TapeReader.Open(path, symbols);
        var rows = new List<(string, long, TickFields, double, double, double)>();
        while (reader.TryRead(out var t)) rows.Add((symbols[t.SymbolId], t.TimeNs, t.Fields, t.Bid, t.Ask, t.Last));
        return rows;
    }

    /// <summary>What Alpaca's history holds of the tape: stocks' quotes and trades, options' trades only.</summary>
    private static List<(string Symbol, long Time, TickFields Fields, double Bid, double Ask, double Last)> History(EmulatorTape tape) =>
        [.. tape.Ticks
            .Where(t => !tape.Symbols.IsOption(t.SymbolId) || t.HasTrade)
            .Select(t => (tape.Symbols[t.SymbolId], t.TimeNs, t.Fields, t.HasQuote ? t.Bid : double.NaN, t.HasQuote ? t.Ask : double.NaN, t.HasTrade ? t.Last : double.NaN))];

    [Fact]
    public async Task Builds_the_tape_from_paged_history_through_429s_and_says_what_each_symbol_is()
    {
        var tape = Tape();
        var limit = new RateLimit(4, TimeSpan.FromSeconds(1));
        await using var emulator = await Emulator(tape, limit);
        using var client = new HistoricalDataClient(emulator.TradingUrl, Keys, maxBackoff: TimeSpan.FromSeconds(2));
        var options = Options(emulator, "two-days.csv", pageLimit: 100);
        var fetcher = new TapeFetcher(options, client);
        long rows = await fetcher.RunAsync(CancellationToken.None);

        var expected = History(tape);
        Assert.Equal(expected.Count, rows);
        Assert.Equal(expected, Rows(options.Output)); // in time order, equal times in symbol order as on the tape
        Assert.True(fetcher.Streams.Sum(s => s.Pages) > 10, "the history came in many pages");
        Assert.True(client.RateLimited > 0 && limit.Refused == client.RateLimited, $"429s: client {client.RateLimited}, server {limit.Refused}");
        Assert.False(Directory.Exists(options.Output + ".part"));

        var meta = JsonDocument.Parse(File.ReadAllText(options.Output + ".meta.jsonl")).RootElement;
        Assert.Equal("fetch", meta.GetProperty("kind").GetString());
        Assert.Equal(["quotes", "trades"], meta.GetProperty("sources").GetProperty("AAPL").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["trades"], meta.GetProperty("sources").GetProperty(Call).EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("no historical option quotes", meta.GetProperty("note").GetString(), StringComparison.Ordinal);
        Assert.Equal(client.RateLimited, meta.GetProperty("rate_limited").GetInt64());
    }

    [Fact]
    public async Task An_interrupted_fetch_resumes_and_writes_the_same_tape()
    {
        var tape = Tape();
        await using var emulator = await Emulator(tape);
        using var client = new HistoricalDataClient(emulator.TradingUrl, Keys);
        var whole = Options(emulator, "whole.csv");
        await new TapeFetcher(whole, client).RunAsync(CancellationToken.None);

        var part = Options(emulator, "resumed.csv");
        using (var stop = new CancellationTokenSource())
        {
            var first = new TapeFetcher(part, client);
            int pages = 0;
            first.PageDone += _ => { if (++pages == 5) stop.Cancel(); };
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first.RunAsync(stop.Token));
        }
        Assert.True(File.Exists(Path.Combine(part.Output + ".part", "state.json")));
        Assert.False(File.Exists(part.Output));
        // a kill between a page's rows and its state: rows past the recorded length are fetched again, not doubled
        var partFile = Directory.GetFiles(part.Output + ".part", "*.csv").OrderBy(f => new FileInfo(f).LastWriteTimeUtc).Last();
        await File.AppendAllTextAsync(partFile, "2026-01-21T15:00:00Z,AAPL,1,2,\n");

        var second = new TapeFetcher(part, client);
        long rows = await second.RunAsync(CancellationToken.None);
        Assert.True(second.Resumed);
        Assert.Equal(History(tape).Count, rows);
        Assert.Equal(await File.ReadAllBytesAsync(whole.Output), await File.ReadAllBytesAsync(part.Output));
    }

    [Fact]
    public async Task A_leftover_of_another_request_is_refused_naming_it()
    {
        var tape = Tape();
        await using var emulator = await Emulator(tape);
        using var client = new HistoricalDataClient(emulator.TradingUrl, Keys);
        var a = Options(emulator, "t.csv");
        using (var stop = new CancellationTokenSource())
        {
            var first = new TapeFetcher(a, client);
            first.PageDone += _ => stop.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first.RunAsync(stop.Token));
        }
        var other = new TapeFetchOptions { DataUrl = a.DataUrl, Credentials = Keys, StartNs = a.StartNs, EndNs = a.EndNs, Symbols = ["SPY"], Output = a.Output };
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => new TapeFetcher(other, client).RunAsync(CancellationToken.None));
        Assert.Contains("different request", e.Message, StringComparison.Ordinal);
        Assert.Contains(".part", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_keys_fail_with_alpacas_message_and_an_option_quote_history_does_not_exist()
    {
        var tape = Tape();
        await using var emulator = await Emulator(tape);
        using var bad = new HistoricalDataClient(emulator.TradingUrl, new AlpacaCredentials("K", "wrong"));
        var e = await Assert.ThrowsAsync<AlpacaHistoryException>(() => new TapeFetcher(Options(emulator, "bad.csv"), bad).RunAsync(CancellationToken.None));
        Assert.Equal(401, e.Status);
        Assert.Contains("not authorized", e.Message, StringComparison.Ordinal);

        using var client = new HistoricalDataClient(emulator.TradingUrl, Keys);
        var missing = await Assert.ThrowsAsync<AlpacaHistoryException>(() => client.GetAsync($"v1beta1/options/quotes?symbols={Call}", CancellationToken.None));
        Assert.Equal(404, missing.Status);
    }

    [Fact]
    public async Task Option_bars_stand_at_their_end_never_their_start()
    {
        var tape = Tape();
        await using var emulator = await Emulator(tape);
        using var client = new HistoricalDataClient(emulator.TradingUrl, Keys);
        var options = new TapeFetchOptions
        {
            DataUrl = emulator.TradingUrl, Credentials = Keys, StartNs = T0, EndNs = T0 + 600_000_000_000L,
            Symbols = [Call], Output = Path.Combine(_dir, "bars.jsonl"), OptionData = OptionHistory.Bars,
        };
        await new TapeFetcher(options, client).RunAsync(CancellationToken.None);
        var rows = Rows(options.Output);
        var trades = History(tape).Where(r => r.Symbol == Call && r.Time <= T0 + 600_000_000_000L).ToList();
        Assert.NotEmpty(rows);
        foreach (var bar in rows)
        {
            // the close of a minute is its last trade, and is on the tape only once that minute is over
            long minuteStart = bar.Time + 1 - 60_000_000_000L;
            var last = trades.Last(t => t.Time >= minuteStart && t.Time <= bar.Time);
            Assert.Equal(last.Last, bar.Last);
            Assert.Equal(0, (bar.Time + 1) % 60_000_000_000L);
        }
        Assert.Contains("bar closes", File.ReadAllText(options.Output + ".meta.jsonl"), StringComparison.Ordinal);
    }
}
