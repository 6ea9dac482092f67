using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Streamer.Stream.Alpaca;
using Streamer.Stream.Alpaca.MarketData;
using Streamer.Stream.Alpaca.Trading;
using Streamer.Stream.Contracts;
using Streamer.Stream.Dashboard;
using Streamer.Stream.Metrics;
using Streamer.Stream.Pipeline;
using Streamer.Stream.Service;
using Streamer.Stream.Service.Gateway;
using Streamer.Stream.Nats;

namespace Streamer.Stream.Host.Hosting;

/// <summary>
/// <c>streamer run</c>: the service host (<see cref="StreamerService"/>: NATS, journal, outbox,
/// heartbeat, alerts, control API, intake) plus the live pipeline (<see cref="LivePipelineService"/>)
/// and the dashboard (<c>Dashboard:*</c>).
/// </summary>
internal static class LiveServiceHost
{
    /// <summary>Runs until Ctrl+C / SIGTERM (or, with <c>Feed:ExitWhenDone</c>, the tape's end). 0 after a clean stop, 2 on bad settings.</summary>
    public static int Run(string[] args)
    {
        IHost host;
        try
        {
            host = Create(args, Directory.GetCurrentDirectory());
        }
        catch (SettingsException e)
        {
            Console.Error.WriteLine(e.Message.StartsWith("streamer run:", StringComparison.Ordinal) ? e.Message : "streamer run: " + e.Message);
            return 2;
        }
        catch (InvalidOperationException e) when (e.Message.StartsWith("journal ", StringComparison.Ordinal))
        {
            Console.Error.WriteLine("streamer run: Journal:Path: " + e.Message);
            return 2;
        }
        try
        {
            host.Run(); // disposes the host: pipeline drained, outbox stopped, journal closed, bus closed
        }
        catch (Microsoft.Data.Sqlite.SqliteException e)
        {
            // the journal failed under the start (a page damaged past what the open's check reads): one line, and what to do
            Console.Error.WriteLine($"streamer run: Journal:Path: the journal failed: {e.Message}. If it is damaged, move it aside and start with Journal:RebuildFromStream=true (docs/journal.md \"Recovery\")");
            return 2;
        }
        return Environment.ExitCode; // 0, or 2 when the run refused its input while running (a tape changed under it)
    }

    /// <summary>Builds the host (not started). Throws <see cref="SettingsException"/> naming a bad key.</summary>
    public static IHost Create(string[] args, string baseDirectory, Action<ILoggingBuilder>? logging = null) =>
        StreamerService.CreateHost(args, baseDirectory, logging, (services, settings, configuration) =>
        {
            // the Alpaca section's record lives in the Alpaca layer, above the service: bound here, at build time like the rest
            var alpaca = SettingsBinder.Bind<AlpacaOptions>(configuration, "Alpaca");
            services.AddSingleton(Options.Create(alpaca));
            var options = LiveServiceOptions.From(settings, alpaca.MarketClockSpeed);
            services.AddSingleton(options);
            if (settings.FeedTape is null && settings.Feed.FromGateway) // Feed:Source=gateway: the feed gateway's ticks over NATS, no Alpaca connection
            {
                var gateway = SettingsBinder.Bind<GatewaySectionOptions>(configuration, "Gateway").ToFeedOptions();
                services.AddSingleton<IMarketDataFeedFactory>(sp => gateway with { Bus = sp.GetRequiredService<IMessageBus>() });
            }
            else if (settings.FeedTape is null && AlpacaFeedOptions.From(alpaca) is { } feed) // Alpaca:DataUrl: live market data
                services.AddSingleton<IMarketDataFeedFactory>(feed);
            services.AddSingleton<LivePipelineService>();
            services.AddSingleton<IRuleControl>(sp => sp.GetRequiredService<LivePipelineService>()); // the control API's pause/resume
            services.AddSingleton<IPositionRegistry, PipelinePositionRegistry>(); // replaces the journal-only registry
            // the Streamer meter's exporters (Metrics:*, docs/metrics.md): the MeterProvider lives in this host, so OTLP
            // exports with or without a dashboard; the dashboard serves its Prometheus scrape on /metrics
            services.AddStreamerMetrics(configuration);
            // the dashboard (Dashboard:*, docs/dashboard.md): checked now (beyond loopback without a token is exit 2), listening before the pipeline starts
            services.AddStreamerDashboard(SettingsBinder.Bind<DashboardOptions>(configuration, "Dashboard"));
            services.AddHostedService(sp => sp.GetRequiredService<LivePipelineService>()); // last: stops first, drains into the outbox
            if (AlpacaTradingOptions.From(alpaca, options, settings.FeedTape is not null) is { } trading) // Alpaca:TradingUrl: after the pipeline (its positions restored), stopped before it
                services.AddSingleton(trading).AddHostedService<AlpacaTradingService>();
        });
}
