using Microsoft.Extensions.Hosting;
using Streamer.Stream.Nats;
using Streamer.Stream.Journal.Outbox;
namespace Streamer.Stream.Service;

/// <summary>
/// Starts the exit outbox (what the last run left unpublished goes out first) and turns its
/// failures and the bus's outages into alerts.
/// </summary>
internal sealed class OutboxHostedService(ExitOutbox outbox, IMessageBus bus, AlertPublisher alerts, TimeProvider time) : IHostedService
{
    private long _downSince;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        outbox.PublishFailed += (exit, e, attempt) =>
        {
            // the first failure and then every tenth: the alert repeat window does the rest
            if (attempt == 1 || attempt % 10 == 0)
                alerts.Raise(AlertPublisher.Kinds.ExitPublishFailed, $"exit '{exit.Id}' not acked (attempt {attempt}): {e.Message}", key: exit.Id,
                    [new("exit_id", exit.Id), new("backlog", outbox.Backlog.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
        };
        outbox.OverCapacity += (exit, refused) => alerts.Raise(AlertPublisher.Kinds.OutboxFull,
            $"exit '{exit.Id}' {(refused ? "refused" : "journaled")} with {outbox.Backlog} exits waiting for NATS (over Outbox:Capacity)", key: exit.PositionId, [new("exit_id", exit.Id)]);
        outbox.ExitParked += (exit, e) => alerts.Raise(AlertPublisher.Kinds.ExitParked,
            $"exit '{exit.Id}' is refused by the stream while NATS is up ({e.Message}): parked. Position '{exit.PositionId}''s exits wait behind it, in order; every other position's go on. It is tried again alone every few seconds; fix what refuses it (the stream's subjects, max_payload, permissions) and it goes out",
            key: exit.PositionId, [new("exit_id", exit.Id), new("position_id", exit.PositionId), new("subject", exit.Subject)]);
        outbox.ExitUnparked += exit => alerts.Raise(AlertPublisher.Kinds.ExitUnparked,
            $"exit '{exit.Id}' was acked at last: position '{exit.PositionId}''s exits go out again, in order", key: exit.PositionId,
            [new("exit_id", exit.Id), new("position_id", exit.PositionId)]);
        outbox.JournalFailed += e => alerts.Raise(AlertPublisher.Kinds.JournalError, "outbox: " + e.Message);
        bus.StateChanged += OnBusState;
        outbox.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        bus.StateChanged -= OnBusState;
        return Task.CompletedTask;
    }

    private void OnBusState(BusState state)
    {
        if (state == BusState.Disconnected)
        {
            Interlocked.Exchange(ref _downSince, time.GetTimestamp());
            alerts.Raise(AlertPublisher.Kinds.NatsOutage, $"NATS connection lost: {bus.LastError}"); // logged; published once back
        }
        else if (state == BusState.Connected)
        {
            var since = Interlocked.Exchange(ref _downSince, 0);
            if (since != 0)
                alerts.Raise(AlertPublisher.Kinds.NatsOutage, $"NATS reconnected after {time.GetElapsedTime(since).TotalSeconds:0.0} s; {outbox.Backlog} exits to deliver", key: "reconnected");
        }
    }
}
