using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Streamer.Stream.Journal;
using Streamer.Stream.Contracts;
using Streamer.Stream.Nats;
using Streamer.Stream.Journal.Outbox;
namespace Streamer.Stream.Service;

/// <summary>
/// <c>streamer run</c>: the generic host with NATS, the journal and its exit outbox, the heartbeat,
/// alerts, the control API and the executions intake. Market data and the rule engine plug in
/// from their branches (they resolve <see cref="ExitOutbox"/>, <see cref="IPositionRegistry"/>,
/// <see cref="ServiceStatus"/>, <see cref="AlertPublisher"/> from the container).
/// </summary>
public static class StreamerService
{
    /// <summary>Runs until Ctrl+C / SIGTERM. 0 after a clean stop, 2 on bad settings (one line on stderr).</summary>
    public static int Run(string[] args)
    {
        IHost host;
        try
        {
            host = CreateHost(args, Directory.GetCurrentDirectory());
        }
        catch (SettingsException e)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }
        catch (InvalidOperationException e) when (e.Message.StartsWith("journal ", StringComparison.Ordinal))
        {
            Console.Error.WriteLine("streamer run: " + e.Message);
            return 2;
        }
        host.Run(); // disposes the host: outbox stops, journal closes, bus closes
        return 0;
    }

    /// <summary>
    /// A tape (<c>Feed:Tape</c>) is read whole before anything starts, as <c>replay</c> reads it: a bad
    /// row (out of time order, a year outside 1900-2200, a malformed field) refuses the run naming file
    /// and line (exit 2), instead of half a session decided and a clean exit (docs/limits.md).
    /// </summary>
    private static void CheckTape(string path)
    {
        try
        {
            using var reader = Streamer.Feed.Tapes.TapeReader.Open(path, new Streamer.Rules.Instruments.SymbolTable());
            while (reader.TryRead(out _)) { }
        }
        catch (Streamer.Feed.Tapes.TapeFormatException e)
        {
            throw new SettingsException("Feed:Tape: " + e.Message);
        }
    }

    /// <summary>Builds the host (not started). Throws <see cref="SettingsException"/> naming a bad key.</summary>
    /// <param name="extend">more services (the live pipeline): called after the defaults, so its registrations win.</param>
    public static IHost CreateHost(string[] args, string baseDirectory, Action<ILoggingBuilder>? logging = null, Action<IServiceCollection, StreamerSettings, IConfiguration>? extend = null)
    {
        var configuration = StreamerSettings.BuildConfiguration(args, baseDirectory);
        var settings = StreamerSettings.From(configuration, baseDirectory);
        if (settings.FeedTape is { } tape) CheckTape(tape);
        // held for the host's life, before the journal is opened: a second service on it is refused here
        var instance = JournalInstanceLock.Acquire(settings.JournalPath);
        // opened now so a bad path is an error before anything starts
        JournalDatabase journal;
        try
        {
            journal = JournalDatabase.Open(settings.JournalPath);
            journal.ReleaseOnClose(instance);
        }
        catch
        {
            instance.Dispose();
            throw;
        }

        try
        {
            var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = baseDirectory, DisableDefaults = true });
            builder.Configuration.AddConfiguration(configuration);
            if (logging is not null) logging(builder.Logging);
            else builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; }).SetMinimumLevel(LogLevel.Information);

            var s = builder.Services;
            s.AddSingleton(settings);
            // each section's record as IOptions<T>, already bound and validated (SettingsBinder: eager, so a bad value is exit 2, not a crash in StartAsync)
            s.AddSingleton(Options.Create(settings.Nats));
            s.AddSingleton(Options.Create(settings.Feed));
            s.AddSingleton(Options.Create(settings.Pipeline));
            s.AddSingleton(Options.Create(settings.Snapshots));
            s.AddSingleton(Options.Create(settings.Journal));
            s.AddSingleton(Options.Create(settings.Outbox));
            s.AddSingleton(Options.Create(settings.Heartbeat));
            s.AddSingleton(Options.Create(settings.Intake));
            s.AddSingleton(Options.Create(settings.Shutdown));
            s.AddSingleton(TimeProvider.System);
            s.AddSingleton(_ => journal); // factory registration: the container disposes it, after the outbox
            // each service takes the store it needs; they share the journal's one connection
            s.AddSingleton(journal.Exits);
            s.AddSingleton(journal.Fills);
            s.AddSingleton(journal.Positions);
            s.AddSingleton(journal.Orders);
            s.AddSingleton<IMessageBus>(_ => new NatsBus(settings.NatsConnection));
            s.AddSingleton(sp => new JetStreamClient(sp.GetRequiredService<IMessageBus>()));
            s.AddSingleton(sp => new ExitOutbox(sp.GetRequiredService<ExitStore>(), sp.GetRequiredService<JetStreamClient>(), new ExitOutboxOptions { Capacity = settings.Outbox.Capacity, Durability = settings.Exits.Mode, ParkAfterFailures = settings.Outbox.ParkAfterFailures, ParkedRetryInterval = TimeSpan.FromSeconds(settings.Outbox.ParkedRetrySeconds), Stream = ExitStream.Spec with { DuplicateWindow = settings.Nats.DuplicateWindow, Replicas = settings.Nats.ExitStreamReplicas } }));
            s.AddSingleton<ServiceStatus>();
            s.AddSingleton<StatusReport>();
            s.AddSingleton<ServiceEvents>();
            s.AddSingleton<AlertPublisher>();
            // the Streamer meter and its instruments (docs/metrics.md), live with or without an exporter
            s.AddMetrics();
            s.AddSingleton<Metrics.StreamerMetrics>();
            s.AddHostedService(sp => sp.GetRequiredService<Metrics.StreamerMetrics>());
            s.AddSingleton<IPositionRegistry, JournalPositionRegistry>();
            s.AddSingleton<ExecutionIntakeService>();
            s.AddHostedService<NatsConnectionLog>();
            s.AddHostedService<OutboxHostedService>();
            // one instance: the NATS endpoints (hosted) and in-process callers (the dashboard, IControlApi) share its handlers
            s.AddSingleton<ControlApiService>();
            s.AddSingleton<IControlApi>(sp => sp.GetRequiredService<ControlApiService>());
            s.AddHostedService(sp => sp.GetRequiredService<ControlApiService>());
            s.AddHostedService(sp => sp.GetRequiredService<ExecutionIntakeService>());
            s.AddHostedService<HeartbeatService>();
            s.AddHostedService<JournalWatchService>();
            extend?.Invoke(s, settings, configuration);
            var host = builder.Build();
            // resolved now so the container owns it (and its lock) whatever else is ever resolved: disposing the host releases both
            _ = host.Services.GetRequiredService<JournalDatabase>();
            return host;
        }
        catch
        {
            journal.Dispose(); // and with it the instance lock: a refused start leaves the journal free
            throw;
        }
    }
}
