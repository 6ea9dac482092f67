using Streamer.Feed.Tapes;
using Streamer.Rules.Calendar;
using Streamer.Rules.Instruments;

namespace Streamer.Feed.Synth;

/// <summary>
/// A seeded, reproducible synthetic CSV tape: underlyings follow a random walk with the given vol
/// (multiplicative Euler steps of GBM, no drift), quoted on the cent grid with spreads that widen
/// with price; trades print between bid and ask; options are quoted from Black-Scholes on the
/// underlying's published mid with a volatility smile, requoted whenever an underlying move
/// changes their quote and at random. Ticks fall only inside NYSE regular sessions.
/// The same options and seed give the same bytes on every machine (own PRNG, no System.Random;
/// the path uses only + − × ÷ √, which IEEE 754 fixes; Black-Scholes results are rounded to the
/// quote grid). Details: docs/tapes.md.
/// </summary>
public static class SynthTape
{
    // session time: 252 days of 6.5 h make a trading year
    private const double TradingYearNs = 252 * 6.5 * 3600 * 1e9;
    // the overnight gap carries a quarter of a day's variance
    private const double OvernightYears = 0.25 / 252;
    private const double UnderlyingEventShare = 0.6;   // of events when options exist; the rest requote a random option
    private const double TradeShare = 0.15;            // of underlying events
    private const int MaxSessionsWhenUnbounded = 10_000;

    public static SynthResult Write(SynthOptions options, Stream output)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        options.Validate();
        var rng = new Xoshiro256(options.Seed);
        var (underlyings, contracts) = Build(options, ref rng);
        var generator = new Generator(options, underlyings, contracts, rng);
        using var writer = new CsvTapeWriter(output, leaveOpen: true);
        return generator.Run(writer);
    }

    private static (SynthUnderlying[] Underlyings, SynthOption[] Options) Build(SynthOptions options, ref Xoshiro256 rng)
    {
        // underlyings in order of first mention; spot from --spot, else the median strike of its options, else 100
        var parsed = new List<(string Symbol, OccSymbol? Occ)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var roots = new List<string>();
        var strikes = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        foreach (var symbol in options.Symbols)
        {
            if (!seen.Add(symbol)) continue; // a symbol listed twice is one instrument
            OccSymbol? occ = symbol.Length >= 16 || OccSymbol.LooksLikeOption(symbol) ? OccSymbol.Parse(symbol) : null;
            parsed.Add((symbol, occ));
            string root = occ?.Root ?? symbol;
            if (!strikes.TryGetValue(root, out var rootStrikes))
            {
                strikes[root] = rootStrikes = [];
                roots.Add(root);
            }
            if (occ is { } o) rootStrikes.Add(o.Strike);
        }

        var byName = new Dictionary<string, SynthUnderlying>(StringComparer.Ordinal);
        var underlyings = new SynthUnderlying[roots.Count];
        for (int i = 0; i < roots.Count; i++)
        {
            string root = roots[i];
            double spot = options.Spots.TryGetValue(root, out double s) ? s
                : strikes[root].Count > 0 ? Median(strikes[root]) : SynthOptions.DefaultSpotWithoutOptions;
            double vol = options.Vols.TryGetValue(root, out double v) ? v : SynthOptions.DefaultVol;
            underlyings[i] = byName[root] = new SynthUnderlying(root, spot, vol);
        }

        var contracts = new List<SynthOption>();
        foreach (var (symbol, occ) in parsed)
        {
            if (occ is not { } o) continue;
            var underlying = byName[o.Root];
            double spreadPct = 0.03 + 0.05 * rng.NextDouble();
            var option = new SynthOption(o, symbol, underlying, MarketCalendar.ExpirationUtc(o.Expiration), spreadPct);
            underlying.Options.Add(option);
            contracts.Add(option);
        }
        return (underlyings, contracts.ToArray());
    }

    private static double Median(List<double> values)
    {
        var sorted = values.ToArray();
        Array.Sort(sorted);
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private sealed class Generator(SynthOptions options, SynthUnderlying[] underlyings, SynthOption[] contracts, Xoshiro256 rng)
    {
        private Xoshiro256 _rng = rng;
        private CsvTapeWriter _writer = null!;
        private readonly long _limit = options.Ticks ?? long.MaxValue;
        private long _rows, _underlyingQuotes, _trades, _optionQuotes, _badQuotes;
        private long _first = long.MinValue, _last;

        private bool Full => _rows >= _limit;

        public SynthResult Run(CsvTapeWriter writer)
        {
            _writer = writer;
            var calendar = MarketCalendar.Nyse;
            int maxSessions = options.Days ?? (options.Ticks is null ? 1 : MaxSessionsWhenUnbounded);
            double meanGapNs = 1e9 / options.TicksPerSecond;
            var day = calendar.IsTradingDay(options.Start) ? options.Start : calendar.NextTradingDay(options.Start);
            int sessions = 0;
            while (sessions < maxSessions && !Full)
            {
                calendar.TryGetSession(day, out long open, out long close);
                OpenSession(open, overnight: sessions > 0);
                long t = open;
                while (!Full)
                {
                    t += (long)(_rng.NextDouble() * 2 * meanGapNs);
                    if (t >= close) break;
                    Event(t);
                }
                sessions++;
                day = calendar.NextTradingDay(day);
            }
            writer.Flush();
            return new SynthResult(_rows, _underlyingQuotes, _trades, _optionQuotes, _badQuotes, sessions,
                _first == long.MinValue ? 0 : _first, _last);
        }

        /// <summary>At the open every underlying and every live option gets a quote, so all marks exist from the start.</summary>
        private void OpenSession(long open, bool overnight)
        {
            foreach (var u in underlyings)
            {
                if (overnight) Step(u, OvernightYears);
                u.LastStepNs = open;
                if (Full) return;
                QuoteUnderlying(u, open);
                foreach (var o in u.Options)
                {
                    if (Full) return;
                    if (o.ExpirationNs > open) QuoteOption(o, open, onlyIfChanged: false);
                }
            }
        }

        private void Event(long t)
        {
            if (contracts.Length > 0 && !_rng.Chance(UnderlyingEventShare))
            {
                var o = contracts[_rng.NextInt(contracts.Length)];
                if (o.ExpirationNs > t) { QuoteOption(o, t, onlyIfChanged: false); return; }
            }
            var u = underlyings[_rng.NextInt(underlyings.Length)];
            if (_rng.Chance(TradeShare)) { Trade(u, t); return; }
            Step(u, (t - u.LastStepNs) / TradingYearNs);
            u.LastStepNs = t;
            QuoteUnderlying(u, t);
            foreach (var o in u.Options)
            {
                if (Full) return;
                if (o.ExpirationNs > t) QuoteOption(o, t, onlyIfChanged: true);
            }
        }

        private void Step(SynthUnderlying u, double years)
        {
            if (years <= 0) return;
            double factor = 1 + u.Vol * Math.Sqrt(years) * _rng.NextNormal();
            u.Price *= Math.Max(factor, 0.5);
            if (u.Price < 0.05) u.Price = 0.05;
        }

        private void QuoteUnderlying(SynthUnderlying u, long t)
        {
            long spread = Math.Max(1, (long)Math.Round(u.Price / 400)) + (_rng.Chance(0.2) ? 1 : 0);
            long bid = Math.Max(1, (long)Math.Floor(u.Price * 100 - spread / 2.0));
            u.BidCents = bid;
            u.AskCents = bid + spread;
            _writer.WriteQuoteCents(t, u.Utf8, u.BidCents, u.AskCents);
            _underlyingQuotes++;
            Count(t);
        }

        private void Trade(SynthUnderlying u, long t)
        {
            long price = u.BidCents + _rng.NextInt((int)(u.AskCents - u.BidCents) + 1);
            _writer.WriteTradeCents(t, u.Utf8, price);
            _trades++;
            Count(t);
        }

        private void QuoteOption(SynthOption o, long t, bool onlyIfChanged)
        {
            double years = Math.Max(OptionQuoteModel.YearsBetween(t, o.ExpirationNs), 1e-7);
            double price = OptionQuoteModel.TheoreticalPrice(o.Occ.Right, o.Underlying.Mid, o.Occ.Strike, years, o.Underlying.Vol);
            var (bid, ask) = OptionQuoteModel.Quote(price, o.SpreadPct);
            if (onlyIfChanged && bid == o.BidCents && ask == o.AskCents) return;
            if (options.BadQuoteRate > 0 && _rng.Chance(options.BadQuoteRate))
            {
                // the tape carries it; the engine must count and ignore it. The real quote stays unpublished.
                if (_rng.Chance(0.5)) _writer.WriteQuoteCents(t, o.Utf8, ask + (ask < 300 ? 1 : 5), ask); // crossed
                else _writer.WriteQuoteCents(t, o.Utf8, bid, 0);                                     // zero ask
                _badQuotes++;
            }
            else
            {
                o.BidCents = bid;
                o.AskCents = ask;
                _writer.WriteQuoteCents(t, o.Utf8, bid, ask);
            }
            _optionQuotes++;
            Count(t);
        }

        private void Count(long t)
        {
            _rows++;
            if (_first == long.MinValue) _first = t;
            _last = t;
        }
    }
}
