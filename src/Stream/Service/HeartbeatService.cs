using Microsoft.Extensions.Options;
using Microsoft.Extensions.Hosting;
using Streamer.Stream.Contracts;
using Streamer.Stream.Nats;
namespace Streamer.Stream.Service;

/// <summary>Publishes the status report on <c>streamer.heartbeat</c> every <c>Heartbeat:IntervalSeconds</c>.</summary>
internal sealed class HeartbeatService(IMessageBus bus, StatusReport report, ServiceStatus status, IOptions<HeartbeatOptions> heartbeat, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(heartbeat.Value.IntervalSeconds), time);
        do
        {
            var tps = status.SampleTicksPerSecond();
            // while NATS is down there is nobody to hear it; the bus state says so when it is back
            bus.TryPublish(NatsSubjects.Heartbeat, ServiceJson.Write(w => report.Write(w, tps)));
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
