using System.Security.Cryptography;
using Streamer.Feed.Synth;
using Streamer.Feed.Tapes;
using Streamer.Rules.Calendar;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;
using Streamer.Rules.Pricing;

namespace Streamer.Feed.Tests.Synth;

public class SynthTapeTests
{
    private static readonly string[] SpyChain =
        ["SPY", "SPY260220P00580000", "SPY260220P00575000", "SPY260220C00600000", "SPY260116C00596000", "SPY260109P00590000", "SPY260106C00597000",
         "META260220C00720000", "QQQ"];

    private static SynthOptions Options(ulong seed = 7, long? ticks = 30_000, int? days = null, double bad = 0) => new()
    {
        Symbols = SpyChain,
        Spots = new Dictionary<string, double> { ["SPY"] = 596.20, ["META"] = 720.93 },
        Vols = new Dictionary<string, double> { ["SPY"] = 0.18 },
        Start = new DateOnly(2026, 1, 5),
        Days = days,
        TicksPerSecond = 5,
        Seed = seed,
        Ticks = ticks,
        BadQuoteRate = bad,
    };

    private static (byte[] Bytes, SynthResult Result) Generate(SynthOptions options)
    {
        var stream = new MemoryStream();
        var result = SynthTape.Write(options, stream);
        return (stream.ToArray(), result);
    }

    private static List<Tick> Read(byte[] bytes, SymbolTable symbols)
    {
        using var reader = TapeReader.Create(new MemoryStream(bytes), "synth.csv", symbols, TapeFormat.Csv);
        var ticks = new List<Tick>();
        while (reader.TryRead(out var tick)) ticks.Add(tick);
        return ticks;
    }

    [Fact]
    public void The_same_seed_gives_the_same_bytes_and_another_seed_differs()
    {
        var a = Generate(Options(seed: 42)).Bytes;
        var b = Generate(Options(seed: 42)).Bytes;
        var c = Generate(Options(seed: 43)).Bytes;
        Assert.Equal(SHA256.HashData(a), SHA256.HashData(b));
        Assert.NotEqual(SHA256.HashData(a), SHA256.HashData(c));
    }

    [Fact]
    public void Output_reads_back_with_the_tape_reader_row_for_row()
    {
        var (bytes, result) = Generate(Options());
        var symbols = new SymbolTable();
        var ticks = Read(bytes, symbols);
        Assert.Equal(30_000, result.Rows);
        Assert.Equal(result.Rows, ticks.Count);
        Assert.Equal(result.Rows, result.UnderlyingQuotes + result.Trades + result.OptionQuotes);
        Assert.Equal(result.FirstTimeNs, ticks[0].TimeNs);
        Assert.Equal(result.LastTimeNs, ticks[^1].TimeNs);
        foreach (var name in SpyChain[..^1]) Assert.NotEqual(0, symbols.Lookup(name)); // every listed instrument (QQQ: checked below) appears
        Assert.NotEqual(0, symbols.Lookup("QQQ"));
        Assert.True(result.Trades > 0 && result.OptionQuotes > 0 && result.UnderlyingQuotes > 0);
    }

    [Fact]
    public void Every_tick_is_inside_a_regular_session_across_several_days()
    {
        var (bytes, result) = Generate(Options(ticks: null, days: 4));
        Assert.Equal(4, result.Sessions);
        var calendar = MarketCalendar.Nyse;
        var days = new HashSet<DateOnly>();
        foreach (var tick in Read(bytes, new SymbolTable()))
        {
            Assert.True(calendar.IsInSession(tick.TimeNs), Streamer.Rules.Time.NanoTime.FormatRfc3339(tick.TimeNs));
            days.Add(calendar.NewYorkDate(tick.TimeNs));
        }
        // Jan 5-8 2026 are Mon-Thu trading days
        Assert.Equal(new[] { 5, 6, 7, 8 }, days.Select(d => d.Day).Order().ToArray());
    }

    [Fact]
    public void The_tick_rate_is_respected_for_stocks()
    {
        var options = new SynthOptions { Symbols = ["AAPL", "MSFT"], TicksPerSecond = 2, Days = 1, Seed = 5 };
        var (_, result) = Generate(options);
        // 6.5 h session × 2/s = 46,800 events expected, plus 2 opening quotes
        Assert.InRange(result.Rows, 46_800 * 0.97, 46_800 * 1.03);
        Assert.Equal(0, result.OptionQuotes);
    }

    [Fact]
    public void Option_quotes_are_never_crossed_and_sit_on_the_tick_grid()
    {
        var symbols = new SymbolTable();
        var ticks = Read(Generate(Options()).Bytes, symbols);
        int optionQuotes = 0;
        foreach (var t in ticks)
        {
            if (!symbols.IsOption(t.SymbolId)) continue;
            optionQuotes++;
            Assert.True(t.IsSaneQuote && t.Bid < t.Ask, $"{symbols[t.SymbolId]} {t.Bid}/{t.Ask}");
            long bid = (long)Math.Round(t.Bid * 100), ask = (long)Math.Round(t.Ask * 100);
            Assert.Equal(t.Bid * 100, bid, 6);
            if (bid >= 300) Assert.True(bid % 5 == 0 && ask % 5 == 0, $"{t.Bid}/{t.Ask} off the 0.05 grid");
            Assert.InRange(t.Ask - t.Bid, 0.01, Math.Max(0.10, 0.12 * t.Ask));
        }
        Assert.True(optionQuotes > 5_000);
    }

    [Fact]
    public void Bad_quotes_appear_only_when_asked_at_about_the_asked_rate()
    {
        var symbols = new SymbolTable();
        var (bytes, result) = Generate(Options(bad: 0.05));
        var ticks = Read(bytes, symbols);
        int insane = ticks.Count(t => t.HasQuote && !t.IsSaneQuote);
        int optionQuotes = ticks.Count(t => symbols.IsOption(t.SymbolId));
        Assert.Equal(result.BadQuotes, insane);
        Assert.InRange(insane / (double)optionQuotes, 0.04, 0.06);
        Assert.All(ticks.Where(t => t.HasQuote && !t.IsSaneQuote), t => Assert.True(symbols.IsOption(t.SymbolId)));

        var clean = Read(Generate(Options(bad: 0)).Bytes, new SymbolTable());
        Assert.DoesNotContain(clean, t => t.HasQuote && !t.IsSaneQuote);
    }

    [Fact]
    public void Option_quotes_bracket_black_scholes_on_the_last_underlying_quote()
    {
        var symbols = new SymbolTable();
        var ticks = Read(Generate(Options()).Bytes, symbols);
        var mids = new Dictionary<int, double>();
        int checkedQuotes = 0, nearAtm = 0;
        foreach (var t in ticks)
        {
            if (!symbols.IsOption(t.SymbolId))
            {
                if (t.HasQuote) mids[t.SymbolId] = (t.Bid + t.Ask) / 2;
                continue;
            }
            var occ = symbols.Option(t.SymbolId)!.Value;
            double spot = mids[symbols.UnderlyingOf(t.SymbolId)];
            double years = (MarketCalendar.ExpirationUtc(occ.Expiration) - t.TimeNs) / (365.0 * 86_400e9);
            double baseVol = occ.Root == "SPY" ? 0.18 : SynthOptions.DefaultVol;

            // the quote brackets the model price on the tape's own last underlying mid
            double model = OptionQuoteModel.TheoreticalPrice(occ.Right, spot, occ.Strike, years, baseVol);
            Assert.InRange(model, t.Bid - 1e-9, t.Ask + 1e-9);

            // and, independently of the model: near the money the mid's implied vol is the underlying's vol, give or take the smile
            double moneyness = Math.Log(occ.Strike / spot);
            if (Math.Abs(moneyness) < 0.02 && years > 0.02)
            {
                var status = ImpliedVolatility.TrySolve(occ.Right, (t.Bid + t.Ask) / 2, spot, occ.Strike, years, 0.04, 0, out double iv);
                Assert.Equal(IvStatus.Ok, status);
                Assert.InRange(iv, baseVol * 0.9, baseVol * 1.45);
                nearAtm++;
            }
            checkedQuotes++;
        }
        Assert.True(checkedQuotes > 5_000 && nearAtm > 100, $"{checkedQuotes} quotes, {nearAtm} near the money");
    }

    [Fact]
    public void Underlying_trades_print_between_the_bid_and_ask_of_the_moment()
    {
        var symbols = new SymbolTable();
        var quotes = new Dictionary<int, (double Bid, double Ask)>();
        int trades = 0;
        foreach (var t in Read(Generate(Options()).Bytes, symbols))
        {
            if (symbols.IsOption(t.SymbolId)) continue;
            if (t.HasQuote) { Assert.True(t.Ask - t.Bid >= 0.01 - 1e-9); quotes[t.SymbolId] = (t.Bid, t.Ask); }
            if (t.HasTrade) { var q = quotes[t.SymbolId]; Assert.InRange(t.Last, q.Bid, q.Ask); trades++; }
        }
        Assert.True(trades > 1000);
    }

    [Fact]
    public void An_option_stops_quoting_at_its_expiration_instant()
    {
        var symbols = new SymbolTable();
        var ticks = Read(Generate(Options(ticks: null, days: 3)).Bytes, symbols);
        long expiry = MarketCalendar.ExpirationUtc(new DateOnly(2026, 1, 6));
        int id = symbols.Lookup("SPY260106C00597000");
        Assert.Contains(ticks, t => t.SymbolId == id);
        Assert.DoesNotContain(ticks, t => t.SymbolId == id && t.TimeNs >= expiry);
        Assert.Contains(ticks, t => t.TimeNs >= expiry); // the tape goes on
    }

    [Theory]
    [InlineData(new[] { "SPY260230P00580000" }, "expiration '260230' is not a calendar date")]
    [InlineData(new[] { "spy" }, "'spy' is neither a ticker")]
    [InlineData(new string[0], "no symbols")]
    public void Bad_symbols_are_rejected_by_name(string[] symbols, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => SynthTape.Write(new SynthOptions { Symbols = symbols }, Stream.Null));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_spot_for_an_unknown_underlying_is_rejected()
    {
        var options = new SynthOptions { Symbols = ["SPY"], Spots = new Dictionary<string, double> { ["QQQ"] = 500 } };
        var e = Assert.Throws<ArgumentException>(() => SynthTape.Write(options, Stream.Null));
        Assert.Contains("spot given for 'QQQ'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Default_spot_is_the_median_strike_so_the_chain_is_near_the_money()
    {
        var symbols = new SymbolTable();
        var options = new SynthOptions { Symbols = ["IWM260220C00200000", "IWM260220C00210000", "IWM260220P00220000"], Ticks = 10 };
        var first = Read(Generate(options).Bytes, symbols)[0];
        Assert.Equal("IWM", symbols[first.SymbolId]);
        Assert.InRange((first.Bid + first.Ask) / 2, 209.9, 210.1);
    }
}
