using System.Threading.Channels;
using Streamer.Rules.Market;

namespace Streamer.Stream.Pipeline;

/// <summary>
/// Ticks another component writes into a channel: the Alpaca stream client (branch alpaca) takes a
/// <c>ChannelWriter&lt;Tick&gt;</c> and writes parsed ticks there; this pumps the reader into the
/// pipeline. The host maps the client's <c>StateChanged</c> (Connecting/Live/Stale/Down, the same
/// four states) to <see cref="Report"/>. Ends when the writer completes or on cancellation (at once,
/// even with an idle writer).
/// </summary>
public sealed class ChannelTickSource(ChannelReader<Tick> reader, string name) : ITickSource
{
    private FeedMonitor? _feed;

    public string Name => name;

    public long Ticks { get; private set; }

    /// <summary>The producer's own connection state (e.g. the Alpaca client reconnecting).</summary>
    public void Report(FeedStatus status) => _feed?.Report(name, status);

    public Task RunAsync(TickIngress ingress, FeedMonitor feed, CancellationToken cancellationToken)
    {
        _feed = feed;
        var pump = Task.Factory.StartNew(() => PumpAsync(ingress, cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
        if (!cancellationToken.CanBeCanceled) return pump;
        // the pump's wait takes no token (below), so a stop would wait for a tick or for the writer to complete,
        // forever with an idle producer: the source ends at the stop, the pump at its next wake-up (publishing nothing)
        return Task.WhenAny(pump, Task.Delay(Timeout.Infinite, cancellationToken)).Unwrap();
    }

    private async Task PumpAsync(TickIngress ingress, CancellationToken cancel)
    {
        try
        {
            // no token on the wait: a cancellable wait allocates per call; cancellation ends the pump at the next tick or when the writer completes
            while (!cancel.IsCancellationRequested && await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (!cancel.IsCancellationRequested && reader.TryRead(out var tick))
                {
                    ingress.Publish(in tick);
                    Ticks++;
                }
            }
        }
        catch (ChannelClosedException)
        {
        }
    }
}
