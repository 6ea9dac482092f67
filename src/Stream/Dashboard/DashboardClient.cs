using System.Threading.Channels;

namespace Streamer.Stream.Dashboard;

/// <summary>
/// One open page's event stream: a bounded queue between the publishing threads and the response.
/// A page that falls <see cref="Capacity"/> events behind is cut off rather than slowing anyone
/// (the dispatcher's thread never waits on a browser); its EventSource reconnects and gets the whole
/// state again, so it misses nothing it would show.
/// </summary>
internal sealed class DashboardClient : IDisposable
{
    public const int Capacity = 4096;

    private readonly Channel<SseItem> _queue = Channel.CreateBounded<SseItem>(new BoundedChannelOptions(Capacity)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait, // never waited on: Post only tries, and a full queue ends the stream
    });

    private readonly Action<DashboardClient> _onDispose;

    public DashboardClient(Action<DashboardClient> onDispose) => _onDispose = onDispose;

    public ChannelReader<SseItem> Reader => _queue.Reader;

    /// <summary>true when this page is too slow and was cut off (its stream ends).</summary>
    public bool Overflowed { get; private set; }

    public void Post(in SseItem item)
    {
        if (_queue.Writer.TryWrite(item)) return;
        Overflowed = true;
        _queue.Writer.TryComplete();
    }

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _onDispose(this);
    }
}
