using Microsoft.Extensions.Configuration;
using Streamer.Stream.Contracts;
using Streamer.Stream.Journal;
using Streamer.Stream.Journal.Outbox;
using Streamer.Stream.Nats;
using Streamer.Stream.Pipeline;

namespace Streamer.Stream.Service;

/// <summary>
/// The <c>run</c> configuration (formats.md "run configuration"): one options record per section,
/// each bound by <see cref="SettingsBinder"/> and validated once at start, so a bad value or an
/// unknown key stops the service with one line naming it, never a half-started service. The
/// <c>Alpaca</c> section is bound by the host (its record lives in the Alpaca layer, above this one).
/// </summary>
public sealed record StreamerSettings
{
    public NatsOptions Nats { get; init; } = new();

    /// <summary><see cref="FeedOptions.Tape"/> as given; <see cref="FeedTape"/> is the checked full path.</summary>
    public FeedOptions Feed { get; init; } = new();

    public PipelineSectionOptions Pipeline { get; init; } = new();

    public SnapshotsOptions Snapshots { get; init; } = new();

    public JournalOptions Journal { get; init; } = new();

    public OutboxOptions Outbox { get; init; } = new();

    public ExitsOptions Exits { get; init; } = new();

    public HeartbeatOptions Heartbeat { get; init; } = new();

    public IntakeOptions Intake { get; init; } = new();

    public ShutdownOptions Shutdown { get; init; } = new();

    public string NatsUrl => Nats.Url;

    /// <summary>the connection <see cref="Nats"/> describes, its secrets read at start (they never appear in its <c>ToString</c>).</summary>
    public NatsBusOptions NatsConnection { get; init; } = new();

    /// <summary><c>Feed:Tape</c>, full path of an existing file: a tape instead of live market data.</summary>
    public string? FeedTape { get; init; }

    /// <summary><c>Feed:Speed</c>: × real time; 0 = as fast as possible.</summary>
    public double FeedSpeed => Feed.Speed;

    /// <summary><c>Positions:File</c>, full path of an existing file.</summary>
    public string? PositionsFile { get; init; }

    /// <summary><c>Books:File</c>, full path of an existing file.</summary>
    public string? BooksFile { get; init; }

    /// <summary><c>Journal:Path</c>, full path.</summary>
    public required string JournalPath { get; init; }

    /// <summary><c>Heartbeat:IntervalSeconds</c> (5).</summary>
    public TimeSpan HeartbeatInterval => TimeSpan.FromSeconds(Heartbeat.IntervalSeconds);

    /// <summary><c>Outbox:Capacity</c> (10000): unpublished exits allowed while NATS is down.</summary>
    public int OutboxCapacity => Outbox.Capacity;

    /// <summary>
    /// appsettings.json (next to the working directory), then <c>--config FILE</c>, then environment
    /// variables (<c>Nats__Url</c>), then <c>--Section:Key=value</c> arguments; later ones win.
    /// </summary>
    public static IConfigurationRoot BuildConfiguration(string[] args, string baseDirectory)
    {
        ArgumentNullException.ThrowIfNull(args);
        var rest = new List<string>();
        string? configFile = null;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--config")
            {
                if (i + 1 >= args.Length) throw new SettingsException("streamer run: option --config needs a file");
                configFile = args[++i];
            }
            else if (args[i].StartsWith("--config=", StringComparison.Ordinal)) configFile = args[i]["--config=".Length..];
            else rest.Add(args[i]);
        }
        foreach (var a in rest)
            if (!a.StartsWith("--", StringComparison.Ordinal) || !a.Contains('=', StringComparison.Ordinal))
                throw new SettingsException($"streamer run: unexpected argument '{a}' (settings are --Section:Key=value)");

        var builder = new ConfigurationBuilder().SetBasePath(baseDirectory).AddJsonFile("appsettings.json", optional: true);
        if (configFile is not null)
        {
            var full = Path.GetFullPath(configFile, baseDirectory);
            if (!File.Exists(full)) throw new SettingsException($"streamer run: config file '{configFile}' not found");
            builder.AddJsonFile(full, optional: false);
        }
        try
        {
            return builder.AddEnvironmentVariables().AddCommandLine([.. rest]).Build();
        }
        catch (InvalidDataException e)
        {
            throw new SettingsException($"streamer run: bad configuration file: {e.Message}");
        }
        catch (FormatException e)
        {
            throw new SettingsException($"streamer run: bad configuration: {e.Message}");
        }
    }

    public static StreamerSettings From(IConfiguration c, string baseDirectory)
    {
        ArgumentNullException.ThrowIfNull(c);
        var nats = SettingsBinder.Bind<NatsOptions>(c, "Nats");
        var feed = SettingsBinder.Bind<FeedOptions>(c, "Feed");
        var pipeline = SettingsBinder.Bind<PipelineSectionOptions>(c, "Pipeline");
        var snapshots = SettingsBinder.Bind<SnapshotsOptions>(c, "Snapshots");
        var journal = SettingsBinder.Bind<JournalOptions>(c, "Journal");
        var outbox = SettingsBinder.Bind<OutboxOptions>(c, "Outbox");
        var exits = SettingsBinder.Bind<ExitsOptions>(c, "Exits");
        var heartbeat = SettingsBinder.Bind<HeartbeatOptions>(c, "Heartbeat");
        var positions = SettingsBinder.Bind<PositionsOptions>(c, "Positions");
        var books = SettingsBinder.Bind<BooksOptions>(c, "Books");
        var intake = SettingsBinder.Bind<IntakeOptions>(c, "Intake");
        var shutdown = SettingsBinder.Bind<ShutdownOptions>(c, "Shutdown");
        return new StreamerSettings
        {
            Nats = nats,
            NatsConnection = nats.ToBusOptions(Environment.GetEnvironmentVariable, baseDirectory),
            Feed = feed,
            Pipeline = pipeline,
            Snapshots = snapshots,
            Journal = journal,
            Outbox = outbox,
            Exits = exits,
            Heartbeat = heartbeat,
            Intake = intake,
            Shutdown = shutdown,
            FeedTape = ExistingFile("Feed:Tape", feed.Tape, baseDirectory),
            PositionsFile = ExistingFile("Positions:File", positions.File, baseDirectory),
            BooksFile = ExistingFile("Books:File", books.File, baseDirectory),
            JournalPath = Path.GetFullPath(journal.Path, baseDirectory),
        };
    }

    private static string? ExistingFile(string key, string? v, string baseDirectory)
    {
        if (string.IsNullOrWhiteSpace(v)) return null;
        var full = Path.GetFullPath(v, baseDirectory);
        return File.Exists(full) ? full : throw new SettingsException($"{key}: file '{v}' not found");
    }
}
