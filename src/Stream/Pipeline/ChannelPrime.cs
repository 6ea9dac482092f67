using System.Threading.Channels;

namespace Streamer.Stream.Pipeline;

internal static class ChannelPrime
{
    /// <summary>
    /// Fills a new bounded channel to capacity and empties it, so its internal queue has grown to
    /// full size once, up front: otherwise the first burst that queues deeper than ever before
    /// allocates (on the writer's thread, e.g. a shard posting exits).
    /// </summary>
    public static void Prime<T>(Channel<T> channel, int capacity)
    {
        for (int i = 0; i < capacity && channel.Writer.TryWrite(default!); i++)
        {
        }
        while (channel.Reader.TryRead(out _))
        {
        }
    }
}
