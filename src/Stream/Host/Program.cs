using Streamer.Stream.Host.Cli;
using Streamer.Stream.Host.Commands;
namespace Streamer.Stream.Host;

internal static class Program
{
    private static readonly (string Name, string Usage, string Summary, Func<string[], int> Run)[] Commands =
    [
        ("demo", "streamer demo [--report R.json] [--html R.html]", "replays the bundled sample session offline and shows each exit as it fires", DemoCommand.Run),
        ("replay", "streamer replay --positions P --ticks T [--books B] [--report R.json] [--csv R.csv] [--html R.html] [--until TIME]", "backtest: runs the engine over a tape and writes a report", ReplayCommand.Run),
        ("run", "streamer run [--config FILE] [--Section:Key=value ...]", "the live service: market data, NATS, intake, journal", RunCommand.Run),
        ("gateway", GatewayCommand.Usage, "the feed gateway: holds the market-data connections (or a tape) and publishes the ticks engines demand on NATS", GatewayCommand.Run),
        ("emulate", "streamer emulate --ticks T [--port N] [--speed X] [--loop] [--partial-fills] [--reject-symbols L] [--no-fill-symbols L] [--history] [--rate-limit N[/S]] [--assign SYMBOL@TIME] [--no-pin-risk]", "serves Alpaca's stream and trading protocol on loopback from a tape", EmulateCommand.Run),
        ("greeks", "streamer greeks --jsonl", "prices options: one JSON object per line on stdin, one per line on stdout", GreeksCommand.Run),
        ("sweep", SweepCommand.Usage, "runs every combination of a grid of book parameters over one parse of a tape, side by side on every core", SweepCommand.Run),
        ("tape", TapeCommand.Usage, "converts a tape: CSV or JSONL into Streamer's binary tape (.stape), or back to CSV", TapeCommand.Run),
        ("record", RecordCommand.Usage, "records Alpaca's stock and option streams (or the emulator's) into one tape per session day, naming every gap", RecordCommand.Run),
        ("fetch", FetchCommand.Usage, "builds a tape from Alpaca's historical market data (paged, rate-limit aware, resumable)", FetchCommand.Run),
        ("synth", "streamer synth --out T (--symbols LIST|@FILE | --positions P) [--spot SYM=P,..] [--vol SYM=V,..] [--start DATE] [--days N] [--rate PER_SEC] [--seed N] [--ticks N] [--bad-quotes R]", "writes a seeded, reproducible synthetic tape", SynthCommand.Run),
    ];

    public static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
        {
            PrintHelp(Console.Out);
            return args.Length == 0 ? 2 : 0;
        }
        if (args[0] == "--version")
        {
            Console.WriteLine(typeof(Program).Assembly.GetName().Version);
            return 0;
        }
        foreach (var c in Commands)
        {
            if (c.Name != args[0]) continue;
            try
            {
                return c.Run(args[1..]);
            }
            catch (CliException e)
            {
                Console.Error.WriteLine(e.Message);
                return 2;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // a file that went away or a disk that filled mid-command: one line, never a stack trace
                Console.Error.WriteLine($"streamer {c.Name}: {e.Message}");
                return 2;
            }
        }
        Console.Error.WriteLine($"streamer: unknown command '{args[0]}' (see streamer --help)");
        return 2;
    }

    private static void PrintHelp(TextWriter w)
    {
        w.WriteLine("streamer: a tick-driven exit engine for options and stock positions");
        w.WriteLine();
        w.WriteLine("commands:");
        foreach (var c in Commands)
            w.WriteLine($"  {c.Usage}\n      {c.Summary}");
    }
}
