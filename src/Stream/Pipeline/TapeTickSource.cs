using System.Diagnostics;
using Streamer.Feed.Tapes;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;

namespace Streamer.Stream.Pipeline;

/// <summary>
/// A tick tape (<c>Feed:Tape</c>) as a source, on its own thread. <c>Feed:Speed</c> 0: as fast as
/// the shards take it, the clock following tape time (<see cref="ClockMode.Virtual"/>); N: each tick
/// is released when N× real time since the first tick reaches its tape time (the pipeline's scaled
/// clock, so time rules fire on the same time line). A malformed row stops the tape with an alert
/// naming file and line; the service goes on.
/// </summary>
public sealed class TapeTickSource : ITickSource
{
    private readonly Func<TapeReader> _open;

    public TapeTickSource(string path, SymbolTable symbols)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(symbols);
        Name = path;
        _open = () => TapeReader.Open(path, symbols);
    }

    /// <summary>A tape already opened (a stream, tests).</summary>
    public TapeTickSource(TapeReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        Name = reader.Path;
        _open = () => reader;
    }

    public string Name { get; }

    /// <summary>Ticks published so far.</summary>
    public long Ticks { get; private set; }

    /// <summary>Set when the tape stopped on a bad row.</summary>
    public string? Error { get; private set; }

    public Task RunAsync(TickIngress ingress, FeedMonitor feed, CancellationToken cancellationToken) =>
        Task.Factory.StartNew(() => Pump(ingress, feed, cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void Pump(TickIngress ingress, FeedMonitor feed, CancellationToken cancel)
    {
        var clock = ingress.Clock;
        bool paced = clock.Mode == ClockMode.Scaled;
        using var tape = _open();
        try
        {
            while (!cancel.IsCancellationRequested && tape.TryRead(out Tick tick))
            {
                if (paced && clock.IsAnchored) WaitUntil(clock.DueTimestamp(tick.TimeNs), cancel);
                ingress.Publish(in tick);
                Ticks++;
            }
        }
        catch (TapeFormatException e)
        {
            Error = e.Message;
            feed.Report(Name, FeedStatus.Down);
            throw;
        }
        // the pipeline ends the tape when its last source ends (another source may still be running)
    }

    /// <summary>a tape's pacing: sleeps while the due time is more than 2 ms away, then spins briefly (the gateway's tape upstream paces the same way).</summary>
    public static void WaitUntil(long dueTimestamp, CancellationToken cancel)
    {
        while (true)
        {
            long left = dueTimestamp - Stopwatch.GetTimestamp();
            if (left <= 0 || cancel.IsCancellationRequested) return;
            double ms = left * 1000.0 / Stopwatch.Frequency;
            if (ms > 2) Thread.Sleep((int)Math.Min(ms - 1, 200));
            else Thread.SpinWait(50);
        }
    }
}
