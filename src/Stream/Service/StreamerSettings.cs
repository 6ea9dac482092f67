using System.Globalization;
using Microsoft.Extensions.Configuration;
using Streamer.Stream.Contracts;

namespace Streamer.Stream.Service;

/// <summary>
/// The <c>run</c> configuration (formats.md "run configuration"), validated once at start so a bad
/// value stops the service with one line naming the key, never a half-started service.
/// </summary>
public sealed record StreamerSettings
{
    public required string NatsUrl { get; init; }

    /// <summary><c>Feed:Tape</c>: a tape file instead of live market data.</summary>
    public string? FeedTape { get; init; }

    /// <summary><c>Feed:Speed</c>: × real time; 0 = as fast as possible.</summary>
    public double FeedSpeed { get; init; } = 1;

    public string? PositionsFile { get; init; }

    public string? BooksFile { get; init; }

    public required string JournalPath { get; init; }

    /// <summary><c>Heartbeat:IntervalSeconds</c> (5).</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary><c>Outbox:Capacity</c> (10000): unpublished exits allowed while NATS is down.</summary>
    public int OutboxCapacity { get; init; } = 10_000;

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
        var url = c["Nats:Url"] ?? "nats://127.0.0.1:4222";
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("nats" or "tls") || uri.Port <= 0)
            throw new SettingsException($"Nats:Url: '{url}' is not a nats://host:port address");
        var speed = Number(c, "Feed:Speed", 1);
        if (speed < 0) throw new SettingsException($"Feed:Speed: {speed.ToString(CultureInfo.InvariantCulture)} must be 0 (as fast as possible) or more");
        var heartbeat = Number(c, "Heartbeat:IntervalSeconds", 5);
        if (heartbeat <= 0) throw new SettingsException("Heartbeat:IntervalSeconds: must be more than 0");
        var capacity = Number(c, "Outbox:Capacity", 10_000);
        if (capacity < 1 || capacity != Math.Floor(capacity) || capacity > int.MaxValue) throw new SettingsException("Outbox:Capacity: must be a whole number, 1 or more");
        return new StreamerSettings
        {
            NatsUrl = url,
            FeedTape = ExistingFile(c, "Feed:Tape", baseDirectory),
            FeedSpeed = speed,
            PositionsFile = ExistingFile(c, "Positions:File", baseDirectory),
            BooksFile = ExistingFile(c, "Books:File", baseDirectory),
            JournalPath = Path.GetFullPath(c["Journal:Path"] is { Length: > 0 } j ? j : "streamer-journal.db", baseDirectory),
            HeartbeatInterval = TimeSpan.FromSeconds(heartbeat),
            OutboxCapacity = (int)capacity,
        };
    }

    /// <summary>A number setting; a value that is not one stops start-up naming the key.</summary>
    public static double Number(IConfiguration c, string key, double fallback)
    {
        var v = c[key];
        if (string.IsNullOrWhiteSpace(v)) return fallback;
        return double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)
            ? d
            : throw new SettingsException($"{key}: '{v}' is not a number");
    }

    private static string? ExistingFile(IConfiguration c, string key, string baseDirectory)
    {
        var v = c[key];
        if (string.IsNullOrWhiteSpace(v)) return null;
        var full = Path.GetFullPath(v, baseDirectory);
        return File.Exists(full) ? full : throw new SettingsException($"{key}: file '{v}' not found");
    }
}

