using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Streamer.Rules.Calendar;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;
using Streamer.Rules.Pricing;
using Streamer.Rules.Time;

namespace Streamer.Stream.Emulator;

/// <summary>
/// Alpaca's market-data REST API from the tape, on the emulator's market clock: nothing later than
/// the clock is ever served (before the clock starts, only the tape's first instant). Stocks under
/// <c>/v2/stocks</c>: latest quotes and trades, snapshots, historical quotes, trades and bars with
/// <c>next_page_token</c> paging; options under <c>/v1beta1/options</c>: latest quotes and trades,
/// snapshots by symbol and the chain by underlying, historical trades and bars (Alpaca keeps no
/// historical option quotes). With a <see cref="RateLimit"/>, requests past it get Alpaca's 429. Field names and codes as the streams send them
/// (stocks: exchange V, tape C, trade size 100; options: exchange C, conditions A / I, size 1).
/// With <c>--loop</c> each pass is the tape shifted by its length, as the streams replay it.
/// </summary>
internal sealed class MarketDataEndpoints
{
    private readonly EmulatorTape _tape;
    private readonly QuoteSizes _sizes;
    private readonly Func<long> _nowNs;
    private readonly bool _loop;
    private readonly Func<string?, string?, bool> _credentialsOk;
    private readonly Dictionary<string, int[]> _bySymbol = new(StringComparer.Ordinal); // tick indices per symbol, in time order
    private readonly long _passLength;

    private readonly RateLimit? _rateLimit;

    public MarketDataEndpoints(EmulatorTape tape, QuoteSizes sizes, Func<long> nowNs, bool loop, Func<string?, string?, bool> credentialsOk, RateLimit? rateLimit = null)
    {
        _rateLimit = rateLimit;
        _tape = tape;
        _sizes = sizes;
        _nowNs = nowNs;
        _loop = loop;
        _credentialsOk = credentialsOk;
        _passLength = tape.LastTimeNs - tape.FirstTimeNs + 1_000_000; // as AlpacaEmulator.PlayAsync
        var lists = new Dictionary<int, List<int>>();
        for (int i = 0; i < tape.Ticks.Length; i++)
        {
            int id = tape.Ticks[i].SymbolId;
            if (!lists.TryGetValue(id, out var l)) lists[id] = l = [];
            l.Add(i);
        }
        foreach (var (id, l) in lists) _bySymbol[tape.Symbols[id]] = [.. l];
    }

    public static bool IsDataPath(string[] parts) =>
        (parts.Length >= 3 && parts[0] == "v2" && parts[1] == "stocks")
        || (parts.Length >= 3 && parts[0] == "v1beta1" && parts[1] == "options");

    public async Task HandleAsync(HttpContext context, string[] parts)
    {
        var request = context.Request;
        if (!_credentialsOk(request.Headers["APCA-API-KEY-ID"], request.Headers["APCA-API-SECRET-KEY"]))
        {
            await WriteAsync(context, 401, w => TradingJson.Error(w, 40110000, "request is not authorized")).ConfigureAwait(false);
            return;
        }
        if (_rateLimit is { } limit && !limit.TryTake(context.Response))
        {
            await WriteAsync(context, 429, w => TradingJson.Error(w, 42910000, "too many requests.")).ConfigureAwait(false);
            return;
        }
        try
        {
            if (request.Method != "GET") throw new TradingApiException(405, 40510000, "method not allowed");
            bool options = parts[0] == "v1beta1";
            string[] rest = [.. parts.Skip(2).Select(Uri.UnescapeDataString)];
            long now = Now();
            Action<Utf8JsonWriter> body = (options, rest) switch
            {
                (false, ["quotes", "latest"]) => w => LatestMap(w, "quotes", Symbols(request), now, false, quote: true),
                (false, ["trades", "latest"]) => w => LatestMap(w, "trades", Symbols(request), now, false, quote: false),
                (false, [var s, "quotes", "latest"]) => w => LatestOne(w, "quote", s, now, quote: true),
                (false, [var s, "trades", "latest"]) => w => LatestOne(w, "trade", s, now, quote: false),
                (false, ["snapshots"]) => w => StockSnapshots(w, Symbols(request), now),
                (false, [var s, "snapshot"]) => w => StockSnapshot(w, s, now, withSymbol: true),
                (false, ["quotes"]) => Historical(request, Symbols(request), now, Kind.Quotes, single: null, options: false),
                (false, ["trades"]) => Historical(request, Symbols(request), now, Kind.Trades, single: null, options: false),
                (false, ["bars"]) => Historical(request, Symbols(request), now, Kind.Bars, single: null, options: false),
                (false, [var s, "quotes"]) => Historical(request, [s], now, Kind.Quotes, single: s, options: false),
                (false, [var s, "trades"]) => Historical(request, [s], now, Kind.Trades, single: s, options: false),
                (false, [var s, "bars"]) => Historical(request, [s], now, Kind.Bars, single: s, options: false),
                // options history: trades and bars only; Alpaca keeps no historical option quotes (a 404 below)
                (true, ["trades"]) => Historical(request, Symbols(request), now, Kind.Trades, single: null, options: true),
                (true, ["bars"]) => Historical(request, Symbols(request), now, Kind.Bars, single: null, options: true),
                (true, ["quotes", "latest"]) => w => LatestMap(w, "quotes", Symbols(request), now, true, quote: true),
                (true, ["trades", "latest"]) => w => LatestMap(w, "trades", Symbols(request), now, true, quote: false),
                (true, ["snapshots"]) => OptionSnapshots(request, Symbols(request), now),
                (true, ["snapshots", var underlying]) => OptionSnapshots(request, Chain(request, underlying, now), now),
                _ => throw new TradingApiException(404, 40410000, $"GET {request.Path} is not served by the emulator"),
            };
            await WriteAsync(context, 200, body).ConfigureAwait(false);
        }
        catch (TradingApiException e)
        {
            await WriteAsync(context, e.Status, w => TradingJson.Error(w, e.Code, e.Message)).ConfigureAwait(false);
        }
    }

    private enum Kind { Quotes, Trades, Bars }

    /// <summary>The market clock; before it starts, the tape's first instant (what the broker uses too).</summary>
    private long Now() => _nowNs();

    private static List<string> Symbols(HttpRequest request)
    {
        var list = request.Query["symbols"].ToString();
        if (list.Length == 0) throw new TradingApiException(400, 40010001, "symbols is required");
        return [.. list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal)];
    }

    /// <summary>Every played tick of the symbols (time ≤ now), shifted into its pass, in time order per symbol.</summary>
    private IEnumerable<(int Index, long TimeNs)> Played(string symbol, long fromNs, long toNs, long now)
    {
        if (!_bySymbol.TryGetValue(symbol, out var indices) || indices.Length == 0) yield break;
        long end = Math.Min(toNs, now);
        long first = _tape.FirstTimeNs;
        int passes = _loop && end > first ? (int)Math.Min(int.MaxValue, (end - first) / _passLength) : 0;
        for (int p = 0; p <= passes; p++)
        {
            long offset = p * _passLength;
            foreach (int i in indices)
            {
                long t = _tape.Ticks[i].TimeNs + offset;
                if (t > end) yield break;
                if (t >= fromNs) yield return (i, t);
            }
        }
    }

    /// <summary>The last played quote (or trade) of a symbol at or before now.</summary>
    private (int Index, long TimeNs)? Latest(string symbol, long now, bool quote)
    {
        (int, long)? last = null;
        if (!_bySymbol.TryGetValue(symbol, out var indices)) return null;
        // the current pass first, then the one before it (a symbol may not have ticked yet in this pass)
        long first = _tape.FirstTimeNs;
        int pass = _loop && now > first ? (int)Math.Min(int.MaxValue, (now - first) / _passLength) : 0;
        for (int p = pass; p >= Math.Max(0, pass - 1) && last is null; p--)
        {
            long offset = p * _passLength;
            for (int k = indices.Length - 1; k >= 0; k--)
            {
                var tick = _tape.Ticks[indices[k]];
                if (tick.TimeNs + offset > now) continue;
                if (quote ? tick.HasQuote : tick.HasTrade) { last = (indices[k], tick.TimeNs + offset); break; }
            }
        }
        return last;
    }

    private void LatestMap(Utf8JsonWriter w, string name, List<string> symbols, long now, bool options, bool quote)
    {
        w.WriteStartObject();
        w.WriteStartObject(name);
        foreach (var s in symbols)
        {
            if (Latest(s, now, quote) is not { } at) continue; // Alpaca leaves out what it has nothing for
            w.WritePropertyName(s);
            if (quote) Quote(w, at.Index, at.TimeNs, options); else Trade(w, at.Index, at.TimeNs, options);
        }
        w.WriteEndObject();
        if (!options) w.WriteString("currency", "USD");
        w.WriteEndObject();
    }

    private void LatestOne(Utf8JsonWriter w, string name, string symbol, long now, bool quote)
    {
        var at = Latest(symbol, now, quote) ?? throw new TradingApiException(404, 40410000, $"no {name} found for {symbol}");
        w.WriteStartObject();
        w.WriteString("symbol", symbol);
        w.WritePropertyName(name);
        if (quote) Quote(w, at.Index, at.TimeNs, false); else Trade(w, at.Index, at.TimeNs, false);
        w.WriteString("currency", "USD");
        w.WriteEndObject();
    }

    private void Quote(Utf8JsonWriter w, int index, long timeNs, bool options)
    {
        var tick = _tape.Ticks[index];
        var (bidSize, askSize) = _sizes.Of(tick.SymbolId, timeNs);
        w.WriteStartObject();
        w.WriteString("t", NanoTime.FormatRfc3339(timeNs));
        w.WriteString("ax", options ? "C" : "V");
        w.WriteNumber("ap", tick.Ask);
        w.WriteNumber("as", askSize);
        w.WriteString("bx", options ? "C" : "V");
        w.WriteNumber("bp", tick.Bid);
        w.WriteNumber("bs", bidSize);
        if (options)
        {
            w.WriteString("c", "A");
        }
        else
        {
            w.WriteStartArray("c");
            w.WriteStringValue("R");
            w.WriteEndArray();
            w.WriteString("z", "C");
        }
        w.WriteEndObject();
    }

    private void Trade(Utf8JsonWriter w, int index, long timeNs, bool options)
    {
        var tick = _tape.Ticks[index];
        w.WriteStartObject();
        w.WriteString("t", NanoTime.FormatRfc3339(timeNs));
        w.WriteString("x", options ? "C" : "V");
        w.WriteNumber("p", tick.Last);
        w.WriteNumber("s", options ? 1 : 100);
        if (options)
        {
            w.WriteString("c", "I");
        }
        else
        {
            w.WriteStartArray("c");
            w.WriteStringValue("@");
            w.WriteEndArray();
            w.WriteNumber("i", index + 1); // a trade's id: its row on the tape
            w.WriteString("z", "C");
        }
        w.WriteEndObject();
    }

    private void StockSnapshots(Utf8JsonWriter w, List<string> symbols, long now)
    {
        w.WriteStartObject();
        foreach (var s in symbols)
        {
            if (!_bySymbol.ContainsKey(s)) continue;
            w.WritePropertyName(s);
            StockSnapshot(w, s, now, withSymbol: false);
        }
        w.WriteEndObject();
    }

    /// <summary>latestTrade, latestQuote, minuteBar (the last minute traded), dailyBar (today so far), prevDailyBar (the trading day before, if on the tape).</summary>
    private void StockSnapshot(Utf8JsonWriter w, string symbol, long now, bool withSymbol)
    {
        if (!_bySymbol.ContainsKey(symbol)) throw new TradingApiException(404, 40410000, $"no data found for {symbol}");
        w.WriteStartObject();
        if (withSymbol) w.WriteString("symbol", symbol);
        if (Latest(symbol, now, quote: false) is { } trade)
        {
            w.WritePropertyName("latestTrade");
            Trade(w, trade.Index, trade.TimeNs, false);
            long minute = trade.TimeNs - (((trade.TimeNs % 60_000_000_000L) + 60_000_000_000L) % 60_000_000_000L);
            WriteBar(w, "minuteBar", Bars(symbol, minute, minute + 60_000_000_000L - 1, now, 60_000_000_000L, daily: false).Select(b => (Bar?)b).LastOrDefault());
            var calendar = MarketCalendar.Nyse;
            var day = calendar.NewYorkDate(trade.TimeNs);
            long dayStart = MarketCalendar.NewYorkToUtc(day, TimeOnly.MinValue);
            WriteBar(w, "dailyBar", Bars(symbol, dayStart, MarketCalendar.NewYorkToUtc(day.AddDays(1), TimeOnly.MinValue) - 1, now, 0, daily: true).Select(b => (Bar?)b).LastOrDefault());
            var prev = calendar.PreviousTradingDay(day);
            WriteBar(w, "prevDailyBar", Bars(symbol, MarketCalendar.NewYorkToUtc(prev, TimeOnly.MinValue), dayStart - 1, now, 0, daily: true).Select(b => (Bar?)b).LastOrDefault());
        }
        else
        {
            w.WriteNull("latestTrade");
            w.WriteNull("minuteBar");
            w.WriteNull("dailyBar");
            w.WriteNull("prevDailyBar");
        }
        if (Latest(symbol, now, quote: true) is { } q)
        {
            w.WritePropertyName("latestQuote");
            Quote(w, q.Index, q.TimeNs, false);
        }
        else
        {
            w.WriteNull("latestQuote");
        }
        if (withSymbol) w.WriteString("currency", "USD");
        w.WriteEndObject();
    }

    private static void WriteBar(Utf8JsonWriter w, string name, Bar? bar)
    {
        if (bar is not { } b) { w.WriteNull(name); return; }
        w.WritePropertyName(name);
        BarJson(w, b);
    }

    private readonly record struct Bar(long StartNs, double Open, double High, double Low, double Close, long Volume, long Count, double Vwap);

    private static void BarJson(Utf8JsonWriter w, Bar b)
    {
        w.WriteStartObject();
        w.WriteString("t", NanoTime.FormatRfc3339(b.StartNs));
        w.WriteNumber("o", b.Open);
        w.WriteNumber("h", b.High);
        w.WriteNumber("l", b.Low);
        w.WriteNumber("c", b.Close);
        w.WriteNumber("v", b.Volume);
        w.WriteNumber("n", b.Count);
        w.WriteNumber("vw", Math.Round(b.Vwap, 6));
        w.WriteEndObject();
    }

    /// <summary>
    /// Bars from the played trades (each 100 shares, as the stock stream shows them): fixed buckets of
    /// <paramref name="bucketNs"/> from the epoch, or New York calendar days (bar time: New York
    /// midnight, as Alpaca stamps daily bars). A bucket without trades has no bar.
    /// </summary>
    private IEnumerable<Bar> Bars(string symbol, long fromNs, long toNs, long now, long bucketNs, bool daily, int tradeSize = 100)
    {
        Bar? current = null;
        double notional = 0;
        foreach (var (i, t) in Played(symbol, fromNs, toNs, now))
        {
            var tick = _tape.Ticks[i];
            if (!tick.HasTrade) continue;
            long start = daily
                ? MarketCalendar.NewYorkToUtc(MarketCalendar.Nyse.NewYorkDate(t), TimeOnly.MinValue)
                : t - (((t % bucketNs) + bucketNs) % bucketNs);
            if (current is { } c && c.StartNs != start)
            {
                yield return c with { Vwap = notional / c.Volume };
                current = null;
            }
            notional = current is null ? 0 : notional;
            current = current is { } b
                ? b with { High = Math.Max(b.High, tick.Last), Low = Math.Min(b.Low, tick.Last), Close = tick.Last, Volume = b.Volume + tradeSize, Count = b.Count + 1 }
                : new Bar(start, tick.Last, tick.Last, tick.Last, tick.Last, tradeSize, 1, 0);
            notional += tick.Last * tradeSize;
        }
        if (current is { } last) yield return last with { Vwap = notional / last.Volume };
    }

    /// <summary>
    /// Historical quotes, trades or bars: <c>start</c>/<c>end</c> (RFC 3339 or a date; default: the
    /// market date's New York midnight to now), <c>limit</c> (default 1000, at most 10000, across all
    /// symbols), <c>sort</c> asc | desc, <c>page_token</c> (opaque: a position in this answer) and for
    /// bars <c>timeframe</c> (<c>N</c>Min, <c>N</c>Hour, 1Day). Several symbols come grouped by symbol
    /// in the order asked, as Alpaca pages them.
    /// </summary>
    private Action<Utf8JsonWriter> Historical(HttpRequest request, List<string> symbols, long now, Kind kind, string? single, bool options)
    {
        var q = request.Query;
        var day = MarketCalendar.Nyse.NewYorkDate(now);
        long start = QueryTime(q["start"].ToString(), "start") ?? MarketCalendar.NewYorkToUtc(day, TimeOnly.MinValue);
        long end = QueryTime(q["end"].ToString(), "end", endOfDay: true) ?? now;
        if (end < start) throw new TradingApiException(422, 42210000, "end should not be before start");
        int limit = 1000;
        if (q["limit"].ToString() is { Length: > 0 } l && (!int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 10000))
            throw new TradingApiException(422, 42210000, $"invalid limit: must be 1-10000, got '{l}'");
        string sort = q["sort"].ToString() is { Length: > 0 } so ? so : "asc";
        if (sort is not ("asc" or "desc")) throw new TradingApiException(422, 42210000, $"invalid sort: {sort}");
        int offset = 0;
        if (q["page_token"].ToString() is { Length: > 0 } token && !TryDecodeToken(token, out offset))
            throw new TradingApiException(422, 42210000, "invalid page token");
        long bucket = kind == Kind.Bars ? Timeframe(q["timeframe"].ToString()) : 0;
        bool isDaily = kind == Kind.Bars && bucket == 0;

        // the whole answer in order (symbol, then time), then one page of it
        var items = new List<(string Symbol, Action<Utf8JsonWriter> Write)>();
        foreach (var s in symbols)
        {
            var one = new List<(string, Action<Utf8JsonWriter>)>();
            if (kind == Kind.Bars)
            {
                foreach (var bar in Bars(s, start, end, now, bucket, isDaily, options ? 1 : 100)) one.Add((s, w => BarJson(w, bar)));
            }
            else
            {
                foreach (var (i, t) in Played(s, start, end, now))
                {
                    var tick = _tape.Ticks[i];
                    if (kind == Kind.Quotes && tick.HasQuote) one.Add((s, w => Quote(w, i, t, options)));
                    else if (kind == Kind.Trades && tick.HasTrade) one.Add((s, w => Trade(w, i, t, options)));
                }
            }
            if (sort == "desc") one.Reverse();
            items.AddRange(one);
        }
        var page = items.Skip(offset).Take(limit).ToList();
        string? next = offset + page.Count < items.Count ? EncodeToken(offset + page.Count) : null;
        string name = kind switch { Kind.Quotes => "quotes", Kind.Trades => "trades", _ => "bars" };
        return w =>
        {
            w.WriteStartObject();
            if (single is not null)
            {
                w.WriteString("symbol", single);
                w.WriteStartArray(name);
                foreach (var (_, write) in page) write(w);
                w.WriteEndArray();
            }
            else
            {
                w.WriteStartObject(name);
                foreach (var group in page.GroupBy(p => p.Symbol))
                {
                    w.WriteStartArray(group.Key);
                    foreach (var (_, write) in group) write(w);
                    w.WriteEndArray();
                }
                w.WriteEndObject();
            }
            if (next is null) w.WriteNull("next_page_token"); else w.WriteString("next_page_token", next);
            if (!options) w.WriteString("currency", "USD");
            w.WriteEndObject();
        };
    }

    /// <summary><c>1Min</c>…<c>59Min</c>, <c>1Hour</c>…<c>23Hour</c> (also T / H), <c>1Day</c> (D): the bucket in ns, 0 for days.</summary>
    private static long Timeframe(string tf)
    {
        if (tf.Length == 0) throw new TradingApiException(422, 42210000, "timeframe is required");
        int unitAt = 0;
        while (unitAt < tf.Length && char.IsAsciiDigit(tf[unitAt])) unitAt++;
        if (unitAt == 0 || !int.TryParse(tf.AsSpan(0, unitAt), NumberStyles.None, CultureInfo.InvariantCulture, out int n)) n = 0;
        string unit = tf[unitAt..];
        switch (unit)
        {
            case "Min" or "T" when n is >= 1 and <= 59: return n * 60_000_000_000L;
            case "Hour" or "H" when n is >= 1 and <= 23: return n * 3_600_000_000_000L;
            case "Day" or "D" when n == 1: return 0;
            default: throw new TradingApiException(422, 42210000, $"invalid timeframe: {tf} (the emulator serves NMin, NHour and 1Day)");
        }
    }

    private static long? QueryTime(string v, string name, bool endOfDay = false)
    {
        if (v.Length == 0) return null;
        if (DateOnly.TryParseExact(v, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            return MarketCalendar.NewYorkToUtc(endOfDay ? date.AddDays(1) : date, TimeOnly.MinValue) - (endOfDay ? 1 : 0);
        if (DateTimeOffset.TryParse(v, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
        {
            long ns = (time.UtcTicks - DateTime.UnixEpoch.Ticks) * 100;
            // DateTimeOffset keeps 100 ns; Alpaca's times have up to 9 digits: keep the rest
            int dot = v.IndexOf('.', StringComparison.Ordinal);
            if (dot > 0)
            {
                int endDigits = dot + 1;
                while (endDigits < v.Length && char.IsAsciiDigit(v[endDigits])) endDigits++;
                string digits = v[(dot + 1)..endDigits];
                if (digits.Length > 7) ns += long.Parse(digits[7..Math.Min(9, digits.Length)].PadRight(2, '0'), CultureInfo.InvariantCulture);
            }
            return ns;
        }
        throw new TradingApiException(422, 42210000, $"invalid {name}: '{v}' (RFC 3339 or YYYY-MM-DD)");
    }

    private static string EncodeToken(int offset) => Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(offset.ToString(CultureInfo.InvariantCulture)));

    private static bool TryDecodeToken(string token, out int offset)
    {
        offset = 0;
        try
        {
            return int.TryParse(System.Text.Encoding.ASCII.GetString(Convert.FromBase64String(token)), NumberStyles.None, CultureInfo.InvariantCulture, out offset);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>The tape's contracts on <paramref name="underlying"/> (the chain), filtered as Alpaca's: type, strikes, expirations, root.</summary>
    private List<string> Chain(HttpRequest request, string underlying, long now)
    {
        var q = request.Query;
        string type = q["type"].ToString();
        string root = q["root_symbol"].ToString();
        decimal? strikeGte = Dec(q["strike_price_gte"].ToString()), strikeLte = Dec(q["strike_price_lte"].ToString());
        DateOnly? on = Date(q["expiration_date"].ToString()), gte = Date(q["expiration_date_gte"].ToString()), lte = Date(q["expiration_date_lte"].ToString());
        var list = new List<string>();
        foreach (var s in _bySymbol.Keys.Order(StringComparer.Ordinal))
        {
            if (!OccSymbol.TryParse(s, out var occ, out _) || occ.Root != underlying) continue;
            decimal strike = occ.StrikeThousandths / 1000m;
            if (type.Length > 0 && type != (occ.Right == OptionRight.Call ? "call" : "put")) continue;
            if (root.Length > 0 && occ.Root != root) continue;
            if (strikeGte is { } sg && strike < sg) continue;
            if (strikeLte is { } sl && strike > sl) continue;
            if (on is { } o && occ.Expiration != o) continue;
            if (gte is { } g && occ.Expiration < g) continue;
            if (lte is { } le && occ.Expiration > le) continue;
            if (Latest(s, now, quote: true) is null && Latest(s, now, quote: false) is null) continue;
            list.Add(s);
        }
        return list;

        static decimal? Dec(string v) => v.Length == 0 ? null
            : decimal.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d
            : throw new TradingApiException(422, 42210000, $"invalid strike price: '{v}'");
        static DateOnly? Date(string v) => v.Length == 0 ? null
            : DateOnly.TryParseExact(v, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d
            : throw new TradingApiException(422, 42210000, $"invalid date: '{v}'");
    }

    /// <summary>
    /// <c>impliedVolatility</c> and <c>greeks</c> {delta, gamma, rho, theta, vega} of a snapshot, as Alpaca
    /// documents them: Black–Scholes on the contract's latest quote mid and its underlying's latest quote
    /// mid (or trade) at that quote's time, ACT/365 to 16:00 New York on expiration, rate 0.04 and no
    /// dividend (rules.md's defaults). Theta per calendar day, vega and rho per 1 point (0.01) of vol and
    /// rate: the market's convention (Alpaca does not state its units; docs/alpaca.md). Left out, as Alpaca
    /// leaves them out, when no vol fits the price (below intrinsic, no underlying price, expired).
    /// </summary>
    private void Greeks(Utf8JsonWriter w, string symbol, int quoteIndex, long quoteNs)
    {
        if (!OccSymbol.TryParse(symbol, out var occ, out _)) return;
        var option = _tape.Ticks[quoteIndex];
        double mid = (option.Bid + option.Ask) / 2;
        double? spot = null;
        if (Latest(occ.Root, quoteNs, quote: true) is { } uq) spot = (_tape.Ticks[uq.Index].Bid + _tape.Ticks[uq.Index].Ask) / 2;
        else if (Latest(occ.Root, quoteNs, quote: false) is { } ut) spot = _tape.Ticks[ut.Index].Last;
        double years = (MarketCalendar.ExpirationUtc(occ.Expiration) - quoteNs) / (365.0 * 86_400e9);
        if (spot is not { } s || !(s > 0) || !(mid > 0) || !(years > 0)) return;
        double strike = occ.StrikeThousandths / 1000.0;
        if (ImpliedVolatility.TrySolve(occ.Right, mid, s, strike, years, SnapshotRate, 0, out double vol) != IvStatus.Ok || !(vol > 0)) return;
        var g = BlackScholes.Greeks(occ.Right, s, strike, years, SnapshotRate, 0, vol);
        w.WriteStartObject("greeks");
        w.WriteNumber("delta", Math.Round(g.Delta, 4));
        w.WriteNumber("gamma", Math.Round(g.Gamma, 4));
        w.WriteNumber("rho", Math.Round(g.Rho / 100, 4));
        w.WriteNumber("theta", Math.Round(g.Theta / 365, 4));
        w.WriteNumber("vega", Math.Round(g.Vega / 100, 4));
        w.WriteEndObject();
        w.WriteNumber("impliedVolatility", Math.Round(vol, 4));
    }

    /// <summary>The rate the snapshots' Greeks use (rules.md's default).</summary>
    public const double SnapshotRate = 0.04;

    /// <summary>
    /// <c>{"snapshots":{sym:{"latestQuote","latestTrade","greeks","impliedVolatility"}},"next_page_token"}</c>,
    /// <c>limit</c> (default 100, at most 1000) and <c>page_token</c>.
    /// </summary>
    private Action<Utf8JsonWriter> OptionSnapshots(HttpRequest request, List<string> symbols, long now)
    {
        var q = request.Query;
        int limit = 100;
        if (q["limit"].ToString() is { Length: > 0 } l && (!int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 1000))
            throw new TradingApiException(422, 42210000, $"invalid limit: must be 1-1000, got '{l}'");
        int offset = 0;
        if (q["page_token"].ToString() is { Length: > 0 } token && !TryDecodeToken(token, out offset))
            throw new TradingApiException(422, 42210000, "invalid page token");
        var known = symbols.Where(s => _bySymbol.ContainsKey(s)).ToList();
        var page = known.Skip(offset).Take(limit).ToList();
        string? next = offset + page.Count < known.Count ? EncodeToken(offset + page.Count) : null;
        return w =>
        {
            w.WriteStartObject();
            w.WriteStartObject("snapshots");
            foreach (var s in page)
            {
                var quote = Latest(s, now, quote: true);
                var trade = Latest(s, now, quote: false);
                if (quote is null && trade is null) continue;
                w.WriteStartObject(s);
                if (quote is { } qa) { w.WritePropertyName("latestQuote"); Quote(w, qa.Index, qa.TimeNs, true); }
                if (trade is { } ta) { w.WritePropertyName("latestTrade"); Trade(w, ta.Index, ta.TimeNs, true); }
                if (quote is { } qg) Greeks(w, s, qg.Index, qg.TimeNs);
                w.WriteEndObject();
            }
            w.WriteEndObject();
            if (next is null) w.WriteNull("next_page_token"); else w.WriteString("next_page_token", next);
            w.WriteEndObject();
        };
    }

    private static async Task WriteAsync(HttpContext context, int status, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer)) write(w);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(buffer.WrittenMemory).ConfigureAwait(false);
    }
}
