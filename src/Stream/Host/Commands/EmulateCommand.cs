using System.Globalization;
using System.Runtime.InteropServices;
using Streamer.Feed.Tapes;
using Streamer.Stream.Host.Cli;
using Streamer.Stream.Emulator;

namespace Streamer.Stream.Host.Commands;

/// <summary>
/// <c>streamer emulate --ticks T [--port N] [--speed X] [--loop] [--key K --secret S] [--symbol-limit N]
/// [--partial-fills] [--quote-size N|MIN-MAX] [--reject-symbols L] [--reject-async-symbols L] [--no-fill-symbols L]
/// [--history] [--rate-limit N[/SECONDS]] [--assign SYMBOL@TIME]... [--no-pin-risk]</c>:
/// serves Alpaca's market-data stream and trading protocol on 127.0.0.1 from a tape until Ctrl+C.
/// </summary>
internal static class EmulateCommand
{
    public static int Run(string[] args)
    {
        // --assign may be given many times (CliArgs keeps one value per name): taken out first
        var assignments = new List<ForcedAssignment>();
        var rest = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            string? value = args[i] == "--assign" ? (i + 1 < args.Length ? args[++i] : throw new CliException("streamer emulate: option --assign needs a value"))
                : args[i].StartsWith("--assign=", StringComparison.Ordinal) ? args[i]["--assign=".Length..] : null;
            if (value is null)
            {
                rest.Add(args[i]);
                continue;
            }
            try
            {
                foreach (var one in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)) assignments.Add(ForcedAssignment.Parse(one));
            }
            catch (FormatException e)
            {
                throw new CliException($"streamer emulate: {e.Message}");
            }
        }
        var cli = CliArgs.Parse("emulate", [.. rest], "loop", "partial-fills", "history", "no-pin-risk");
        string ticks = cli.Require("ticks");
        int port = cli.GetInt("port", 0);
        double speed = cli.GetDouble("speed", 1);
        bool loop = cli.Has("loop");
        string? key = cli.Get("key");
        string? secret = cli.Get("secret");
        int symbolLimit = cli.GetInt("symbol-limit", 1000);
        bool partialFills = cli.Has("partial-fills");
        var quoteSize = QuoteSizeRange(cli.Get("quote-size"));
        var reject = SymbolList(cli.Get("reject-symbols"));
        var rejectAsync = SymbolList(cli.Get("reject-async-symbols"));
        var noFill = SymbolList(cli.Get("no-fill-symbols"));
        bool history = cli.Has("history");
        var rateLimit = cli.Get("rate-limit") is { } rl ? RateLimitOf(rl) : null;
        bool pinRisk = !cli.Has("no-pin-risk");
        cli.RejectUnknown();

        if (port is < 0 or > 65535) throw new CliException($"streamer emulate: --port must be 0-65535, got {port}");
        if (double.IsNaN(speed) || speed < 0) throw new CliException($"streamer emulate: --speed must be ≥ 0 (0 = as fast as possible), got {speed}");
        if ((key is null) != (secret is null)) throw new CliException("streamer emulate: give both --key and --secret, or neither (any non-empty pair is then accepted)");
        if (symbolLimit < 1) throw new CliException($"streamer emulate: --symbol-limit must be ≥ 1, got {symbolLimit}");
        if (!File.Exists(ticks)) throw new CliException($"streamer emulate: tape '{ticks}' not found");

        EmulatorTape tape;
        try
        {
            tape = EmulatorTape.Load(ticks);
        }
        catch (TapeFormatException e)
        {
            throw new CliException($"streamer emulate: {e.Message}");
        }
        if (tape.Ticks.Length == 0) throw new CliException($"streamer emulate: tape '{ticks}' holds no ticks");

        var emulator = new AlpacaEmulator(tape, new EmulatorOptions
        {
            Port = port,
            Speed = speed,
            Loop = loop,
            Key = key,
            Secret = secret,
            SymbolLimit = symbolLimit,
            QuoteSize = quoteSize,
            History = history,
            DataRateLimit = rateLimit,
            Broker = new PaperBrokerOptions { PartialFills = partialFills, RejectSymbols = reject, RejectAsyncSymbols = rejectAsync, NoFillSymbols = noFill, PinRiskLiquidation = pinRisk, Assignments = assignments },
        });
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
        // a service manager (or a shell's background job, where SIGINT is ignored) stops it with SIGTERM
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        try
        {
            emulator.StartAsync().GetAwaiter().GetResult();
        }
        catch (IOException e)
        {
            throw new CliException($"streamer emulate: cannot listen on 127.0.0.1:{port}: {e.Message}");
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"streamer emulate: {tape.Ticks.Length} ticks, {tape.Symbols.Count} symbols from {ticks}; speed {speed}x{(loop ? ", looping" : "")}"));
        Console.WriteLine($"  stocks  {emulator.DataUrl}v2/iex   (JSON; MessagePack with Content-Type: application/msgpack)");
        Console.WriteLine($"  options {emulator.DataUrl}v1beta1/indicative   (MessagePack)");
        Console.WriteLine($"  trading {emulator.TradingUrl}v2/account|positions|orders|clock|calendar|assets|options/contracts|account/activities, trade_updates ws://127.0.0.1:{emulator.Port}/stream (paper broker)");
        Console.WriteLine($"  data    {emulator.TradingUrl}v2/stocks/…, {emulator.TradingUrl}v1beta1/options/… (REST from the tape, on the market clock)");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  broker: {(partialFills ? $"partial fills at displayed sizes {quoteSize?.Min ?? 1}-{quoteSize?.Max ?? 10}" : "whole fills")}; reject {Show(reject)}, reject on the stream {Show(rejectAsync)}, never fill {Show(noFill)}; pin-risk liquidation of expiring shorts at 15:30 New York {(pinRisk ? "on" : "off (--no-pin-risk)")}{(assignments.Count > 0 ? "; assign " + string.Join(", ", assignments) : "")}"));
        Console.WriteLine($"  Alpaca:DataUrl={emulator.DataUrl}   {(key is null ? "any non-empty key pair is accepted" : "auth with the given --key/--secret")}; Ctrl+C stops");
        try
        {
            stop.Token.WaitHandle.WaitOne();
        }
        finally
        {
            emulator.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        Console.WriteLine($"streamer emulate: stopped after {emulator.MessagesSent} messages");
        return 0;
    }

    private static string Show(HashSet<string> symbols) => symbols.Count == 0 ? "none" : string.Join(',', symbols.Order(StringComparer.Ordinal));

    private static HashSet<string> SymbolList(string? list) =>
        list is null ? [] : list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);

    /// <summary><c>N</c> or <c>MIN-MAX</c>, 1 ≤ MIN ≤ MAX.</summary>
    private static (int Min, int Max)? QuoteSizeRange(string? text)
    {
        if (text is null) return null;
        var parts = text.Split('-');
        if (parts.Length is 1 or 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int min)
            && int.TryParse(parts[^1], NumberStyles.None, CultureInfo.InvariantCulture, out int max)
            && min >= 1 && max >= min)
            return (min, max);
        throw new CliException($"streamer emulate: --quote-size must be N or MIN-MAX with 1 ≤ MIN ≤ MAX, got '{text}'");
    }

    /// <summary><c>N</c> market-data requests a minute, or <c>N/S</c>: N every S seconds.</summary>
    private static RateLimit RateLimitOf(string value)
    {
        var parts = value.Split('/');
        if (parts.Length is 1 or 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= 1
            && (parts.Length == 1 || (double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double sec) && sec > 0)))
        {
            return new RateLimit(n, parts.Length == 1 ? TimeSpan.FromMinutes(1) : TimeSpan.FromSeconds(double.Parse(parts[1], CultureInfo.InvariantCulture)));
        }
        throw new CliException($"streamer emulate: --rate-limit {value}: give N requests a minute, or N/SECONDS (e.g. 200 or 5/2)");
    }
}
