using Streamer.Rules.Market;

namespace Streamer.Stream.Pipeline;

/// <summary>
/// An Rx <see cref="IObservable{Tick}"/> as a source (emulators, tests, anything composed with Rx):
/// each OnNext goes straight into the ingress on the producer's thread (a struct through a
/// generic observer: no boxing). Ends at OnCompleted/OnError or on cancellation.
/// </summary>
internal sealed class ObservableTickSource(IObservable<Tick> ticks, string name) : ITickSource
{
    public string Name => name;

    public async Task RunAsync(TickIngress ingress, FeedMonitor feed, CancellationToken cancellationToken)
    {
        var observer = new IngressObserver(ingress);
        using (ticks.Subscribe(observer))
        using (cancellationToken.Register(() => observer.Done.TrySetResult()))
        {
            await observer.Done.Task.ConfigureAwait(false);
        }
        if (observer.Error is not null) feed.Report(name, FeedStatus.Down);
    }

    private sealed class IngressObserver(TickIngress ingress) : IObserver<Tick>
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Exception? Error { get; private set; }

        public void OnNext(Tick value) => ingress.Publish(in value);

        public void OnError(Exception error)
        {
            Error = error;
            Done.TrySetResult();
        }

        public void OnCompleted() => Done.TrySetResult();
    }
}
