using System.Runtime.CompilerServices;

namespace Streamer.Stream.Pipeline;

/// <summary>
/// A counter many threads bump at once (the ingress's ticks, one bump per tick from every source
/// thread): one 128-byte stripe per thread slot, so two sources never write the same cache line
/// (one shared field made every tick a cache-line transfer between cores). Reading sums the stripes.
/// </summary>
internal sealed class StripedCounter
{
    private const int Stripes = 8;           // power of two; more sources than this share stripes (still correct)
    private const int Spacing = 16;          // longs: 128 bytes, two cache lines (the adjacent-line prefetcher)
    private readonly long[] _cells = new long[(Stripes + 1) * Spacing]; // a spare stripe: index 0's line is next to the array header

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Increment() => Interlocked.Increment(ref _cells[((Environment.CurrentManagedThreadId & (Stripes - 1)) + 1) * Spacing]);

    public long Value
    {
        get
        {
            long sum = 0;
            for (int i = 1; i <= Stripes; i++) sum += Interlocked.Read(ref _cells[i * Spacing]);
            return sum;
        }
    }
}
