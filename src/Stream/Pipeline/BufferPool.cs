using System.Threading.Channels;

namespace Streamer.Stream.Pipeline;

/// <summary>
/// Fixed-size byte buffers handed from shard threads (rent) to the dispatcher (return) and back.
/// A bounded channel is the free list: rent and return allocate nothing once warm, whichever
/// threads they run on (the shared ArrayPool keeps per-thread caches, which a one-way flow from
/// shards to dispatcher defeats). A payload larger than <see cref="BufferSize"/> gets its own array.
/// </summary>
internal sealed class BufferPool(int bufferSize, int capacity)
{
    private readonly Channel<byte[]> _free = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(capacity)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
    });
    private long _allocated;

    public int BufferSize => bufferSize;

    /// <summary>Buffers created so far (warm-up and payloads over the size).</summary>
    public long Allocated => Interlocked.Read(ref _allocated);

    public byte[] Rent(int minimumLength)
    {
        if (minimumLength <= bufferSize && _free.Reader.TryRead(out var buffer)) return buffer;
        Interlocked.Increment(ref _allocated);
        return new byte[Math.Max(bufferSize, minimumLength)];
    }

    public void Return(byte[] buffer)
    {
        if (buffer.Length == bufferSize) _free.Writer.TryWrite(buffer);
    }
}
