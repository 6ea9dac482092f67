using System.Globalization;
using System.Runtime.InteropServices;
using Streamer.Feed.Alpaca;
using Streamer.Feed.Tapes;
using Streamer.Stream.Alpaca.Recording;
using Streamer.Stream.Host.Cli;

namespace Streamer.Stream.Host.Commands;

/// <summary>
/// <c>streamer record --out DIR (--symbols LIST|@FILE | --positions P) [--data-url URL] [--feed F]
/// [--options-feed F] [--format csv|jsonl] [--for DURATION]</c>: Alpaca's streams (or the emulator's)
/// into one tape per session day (<see cref="TapeRecorder"/>), until Ctrl-C, SIGTERM or --for.
/// </summary>
internal static class RecordCommand
{
    public const string Usage = "streamer record --out DIR (--symbols LIST|@FILE | --positions P) [--data-url URL] [--feed iex|sip] [--options-feed indicative|opra] [--format csv|jsonl] [--for DURATION]";

    public static int Run(string[] args)
    {
        var cli = CliArgs.Parse("record", args);
        string output = cli.Require("out");
        var symbols = SymbolArgs.Gather("record", cli);
        var format = cli.Get("format") switch
        {
            null or "csv" => TapeFormat.Csv,
            "jsonl" => TapeFormat.Jsonl,
            var f => throw new CliException($"streamer record: --format {f}: write csv or jsonl (a binary tape is made from them with streamer tape convert)"),
        };
        var url = Url(cli.Get("data-url") ?? "wss://stream.data.alpaca.markets", "data-url");
        TimeSpan? duration = cli.Get("for") is { } d ? Duration(d) : null;
        string feed = cli.Get("feed") ?? "iex", optionsFeed = cli.Get("options-feed") ?? "indicative";
        cli.RejectUnknown();
        var keys = AlpacaCredentials.FromEnvironment()
            ?? throw new CliException($"streamer record: {AlpacaCredentials.KeyIdVariable} and {AlpacaCredentials.SecretKeyVariable} must be set (keys come only from the environment)");
        if (File.Exists(output)) throw new CliException($"streamer record: --out {output} is a file; give a directory (one tape per session day goes in it)");
        try
        {
            Directory.CreateDirectory(output);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"streamer record: --out {output}: {e.Message}");
        }

        var recorder = new TapeRecorder(new TapeRecorderOptions
        {
            DataUrl = url,
            Feed = feed,
            OptionsFeed = optionsFeed,
            Credentials = keys,
            OutputDirectory = output,
            Format = format,
            Symbols = symbols,
        }, Console.Error);
        using var stop = duration is { } span ? new CancellationTokenSource(span) : new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        Console.Error.WriteLine($"record: {symbols.Count} symbols from {url.GetLeftPart(UriPartial.Authority)} into {output} (Ctrl-C stops)");
        recorder.RunAsync(stop.Token).GetAwaiter().GetResult();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"record: {recorder.RowsWritten:N0} rows into {(recorder.Files.Count == 0 ? "(no file: nothing arrived)" : string.Join(", ", recorder.Files))}; {recorder.Gaps.Count} gaps and {recorder.LateRows:N0} late rows named in the sidecar (*.meta.jsonl)"));
        return 0;
    }

    private static Uri Url(string value, string option) =>
        Uri.TryCreate(value, UriKind.Absolute, out var u) && u.Scheme is "ws" or "wss" or "http" or "https"
            ? u
            : throw new CliException($"streamer record: --{option} {value}: not a ws://, wss://, http:// or https:// URL");

    /// <summary><c>90s</c>, <c>15m</c>, <c>6h</c>, or a TimeSpan (<c>01:30:00</c>).</summary>
    internal static TimeSpan Duration(string value)
    {
        if (value.Length > 1 && double.TryParse(value.AsSpan(0, value.Length - 1), NumberStyles.Float, CultureInfo.InvariantCulture, out double n) && n > 0)
        {
            switch (value[^1])
            {
                case 's': return TimeSpan.FromSeconds(n);
                case 'm': return TimeSpan.FromMinutes(n);
                case 'h': return TimeSpan.FromHours(n);
            }
        }
        if (TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out var t) && t > TimeSpan.Zero) return t;
        throw new CliException($"streamer record: --for {value}: give a duration such as 90s, 15m, 6h or 01:30:00");
    }
}
