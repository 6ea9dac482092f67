using NATS.Client.Core;

namespace Streamer.Stream.Nats;

/// <summary>
/// One <see cref="IMessageBus.Subscribe"/>: a NATS.Net subscription (the client re-subscribes it
/// after every reconnect) read by one loop, so the handler sees messages one at a time, in order.
/// A throwing handler is reported, never allowed to end the loop or the process.
/// </summary>
internal sealed class BusSubscription : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public BusSubscription(NatsConnection connection, string subject, string? queueGroup, Action<BusMessage> handler, Action<string> report)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Started = started.Task;
        _loop = RunAsync(connection, subject, queueGroup, handler, report, started, _stop.Token);
    }

    /// <summary>completes when the server has the subscription (or it failed).</summary>
    public Task Started { get; }

    private static async Task RunAsync(NatsConnection connection, string subject, string? queueGroup, Action<BusMessage> handler, Action<string> report, TaskCompletionSource started, CancellationToken stop)
    {
        INatsSub<byte[]>? sub = null;
        try
        {
            sub = await connection.SubscribeCoreAsync<byte[]>(subject, queueGroup, cancellationToken: stop).ConfigureAwait(false);
            started.TrySetResult();
            await foreach (var m in sub.Msgs.ReadAllAsync(stop).ConfigureAwait(false))
            {
                try
                {
                    handler(new BusMessage(m.Subject, m.ReplyTo, m.Data ?? []));
                }
#pragma warning disable CA1031 // a handler's bug must not end the subscription
                catch (Exception e)
#pragma warning restore CA1031
                {
                    report($"handler for '{subject}' threw {e.GetType().Name}: {e.Message}");
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // the connection was disposed under it: the subscription simply ends
        catch (Exception e)
#pragma warning restore CA1031
        {
            report($"subscription '{subject}' ended: {e.Message}");
        }
        finally
        {
            started.TrySetResult();
            if (sub is not null)
            {
                try
                {
                    await sub.DisposeAsync().ConfigureAwait(false);
                }
#pragma warning disable CA1031 // unsubscribing from a dead connection has nothing to undo
                catch (Exception)
#pragma warning restore CA1031
                {
                }
            }
        }
    }

    public void Dispose()
    {
        if (_stop.IsCancellationRequested) return;
        _stop.Cancel();
        _loop.Wait(TimeSpan.FromSeconds(2));
        _stop.Dispose();
    }
}
