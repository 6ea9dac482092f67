using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Streamer.Feed.Tapes;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;
using Streamer.Rules.Time;

namespace Streamer.Stream.Alpaca.Recording;

/// <summary>
/// <c>streamer fetch</c>: a tape from Alpaca's historical market-data REST. Each symbol's history is
/// one or two streams (a stock's quotes and trades; an option's trades, or bars, since Alpaca keeps
/// no historical option quotes), each fetched page by page with <c>next_page_token</c> into its own
/// part file under <c>OUT.part/</c>, then merged into OUT in time order. After every page the part
/// file is flushed and <c>OUT.part/state.json</c> records its length and the next token, so an
/// interrupted fetch started again with the same request resumes where it was and writes the same
/// tape. The sidecar <c>OUT.meta.jsonl</c> says what each symbol's rows are.
/// </summary>
public sealed class TapeFetcher(TapeFetchOptions options, HistoricalDataClient client)
{
    private const int StateVersion = 1;

    /// <summary>After each page is on disk and recorded: (stream, its rows so far, its pages so far).</summary>
    public event Action<FetchStream>? PageDone;

    /// <summary>The streams of this fetch, in the order they are fetched and merged.</summary>
    public IReadOnlyList<FetchStream> Streams => _streams;

    private List<FetchStream> _streams = [];

    /// <summary>True when an interrupted fetch of this request was found and continued.</summary>
    public bool Resumed { get; private set; }

    private string PartDirectory => options.Output + ".part";

    private string StatePath => Path.Combine(PartDirectory, "state.json");

    public async Task<long> RunAsync(CancellationToken ct)
    {
        Directory.CreateDirectory(PartDirectory);
        var request = RequestJson();
        _streams = LoadOrPlan(request);
        foreach (var stream in _streams)
        {
            if (stream.Done) continue;
            await FetchAsync(stream, request, ct).ConfigureAwait(false);
        }
        long rows = Merge();
        WriteSidecar(rows);
        Directory.Delete(PartDirectory, recursive: true);
        return rows;
    }

    private JsonObject RequestJson() => new()
    {
        ["url"] = client.BaseUrl,
        ["start"] = NanoTime.FormatRfc3339(options.StartNs),
        ["end"] = NanoTime.FormatRfc3339(options.EndNs),
        ["feed"] = options.Feed,
        ["option_data"] = options.OptionData == OptionHistory.Trades ? "trades" : "bars",
        ["timeframe"] = options.BarTimeframe,
        ["symbols"] = new JsonArray([.. options.Symbols.Select(s => (JsonNode)s)]),
    };

    private List<FetchStream> LoadOrPlan(JsonObject request)
    {
        if (File.Exists(StatePath))
        {
            var state = JsonNode.Parse(File.ReadAllText(StatePath))!.AsObject();
            if (state["version"]?.GetValue<int>() != StateVersion || !JsonNode.DeepEquals(state["request"], request))
                throw new InvalidOperationException($"{PartDirectory} holds an interrupted fetch of a different request ({state["request"]?.ToJsonString()}); fetch that request again to finish it, or delete {PartDirectory}");
            Resumed = true;
            var loaded = new List<FetchStream>();
            foreach (var node in state["streams"]!.AsArray())
            {
                var s = new FetchStream(node!["symbol"]!.GetValue<string>(), node["kind"]!.GetValue<string>(), node["file"]!.GetValue<string>())
                {
                    NextPageToken = node["next_page_token"]?.GetValue<string>(),
                    Bytes = node["bytes"]!.GetValue<long>(),
                    Rows = node["rows"]!.GetValue<long>(),
                    Pages = node["pages"]!.GetValue<int>(),
                    Done = node["done"]!.GetValue<bool>(),
                };
                loaded.Add(s);
            }
            return loaded;
        }
        var plan = new List<FetchStream>();
        foreach (var symbol in options.Symbols.Distinct(StringComparer.Ordinal))
        {
            if (OccSymbol.LooksLikeOption(symbol))
            {
                plan.Add(new FetchStream(symbol, options.OptionData == OptionHistory.Trades ? "option_trades" : "option_bars", $"{plan.Count}.csv"));
            }
            else
            {
                plan.Add(new FetchStream(symbol, "quotes", $"{plan.Count}.csv"));
                plan.Add(new FetchStream(symbol, "trades", $"{plan.Count}.csv"));
            }
        }
        SaveState(plan, request);
        return plan;
    }

    private void SaveState(List<FetchStream> streams, JsonObject request)
    {
        var state = new JsonObject
        {
            ["version"] = StateVersion,
            ["request"] = request.DeepClone(),
            ["streams"] = new JsonArray([.. streams.Select(s => (JsonNode)new JsonObject
            {
                ["symbol"] = s.Symbol,
                ["kind"] = s.Kind,
                ["file"] = s.File,
                ["next_page_token"] = s.NextPageToken,
                ["bytes"] = s.Bytes,
                ["rows"] = s.Rows,
                ["pages"] = s.Pages,
                ["done"] = s.Done,
            })]),
        };
        // replaced whole, never half written: a kill leaves the old state or the new one
        string temp = StatePath + ".tmp";
        File.WriteAllText(temp, state.ToJsonString());
        File.Move(temp, StatePath, overwrite: true);
    }

    private async Task FetchAsync(FetchStream stream, JsonObject request, CancellationToken ct)
    {
        string path = Path.Combine(PartDirectory, stream.File);
        using var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        // rows past the recorded length came from a page whose state was never saved: that page is fetched again
        file.SetLength(stream.Bytes);
        file.Position = stream.Bytes;
        var symbols = new SymbolTable();
        int id = symbols.Intern(stream.Symbol);
        var name = Encoding.UTF8.GetBytes(stream.Symbol);
        long previous = long.MinValue;
        while (!stream.Done)
        {
            ct.ThrowIfCancellationRequested();
            using var doc = await client.GetAsync(Query(stream), ct).ConfigureAwait(false);
            var root = doc.RootElement;
            using (var writer = new CsvTapeWriter(file, leaveOpen: true, writeHeader: stream.Bytes == 0))
            {
                foreach (var item in Items(root, stream))
                {
                    var tick = Row(item, stream, id);
                    if (tick.TimeNs < previous)
                        throw new InvalidDataException($"{stream.Symbol} {stream.Kind}: Alpaca sent {NanoTime.FormatRfc3339(tick.TimeNs)} after {NanoTime.FormatRfc3339(previous)} (asked for sort=asc)");
                    previous = tick.TimeNs;
                    writer.WriteRow(tick.TimeNs, name, tick.HasQuote ? tick.Bid : double.NaN, tick.HasQuote ? tick.Ask : double.NaN, tick.HasTrade ? tick.Last : double.NaN);
                    stream.Rows++;
                }
            }
            file.Flush();
            stream.Bytes = file.Length;
            stream.Pages++;
            stream.NextPageToken = root.TryGetProperty("next_page_token", out var next) && next.ValueKind == JsonValueKind.String ? next.GetString() : null;
            stream.Done = stream.NextPageToken is null;
            SaveState(_streams, request);
            PageDone?.Invoke(stream);
        }
    }

    private string Query(FetchStream s)
    {
        var q = new StringBuilder(s.Kind switch
        {
            "quotes" => "v2/stocks/quotes",
            "trades" => "v2/stocks/trades",
            "option_trades" => "v1beta1/options/trades",
            _ => "v1beta1/options/bars",
        });
        q.Append("?symbols=").Append(Uri.EscapeDataString(s.Symbol))
            .Append("&start=").Append(Uri.EscapeDataString(NanoTime.FormatRfc3339(options.StartNs)))
            .Append("&end=").Append(Uri.EscapeDataString(NanoTime.FormatRfc3339(options.EndNs)))
            .Append("&limit=").Append(options.PageLimit.ToString(CultureInfo.InvariantCulture))
            .Append("&sort=asc");
        if (s.Kind is "quotes" or "trades") q.Append("&feed=").Append(Uri.EscapeDataString(options.Feed));
        if (s.Kind == "option_bars") q.Append("&timeframe=").Append(Uri.EscapeDataString(options.BarTimeframe));
        if (s.NextPageToken is { } token) q.Append("&page_token=").Append(Uri.EscapeDataString(token));
        return q.ToString();
    }

    /// <summary><c>{"quotes":{"SYM":[…]}}</c> (or trades / bars); the key may be missing or null when there is nothing.</summary>
    private static IEnumerable<JsonElement> Items(JsonElement root, FetchStream s)
    {
        string key = s.Kind switch { "quotes" => "quotes", "trades" or "option_trades" => "trades", _ => "bars" };
        if (!root.TryGetProperty(key, out var map) || map.ValueKind != JsonValueKind.Object) yield break;
        if (!map.TryGetProperty(s.Symbol, out var list) || list.ValueKind != JsonValueKind.Array) yield break;
        foreach (var item in list.EnumerateArray()) yield return item;
    }

    private Tick Row(JsonElement item, FetchStream s, int id)
    {
        if (!item.TryGetProperty("t", out var t) || t.ValueKind != JsonValueKind.String || !NanoTime.TryParseRfc3339(t.GetString(), out long ns))
            throw new InvalidDataException($"{s.Symbol} {s.Kind}: a row without an RFC 3339 \"t\": {item.GetRawText()}");
        switch (s.Kind)
        {
            case "quotes":
                return Tick.Quote(ns, id, Price(item, "bp", s), Price(item, "ap", s));
            case "trades" or "option_trades":
                return Tick.Trade(ns, id, Price(item, "p", s));
            default:
                // a bar's close is known at the bar's end, not at its start (its "t")
                return Tick.Trade(ns + BarNs(options.BarTimeframe) - 1, id, Price(item, "c", s));
        }
    }

    private static double Price(JsonElement item, string key, FetchStream s) =>
        item.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number && v.GetDouble() is var d && double.IsFinite(d) && d >= 0
            ? d
            : throw new InvalidDataException($"{s.Symbol} {s.Kind}: \"{key}\" is not a price: {item.GetRawText()}");

    /// <summary><c>NMin</c> / <c>NHour</c> / <c>1Day</c> (also T, H, D) in ns.</summary>
    public static long BarNs(string timeframe)
    {
        int unitAt = 0;
        while (unitAt < timeframe.Length && char.IsAsciiDigit(timeframe[unitAt])) unitAt++;
        if (unitAt > 0 && int.TryParse(timeframe.AsSpan(0, unitAt), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0)
        {
            switch (timeframe[unitAt..])
            {
                case "Min" or "T": return n * 60_000_000_000L;
                case "Hour" or "H": return n * 3_600_000_000_000L;
                case "Day" or "D" when n == 1: return 86_400_000_000_000L;
            }
        }
        throw new ArgumentException($"timeframe '{timeframe}': give NMin, NHour or 1Day", nameof(timeframe));
    }

    /// <summary>All part files into OUT in time order (equal times: in stream order), through a temporary file renamed at the end.</summary>
    private long Merge()
    {
        var symbols = new SymbolTable();
        var readers = _streams.Select(s => TapeReader.Open(Path.Combine(PartDirectory, s.File), symbols)).ToList();
        string temp = options.Output + ".tmp";
        long rows = 0;
        try
        {
            var heads = new Tick[readers.Count];
            var queue = new PriorityQueue<int, (long, int)>();
            for (int i = 0; i < readers.Count; i++)
            {
                if (readers[i].TryRead(out heads[i])) queue.Enqueue(i, (heads[i].TimeNs, i));
            }
            var format = TapeReader.FormatFromExtension(options.Output) ?? TapeFormat.Csv;
            using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write))
            using (var writer = TickTapeWriter.Create(file, format, symbols, leaveOpen: true))
            {
                while (queue.TryDequeue(out int i, out _))
                {
                    writer.Write(in heads[i]);
                    rows++;
                    if (readers[i].TryRead(out heads[i])) queue.Enqueue(i, (heads[i].TimeNs, i));
                }
            }
        }
        finally
        {
            foreach (var r in readers) r.Dispose();
        }
        File.Move(temp, options.Output, overwrite: true);
        return rows;
    }

    private void WriteSidecar(long rows)
    {
        var sources = new JsonObject();
        foreach (var group in _streams.GroupBy(s => s.Symbol))
            sources[group.Key] = new JsonArray([.. group.Select(s => (JsonNode)(s.Kind switch { "option_trades" => "trades", "option_bars" => $"bars {options.BarTimeframe} (close at bar end)", var k => k }))]);
        bool anyOption = _streams.Any(s => s.Kind.StartsWith("option_", StringComparison.Ordinal));
        var line = new JsonObject
        {
            ["kind"] = "fetch",
            ["at"] = NanoTime.FormatRfc3339((DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100),
            ["url"] = client.BaseUrl,
            ["start"] = NanoTime.FormatRfc3339(options.StartNs),
            ["end"] = NanoTime.FormatRfc3339(options.EndNs),
            ["feed"] = options.Feed,
            ["rows"] = rows,
            ["requests"] = client.Requests,
            ["rate_limited"] = client.RateLimited,
            ["resumed"] = Resumed,
            ["sources"] = sources,
        };
        if (anyOption)
            line["note"] = "Alpaca keeps no historical option quotes: option rows are " + (options.OptionData == OptionHistory.Trades ? "trades" : "bar closes") + " (last), so a replay marks options from them, not from a bid/ask";
        File.WriteAllText(options.Output + ".meta.jsonl", line.ToJsonString() + "\n");
    }
}

/// <summary>One symbol's history of one kind (<c>quotes</c>, <c>trades</c>, <c>option_trades</c>, <c>option_bars</c>) and how far its fetch is.</summary>
public sealed class FetchStream(string symbol, string kind, string file)
{
    public string Symbol => symbol;
    public string Kind => kind;
    public string File => file;
    public string? NextPageToken { get; set; }
    public long Bytes { get; set; }
    public long Rows { get; set; }
    public int Pages { get; set; }
    public bool Done { get; set; }
}
