using System.Threading.Channels;

namespace Streamer.Stream.Pipeline;

/// <summary>
/// Fixed-size byte buffers handed from shard threads (rent) to the dispatcher (return) and back.
/// A bounded channel is the free list: rent and return allocate nothing once warm, whichever
/// threads they run on (the shared ArrayPool keeps per-thread caches, which a one-way flow from
/// shards to dispatcher defeats). A payload larger than a pooled buffer gets a new one (a power of
/// two) that joins the pool, so sizes converge on what snapshots of the largest underlying need.
/// </summary>
public sealed class BufferPool
{
    private readonly Channel<byte[]> _free;
    private readonly int _bufferSize;
    private long _allocated;

    /// <param name="prefill">buffers created up front, so a burst of exits and snapshots finds them ready.</param>
    public BufferPool(int bufferSize, int capacity, int prefill = 0)
    {
        _bufferSize = bufferSize;
        _free = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.DropWrite });
        for (int i = 0; i < Math.Min(prefill, capacity); i++) _free.Writer.TryWrite(new byte[_bufferSize]);
    }

    public int BufferSize => _bufferSize;

    /// <summary>Buffers created so far (warm-up and payloads over the size).</summary>
    public long Allocated => Interlocked.Read(ref _allocated);

    public byte[] Rent(int minimumLength)
    {
        // a buffer too small for this payload is let go: the pool converges on the sizes in use
        if (_free.Reader.TryRead(out var buffer) && buffer.Length >= minimumLength) return buffer;
        Interlocked.Increment(ref _allocated);
        return new byte[Math.Max(_bufferSize, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)minimumLength))];
    }

    public void Return(byte[] buffer)
    {
        if (buffer.Length >= _bufferSize) _free.Writer.TryWrite(buffer);
    }
}
