using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Streamer.Stream.Pipeline;

/// <summary>
/// A shard's inbox: a preallocated ring of <see cref="ShardItem"/>s, many writers (the sources, the
/// intake), one reader (the shard thread), no lock. Dmitry Vyukov's bounded queue: each cell carries
/// a sequence number; a writer claims a slot with one compare-and-swap on the tail and publishes the
/// item by advancing the cell's sequence; the reader takes items in claim order and hands the cell
/// back a lap later. A <see cref="System.Threading.Channels"/> bounded channel takes a lock on every
/// write and read: here nothing on the tick path blocks or allocates.
/// <para>
/// Full: a writer waits (spinning, then yielding, then sleeping 1 ms between tries) and the wait is
/// measured by its caller, as backpressure. Completion: after <see cref="Complete"/> writes are refused;
/// what was written before is read; a command that raced the completion is handed to the
/// <see cref="ReaderEnded"/> callback once the reader has gone, never left unread.
/// </para>
/// </summary>
internal sealed class ShardRing
{
    private struct Cell
    {
        public long Sequence;
        public ShardItem Item;
    }

    [StructLayout(LayoutKind.Explicit, Size = 192)]
    private struct Cursors
    {
        [FieldOffset(64)] public long Tail;  // next slot a writer claims (writers, CAS)
        [FieldOffset(128)] public long Head; // next slot the reader takes (the reader only)
    }

    private readonly Cell[] _cells;
    private readonly long _mask;
    private Cursors _cursors;
    private volatile bool _completed;
    private volatile bool _readerGone;
    private readonly Lock _drainGate = new();
    private Action<ShardItem>? _orphan;

    public ShardRing(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        int size = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(2, capacity));
        _cells = new Cell[size];
        for (int i = 0; i < size; i++) _cells[i].Sequence = i;
        _mask = size - 1;
    }

    public int Capacity => _cells.Length;

    /// <summary>items written and not yet read (a snapshot: writers and the reader move on).</summary>
    public int Count => (int)Math.Max(0, Volatile.Read(ref _cursors.Tail) - Volatile.Read(ref _cursors.Head));

    public bool IsCompleted => _completed;

    /// <summary>Completed and nothing left to read: the reader's signal to end.</summary>
    public bool IsDone => _completed && !HasItem();

    /// <summary>One writer's try: false when the ring is full or completed (see <see cref="Write"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryWrite(in ShardItem item)
    {
        var cells = _cells;
        long pos = Volatile.Read(ref _cursors.Tail);
        while (true)
        {
            ref var cell = ref cells[pos & _mask];
            long seq = Volatile.Read(ref cell.Sequence);
            long dif = seq - pos;
            if (dif == 0)
            {
                long seen = Interlocked.CompareExchange(ref _cursors.Tail, pos + 1, pos);
                if (seen == pos)
                {
                    cell.Item = item;
                    Volatile.Write(ref cell.Sequence, pos + 1); // published: the reader may take it
                    return true;
                }
                pos = seen;
            }
            else if (dif < 0)
            {
                return false; // a lap behind: full
            }
            else
            {
                pos = Volatile.Read(ref _cursors.Tail); // another writer took it
            }
        }
    }

    /// <summary>
    /// Writes, waiting while the ring is full. Stopwatch ticks waited: 0 at once, −1 when the ring is
    /// completed (nothing written). A tick that races the completion may stay unread: the shard is
    /// stopping and its sources have stopped before it. A command must not: see <see cref="WriteCommand"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Write(in ShardItem item)
    {
        if (_completed) return -1;
        if (TryWrite(item)) return 0;
        return WaitAndWrite(item);
    }

    /// <summary>
    /// <see cref="Write"/> for a command, which someone awaits: one that lands after the reader has
    /// ended is handed to the orphan callback (the shard abandons it), never left unread. Cold path: a full fence.
    /// </summary>
    public long WriteCommand(in ShardItem item)
    {
        long waited = Write(item);
        if (waited < 0) return waited;
        Interlocked.MemoryBarrier(); // the write before the flag's read (Dekker with ReaderEnded)
        if (_completed && _readerGone) DrainAfterReader();
        return waited;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private long WaitAndWrite(ShardItem item)
    {
        long start = Stopwatch.GetTimestamp();
        var spin = new SpinWait();
        while (true)
        {
            if (_completed) return -1;
            if (TryWrite(item)) return Math.Max(1, Stopwatch.GetTimestamp() - start);
            spin.SpinOnce(); // spins, then yields, then sleeps 1 ms: a full shard is backpressure, measured by the caller
        }
    }

    /// <summary>The reader's take, in claim order. One thread only.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryRead(out ShardItem item)
    {
        long pos = _cursors.Head;
        ref var cell = ref _cells[pos & _mask];
        if (Volatile.Read(ref cell.Sequence) != pos + 1)
        {
            item = default;
            return false;
        }
        item = cell.Item;
        cell.Item = default; // no command kept alive by a cell
        Volatile.Write(ref cell.Sequence, pos + _mask + 1); // free for the writer a lap ahead
        Volatile.Write(ref _cursors.Head, pos + 1);
        return true;
    }

    /// <summary>Is there an item to read (the reader's thread; any thread for a hint)?</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool HasItem()
    {
        long pos = Volatile.Read(ref _cursors.Head);
        return Volatile.Read(ref _cells[pos & _mask].Sequence) == pos + 1;
    }

    /// <summary>No more writes; the reader reads what is there and ends (<see cref="IsDone"/>).</summary>
    public void Complete() => _completed = true;

    /// <summary>
    /// Called once the reader thread has ended: every item still in the ring (a write that raced the
    /// completion) goes to <paramref name="orphan"/>, now and for any such write still to land.
    /// </summary>
    public void ReaderEnded(Action<ShardItem> orphan)
    {
        _orphan = orphan;
        _readerGone = true;
        Interlocked.MemoryBarrier(); // the flag before the ring's read (Dekker with WriteCommand)
        DrainAfterReader();
    }

    private void DrainAfterReader()
    {
        lock (_drainGate) // the reader is gone: whoever drains is the one reader
        {
            var orphan = _orphan;
            if (orphan is null) return;
            while (true)
            {
                long pos = _cursors.Head;
                ref var cell = ref _cells[pos & _mask];
                long seq = Volatile.Read(ref cell.Sequence);
                if (seq != pos + 1)
                {
                    // claimed but not yet published by a writer in the middle of its write: it drains it itself after
                    return;
                }
                TryRead(out var item);
                orphan(item);
            }
        }
    }
}
