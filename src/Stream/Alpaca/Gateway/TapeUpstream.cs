using System.Diagnostics;
using Streamer.Feed.Tapes;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;

namespace Streamer.Stream.Alpaca.Gateway;

/// <summary>
/// A tape as the gateway's upstream (<c>streamer gateway --tape T [--speed X]</c>): it starts playing when
/// the first demand arrives (an engine that declares demand before the tape moves misses nothing), on its
/// own clock (tape time anchored at the first tick, X× real time; 0: as fast as the bus takes it), and
/// publishes only the ticks of symbols some engine wants, as Alpaca would send only subscribed ones.
/// </summary>
internal sealed class TapeUpstream(string path, SymbolTable symbols, double speed) : IGatewayUpstream
{
    private readonly TaskCompletionSource _firstDemand = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private bool[] _wanted = new bool[64]; // copied on change, read lock-free per tick

    public string Name => path;

    public long Ticks { get; private set; }

    /// <summary>True once the tape has been read to its end.</summary>
    public bool Finished { get; private set; }

    public Task SubscribeAsync(IReadOnlyList<string> symbolList) => Set(symbolList, true);

    public Task UnsubscribeAsync(IReadOnlyList<string> symbolList) => Set(symbolList, false);

    private Task Set(IReadOnlyList<string> list, bool wanted)
    {
        lock (_gate)
        {
            var next = (bool[])_wanted.Clone();
            foreach (var s in list)
            {
                int id = symbols.Intern(s);
                if (id >= next.Length) Array.Resize(ref next, Math.Max(id + 1, next.Length * 2));
                next[id] = wanted;
            }
            _wanted = next;
        }
        if (wanted) _firstDemand.TrySetResult();
        return Task.CompletedTask;
    }

    public async Task RunAsync(Func<TickPublisher> newPublisher, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(newPublisher);
        await _firstDemand.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        var publisher = newPublisher();
        await Task.Factory.StartNew(() => Play(publisher, cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
    }

    private void Play(TickPublisher publisher, CancellationToken cancel)
    {
        using var tape = TapeReader.Open(path, symbols);
        long anchorTs = 0, anchorNs = long.MinValue;
        double ticksPerNs = Stopwatch.Frequency / 1e9;
        while (!cancel.IsCancellationRequested && tape.TryRead(out Tick tick))
        {
            if (speed > 0)
            {
                if (anchorNs == long.MinValue) (anchorTs, anchorNs) = (Stopwatch.GetTimestamp(), tick.TimeNs);
                else Streamer.Stream.Pipeline.TapeTickSource.WaitUntil(anchorTs + (long)((tick.TimeNs - anchorNs) / speed * ticksPerNs), cancel);
            }
            var wanted = _wanted;
            if ((uint)tick.SymbolId < (uint)wanted.Length && wanted[tick.SymbolId]) publisher.Publish(in tick);
            Ticks++;
        }
        Finished = !cancel.IsCancellationRequested;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
