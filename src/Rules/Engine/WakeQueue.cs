using System.Runtime.CompilerServices;

namespace Streamer.Rules.Engine;

/// <summary>
/// The positions' wake-ups as a binary min-heap of (instant, position slot), so the clock finds what
/// is due in O(log n) instead of scanning every position: with 100k positions a scan per exit or per
/// due instant made a replay quadratic. Entries are never updated in place: a position whose wake
/// moves gets a new entry, and the old one is recognised as stale (its instant no longer equals the
/// position's <see cref="PositionRuntime.WakeNs"/>) and dropped when it reaches the top. The owner
/// compacts the heap when stale entries outnumber live ones, so it stays within 2× the positions.
/// Single-threaded, like the engine. Allocates only when it grows past its capacity (adding positions).
/// </summary>
internal sealed class WakeQueue
{
    private long[] _wake = new long[16];
    private int[] _slot = new int[16];
    private int _count;

    public int Count => _count;

    /// <summary>The earliest instant held (maybe stale: never later than the true next wake), long.MaxValue when empty.</summary>
    public long TopWake
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _count == 0 ? long.MaxValue : _wake[0];
    }

    public int TopSlot => _slot[0];

    public void Clear() => _count = 0;

    public void Push(long wake, int slot)
    {
        if (_count == _wake.Length) Grow();
        int i = _count++;
        // sift up
        while (i > 0)
        {
            int parent = (i - 1) >> 1;
            if (!Before(wake, slot, _wake[parent], _slot[parent])) break;
            _wake[i] = _wake[parent];
            _slot[i] = _slot[parent];
            i = parent;
        }
        _wake[i] = wake;
        _slot[i] = slot;
    }

    public void Pop()
    {
        int last = --_count;
        if (last == 0) return;
        long wake = _wake[last];
        int slot = _slot[last];
        int i = 0;
        // sift down
        while (true)
        {
            int child = 2 * i + 1;
            if (child >= last) break;
            if (child + 1 < last && Before(_wake[child + 1], _slot[child + 1], _wake[child], _slot[child])) child++;
            if (!Before(_wake[child], _slot[child], wake, slot)) break;
            _wake[i] = _wake[child];
            _slot[i] = _slot[child];
            i = child;
        }
        _wake[i] = wake;
        _slot[i] = slot;
    }

    /// <summary>Makes room for <paramref name="capacity"/> entries now (cold: adding positions), so pushes on the tick path never allocate.</summary>
    public void EnsureCapacity(int capacity)
    {
        if (_wake.Length >= capacity) return;
        int size = Math.Max(capacity, _wake.Length * 2);
        Array.Resize(ref _wake, size);
        Array.Resize(ref _slot, size);
    }

    // ties by slot: the order among equal instants is fixed, whatever the order of pushes
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Before(long w1, int s1, long w2, int s2) => w1 < w2 || (w1 == w2 && s1 < s2);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Grow() => EnsureCapacity(_wake.Length * 2);
}
