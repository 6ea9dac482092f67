using System.Globalization;
using Streamer.Rules.Instruments;
using Streamer.Stream.Alpaca;
using Streamer.Stream.Alpaca.Gateway;
using Streamer.Stream.Alpaca.MarketData;
using Streamer.Stream.Contracts;
using Streamer.Stream.Host.Cli;
using Streamer.Stream.Nats;
using Streamer.Stream.Service;
using Streamer.Stream.Service.Gateway;

namespace Streamer.Stream.Host.Commands;

/// <summary>
/// <c>streamer gateway [--tape T [--speed X]] [--config FILE] [--Section:Key=value ...]</c> (docs/cluster.md
/// "Feed gateway"): the one process holding Alpaca's market-data connections (<c>Alpaca:DataUrl</c>, keys
/// only from <c>APCA_API_KEY_ID</c>/<c>APCA_API_SECRET_KEY</c>, as <c>run</c>) or playing a tape, publishing
/// ticks on <c>streamer.ticks.&lt;UNDERLYING&gt;</c> for the symbols engines demand. NATS as <c>run</c>'s <c>Nats:*</c>.
/// Runs until Ctrl+C / SIGTERM.
/// </summary>
internal static class GatewayCommand
{
    public const string Usage = "streamer gateway [--tape T [--speed X]] [--config FILE] [--Nats:Url=…] [--Alpaca:DataUrl=…] [--Gateway:GraceMilliseconds=N] [--Gateway:TickStream=NAME]";

    public static int Run(string[] args)
    {
        string? tape = null;
        double speed = 1;
        var settingsArgs = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            string? Value(string name) => args[i] == "--" + name ? (i + 1 < args.Length ? args[++i] : throw new CliException($"streamer gateway: option --{name} needs a value"))
                : args[i].StartsWith($"--{name}=", StringComparison.Ordinal) ? args[i][(name.Length + 3)..] : null;
            if (Value("tape") is { } t) tape = t;
            else if (Value("speed") is { } s)
            {
                if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out speed) || speed < 0 || double.IsNaN(speed))
                    throw new CliException($"streamer gateway: --speed must be 0 (as fast as possible) or more, got '{s}'");
            }
            else settingsArgs.Add(args[i]);
        }
        var baseDirectory = Directory.GetCurrentDirectory();
        NatsBusOptions nats;
        FeedGatewayOptions gatewayOptions;
        Func<SymbolTable, IGatewayUpstream> upstream;
        try
        {
            var configuration = StreamerSettings.BuildConfiguration([.. settingsArgs], baseDirectory);
            nats = SettingsBinder.Bind<NatsOptions>(configuration, "Nats").ToBusOptions(Environment.GetEnvironmentVariable, baseDirectory) with { Name = "streamer-gateway" };
            var section = SettingsBinder.Bind<GatewaySectionOptions>(configuration, "Gateway");
            gatewayOptions = new FeedGatewayOptions { Grace = TimeSpan.FromMilliseconds(section.GraceMilliseconds), TickStream = section.ToTickStream() };
            var alpaca = SettingsBinder.Bind<AlpacaOptions>(configuration, "Alpaca");
            if (tape is not null)
            {
                var full = Path.GetFullPath(tape, baseDirectory);
                if (!File.Exists(full)) throw new CliException($"streamer gateway: tape '{tape}' not found");
                upstream = symbols => new TapeUpstream(full, symbols, speed);
            }
            else if (AlpacaFeedOptions.From(alpaca) is { } feed)
            {
                upstream = symbols => new AlpacaUpstream(new AlpacaStreamOptions { DataUrl = feed.DataUrl }, feed.Feed, feed.OptionsFeed, feed.Credentials, symbols);
            }
            else throw new CliException("streamer gateway: needs Alpaca:DataUrl (live market data) or --tape T");
        }
        catch (SettingsException e)
        {
            throw new CliException(e.Message.StartsWith("streamer ", StringComparison.Ordinal) ? e.Message.Replace("streamer run:", "streamer gateway:", StringComparison.Ordinal) : "streamer gateway: " + e.Message);
        }

        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        using var bus = new NatsBus(nats);
        bus.Problem += p => Console.Error.WriteLine("gateway: nats: " + p);
        var symbols = new SymbolTable();
        var source = upstream(symbols);
        if (source is AlpacaUpstream live)
        {
            live.Stocks.StateChanged += s => Console.Error.WriteLine($"gateway: alpaca stocks {s}");
            live.Options.StateChanged += s => Console.Error.WriteLine($"gateway: alpaca options {s}");
            live.Stocks.Alert += a => Console.Error.WriteLine($"gateway: alpaca stocks: {a}");
            live.Options.Alert += a => Console.Error.WriteLine($"gateway: alpaca options: {a}");
        }
        if (!bus.WaitUntilConnectedAsync(nats.ConnectTimeout).GetAwaiter().GetResult())
            Console.Error.WriteLine($"gateway: NATS not reachable yet ({bus.LastError}); retrying");
        var gateway = new FeedGateway(bus, source, symbols, gatewayOptions, TimeProvider.System, Console.Error.WriteLine);
        gateway.RunAsync(stop.Token).GetAwaiter().GetResult();
        Console.Error.WriteLine($"gateway: stopped; {gateway.Published} ticks published");
        return 0;
    }
}
