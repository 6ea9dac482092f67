using System.Globalization;
using Spectre.Console;
using Streamer.Feed.Alpaca;
using Streamer.Feed.Tapes;
using Streamer.Rules.Calendar;
using Streamer.Rules.Time;
using Streamer.Stream.Alpaca.Recording;
using Streamer.Stream.Host.Cli;

namespace Streamer.Stream.Host.Commands;

/// <summary>
/// <c>streamer fetch --from D --to D (--symbols LIST|@FILE | --positions P) --out T [--data-url URL]
/// [--feed iex|sip] [--option-data trades|bars] [--timeframe 1Min]</c>: a tape from Alpaca's
/// historical REST (<see cref="TapeFetcher"/>), with a progress bar on a terminal and a line per
/// finished stream otherwise. Run again after an interruption, it resumes.
/// </summary>
internal static class FetchCommand
{
    public const string Usage = "streamer fetch --from DATE --to DATE (--symbols LIST|@FILE | --positions P) --out T [--data-url URL] [--feed iex|sip] [--option-data trades|bars] [--timeframe 1Min]";

    public static int Run(string[] args)
    {
        var cli = CliArgs.Parse("fetch", args);
        string output = cli.Require("out");
        long start = Instant(cli.Require("from"), "from", endOfDay: false);
        long end = Instant(cli.Require("to"), "to", endOfDay: true);
        if (end < start) throw new CliException("streamer fetch: --to is before --from");
        var symbols = SymbolArgs.Gather("fetch", cli);
        var optionData = cli.Get("option-data") switch
        {
            null or "trades" => OptionHistory.Trades,
            "bars" => OptionHistory.Bars,
            var v => throw new CliException($"streamer fetch: --option-data {v}: give trades or bars (Alpaca keeps no historical option quotes)"),
        };
        string timeframe = cli.Get("timeframe") ?? "1Min";
        try
        {
            TapeFetcher.BarNs(timeframe);
        }
        catch (ArgumentException e)
        {
            throw new CliException($"streamer fetch: --timeframe: {e.Message}");
        }
        string dataUrl = cli.Get("data-url") ?? "https://data.alpaca.markets";
        if (!Uri.TryCreate(dataUrl, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            throw new CliException($"streamer fetch: --data-url {dataUrl}: not an http:// or https:// URL");
        string feed = cli.Get("feed") ?? "iex";
        cli.RejectUnknown();
        if (TapeReader.FormatFromExtension(output) is null)
            throw new CliException($"streamer fetch: --out {output}: name a .csv, .jsonl or .stape tape");
        OutputFile.CheckWritable("fetch", "out", output);
        var keys = AlpacaCredentials.FromEnvironment()
            ?? throw new CliException($"streamer fetch: {AlpacaCredentials.KeyIdVariable} and {AlpacaCredentials.SecretKeyVariable} must be set (keys come only from the environment)");

        using var client = new HistoricalDataClient(url, keys);
        var fetcher = new TapeFetcher(new TapeFetchOptions
        {
            DataUrl = url,
            Credentials = keys,
            StartNs = start,
            EndNs = end,
            Symbols = symbols,
            Output = output,
            Feed = feed,
            OptionData = optionData,
            BarTimeframe = timeframe,
        }, client);
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
        long rows;
        try
        {
            rows = AnsiConsole.Profile.Capabilities.Interactive && !Console.IsErrorRedirected
                ? WithProgressBar(fetcher, client, stop.Token)
                : WithLines(fetcher, client, stop.Token);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            Console.Error.WriteLine($"fetch: interrupted; run the same command again to resume ({output}.part/ holds what came)");
            return 130;
        }
        catch (Exception e) when (e is AlpacaHistoryException or InvalidOperationException or InvalidDataException or HttpRequestException or TapeFormatException)
        {
            throw new CliException($"streamer fetch: {e.Message}");
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"fetch: {rows:N0} rows of {symbols.Count} symbols into {output} ({client.Requests:N0} requests, {client.RateLimited:N0} rate-limited{(fetcher.Resumed ? ", resumed" : "")}); what each symbol's rows are: {output}.meta.jsonl"));
        return 0;
    }

    private static long WithLines(TapeFetcher fetcher, HistoricalDataClient client, CancellationToken ct)
    {
        fetcher.PageDone += s =>
        {
            if (s.Done) Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"fetch: {s.Symbol} {s.Kind}: {s.Rows:N0} rows in {s.Pages} pages"));
        };
        client.RateLimitWait += wait => Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"fetch: rate limited (429): waiting {wait.TotalSeconds:F1} s"));
        return fetcher.RunAsync(ct).GetAwaiter().GetResult();
    }

    private static long WithProgressBar(TapeFetcher fetcher, HistoricalDataClient client, CancellationToken ct)
    {
        long rows = 0;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                ProgressTask? task = null;
                fetcher.PageDone += s =>
                {
                    task ??= ctx.AddTask("fetch", maxValue: fetcher.Streams.Count);
                    task.Value = fetcher.Streams.Count(x => x.Done);
                    task.Description = string.Create(CultureInfo.InvariantCulture, $"{s.Symbol} {s.Kind}: {s.Rows:N0} rows, page {s.Pages}");
                };
                client.RateLimitWait += wait =>
                {
                    if (task is not null) task.Description = string.Create(CultureInfo.InvariantCulture, $"rate limited: waiting {wait.TotalSeconds:F1} s");
                };
                rows = fetcher.RunAsync(ct).GetAwaiter().GetResult();
                if (task is not null) task.Value = task.MaxValue;
            });
        return rows;
    }

    /// <summary>A New York date (from its midnight; for --to through its end) or an RFC 3339 instant.</summary>
    private static long Instant(string value, string option, bool endOfDay)
    {
        if (DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            return endOfDay ? MarketCalendar.NewYorkToUtc(day.AddDays(1), TimeOnly.MinValue) - 1 : MarketCalendar.NewYorkToUtc(day, TimeOnly.MinValue);
        if (NanoTime.TryParseRfc3339(value, out long ns)) return ns;
        throw new CliException($"streamer fetch: --{option} {value}: give a date (YYYY-MM-DD, New York) or an RFC 3339 time");
    }
}
