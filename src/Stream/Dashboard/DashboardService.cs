using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using Streamer.Stream.Journal;
using Streamer.Stream.Metrics;
using Streamer.Stream.Service;

namespace Streamer.Stream.Dashboard;

/// <summary>
/// Serves the dashboard inside <c>streamer run</c>: its own small Kestrel app on <c>Dashboard:Url</c>,
/// started with the service and stopped with it. A dashboard that cannot listen (the port taken) is an
/// error in the log and a <c>dashboard_down</c> alert, and the engine goes on: the positions are watched
/// whether or not anybody can look at them.
/// </summary>
internal sealed partial class DashboardService(DashboardOptions options, DashboardHub hub, IControlApi control, HealthSampler health,
    JournalDatabase journal, AlertPublisher alerts, ILogger<DashboardService> log, MeterProvider? meters = null) : IHostedService, IAsyncDisposable
{
    public const string DownAlert = "dashboard_down";

    private WebApplication? _app;
    private CancellationTokenSource? _stop;
    private Task? _sampling;

    /// <summary>Where it listens once started (the port taken for <c>:0</c>); null when it is not serving.</summary>
    public Uri? Address { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(DashboardService).Assembly.GetName().Name });
        builder.Logging.ClearProviders(); // this app's requests are not the service's log; what matters is logged below
        var endPoint = options.EndPoint;
        builder.WebHost.UseKestrel(k =>
        {
            k.Listen(endPoint);
            k.AddServerHeader = false;
        });
        var app = builder.Build();
        var auth = new DashboardAuth(options);
        DashboardEndpoints.Map(app, auth, hub, control, journal);
        // /metrics: the service host's meter provider (AddStreamerMetrics), scraped here behind the same token check
        if (meters is not null) app.MapStreamerMetrics(meterProvider: meters);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            LogCannotListen(log, endPoint.ToString(), e.Message);
            alerts.Raise(DownAlert, $"the dashboard cannot listen on {endPoint} (Dashboard:Url): {e.Message}; the engine runs on without it");
            return;
        }
        _app = app;
        var bound = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        Address = new Uri(bound ?? $"http://{endPoint}");
        LogListening(log, Address.ToString().TrimEnd('/'), auth.Required ? "needs Dashboard:Token (bearer header, or sign in at /login)" : "loopback, no token");
        _stop = new CancellationTokenSource();
        _sampling = SampleAsync(_stop.Token);
    }

    // the health panel once a second, only while a page is open
    private async Task SampleAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                if (hub.ClientCount == 0) continue;
                try
                {
                    hub.Broadcast(new SseItem("status", health.Sample()));
                }
#pragma warning disable CA1031 // a failed sample is a missing second of the health panel, never the end of the dashboard
                catch (Exception e)
#pragma warning restore CA1031
                {
                    LogSampleFailed(log, e.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_stop is not null) await _stop.CancelAsync().ConfigureAwait(false);
        if (_sampling is not null) await _sampling.ConfigureAwait(false);
        hub.Dispose(); // ends every open page's stream, so Kestrel's stop does not wait on them
        if (_app is not null) await _app.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync().ConfigureAwait(false);
        _app = null;
        _stop?.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "dashboard listening on {Address}/ ({Access})")]
    private static partial void LogListening(ILogger logger, string address, string access);

    [LoggerMessage(Level = LogLevel.Error, Message = "dashboard: cannot listen on {EndPoint} (Dashboard:Url): {Error}; the engine runs on without it")]
    private static partial void LogCannotListen(ILogger logger, string endPoint, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "dashboard: health sample failed: {Error}")]
    private static partial void LogSampleFailed(ILogger logger, string error);
}
