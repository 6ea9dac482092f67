using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using Streamer.Rules.Market;

namespace Streamer.Stream.Replay;

/// <summary>One parsed tick in the hand-off, and how many symbols the parser's table held right after parsing it.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct HandoffSlot
{
    public Tick Tick;

    /// <summary>
    /// The parser's <see cref="Streamer.Rules.Instruments.SymbolTable.Count"/> once this tick was read:
    /// the engine's own table is brought to exactly this count before the tick is taken, so it grows
    /// as it does in a single-thread replay, whatever the parser's lead.
    /// </summary>
    public int SymbolCount;
}

/// <summary>
/// The two-thread replay's hand-off: one parser thread (the producer) writes parsed ticks into a
/// preallocated ring, one engine thread (the consumer) takes them in order. Single producer, single
/// consumer, no lock, nothing allocated per tick; in the Disruptor's spirit each side owns one
/// sequence, on its own cache line, and moves it once per batch, not once per tick: the producer
/// publishes every <see cref="PublishEvery"/> ticks (and before it waits, and at the end), the
/// consumer releases what it has taken after each batch. Each side keeps a cached copy of the other's
/// sequence and reads the real one (a cache-line transfer) only when the copy says it must wait.
/// <para>
/// Waiting, either side: spin (a few µs, no system call), then <see cref="Thread.Yield"/>, then block
/// on an event with a 1 ms timeout. The blocked side announces it with a flag the other side reads
/// after each publish (a plain read unless someone sleeps), so the hot path never makes a system call.
/// </para>
/// <para>
/// End: the producer calls <see cref="Complete"/> (with the exception that stopped it, if any); the
/// consumer takes every tick published before it, then sees the end and rethrows that exception, so
/// a bad row at line N fails the replay after exactly the ticks before it, as one thread would. A
/// consumer that fails calls <see cref="Abandon"/>: the producer stops at its next publish or wait.
/// </para>
/// </summary>
internal sealed class TickHandoff : IDisposable
{
    /// <summary>Ticks the producer writes between publishes: one sequence store per 64 ticks, and at most 64 ticks of latency.</summary>
    internal const int PublishEvery = 64;

    /// <summary>Spin this many rounds (each a short pause) before yielding, and yield this many times before blocking.</summary>
    private const int SpinRounds = 200;
    private const int YieldRounds = 50;

    [StructLayout(LayoutKind.Explicit, Size = 384)]
    private struct Sequences
    {
        // each on its own 128-byte pair of cache lines (adjacent-line prefetch), away from the other and the flags
        [FieldOffset(128)] public long Published;   // the producer's: slots [0, Published) may be read
        [FieldOffset(256)] public long Released;    // the consumer's: slots [0, Released) may be overwritten
    }

    private readonly HandoffSlot[] _slots;
    private readonly long _mask;
    private Sequences _sequences;
    private readonly ManualResetEventSlim _consumerWake = new(false, spinCount: 0);
    private readonly ManualResetEventSlim _producerWake = new(false, spinCount: 0);
    private int _consumerSleeping;
    private int _producerSleeping;
    private volatile bool _completed;
    private volatile bool _abandoned;
    private ExceptionDispatchInfo? _failure;
    private int _finalSymbolCount;

    // the producer's own: the next slot it writes, what it last published, and its copy of Released
    private long _produced;
    private long _producerPublished;
    private long _releasedSeen;

    // the consumer's own: its copy of Published
    private long _publishedSeen;

    public TickHandoff(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, PublishEvery * 2);
        int size = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)capacity);
        _slots = new HandoffSlot[size];
        _mask = size - 1;
    }

    public int Capacity => _slots.Length;

    /// <summary>The producer's write. Waits while the ring is full; false when the consumer has abandoned the run.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Write(in Tick tick, int symbolCount)
    {
        long at = _produced;
        if (at - _releasedSeen >= _slots.Length && !WaitForRoom(at)) return false;
        ref var slot = ref _slots[at & _mask];
        slot.Tick = tick;
        slot.SymbolCount = symbolCount;
        _produced = at + 1;
        if (_produced - _producerPublished >= PublishEvery) return Publish();
        return true;
    }

    /// <summary>
    /// The producer's end: publishes what is left, then the end mark. <paramref name="finalSymbolCount"/>
    /// is the parser's table after its last read (a row may intern a symbol and carry no tick).
    /// </summary>
    public void Complete(int finalSymbolCount, ExceptionDispatchInfo? failure)
    {
        _finalSymbolCount = finalSymbolCount;
        _failure = failure;
        Publish();
        _completed = true; // a volatile write after the publish: who sees it sees every tick and the failure
        WakeConsumer();
    }

    /// <summary>The consumer's give-up (it failed): the producer stops writing at its next publish or wait.</summary>
    public void Abandon()
    {
        _abandoned = true;
        _producerWake.Set();
    }

    /// <summary>
    /// The consumer's next batch: <paramref name="start"/> and <paramref name="count"/> (at most a
    /// quarter of the ring, so the producer gets room back while the engine works); false at the end,
    /// once every published tick was taken. Release the batch with <see cref="Release"/> before the next call.
    /// </summary>
    public bool TryTakeBatch(long start, out int count)
    {
        if (start >= _publishedSeen && !WaitForTicks(start))
        {
            count = 0;
            return false;
        }
        count = (int)Math.Min(_publishedSeen - start, _slots.Length >> 2);
        return true;
    }

    /// <summary>A slot of the batch taken, by sequence.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref readonly HandoffSlot At(long sequence) => ref _slots[sequence & _mask];

    /// <summary>The consumer is done with every slot before <paramref name="end"/>: the producer may overwrite them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Release(long end)
    {
        Interlocked.Exchange(ref _sequences.Released, end); // a full fence: the store before the read of the flag (Dekker with WaitForRoom)
        if (Volatile.Read(ref _producerSleeping) != 0) _producerWake.Set();
    }

    /// <summary>After the end: the parser's final symbol count.</summary>
    public int FinalSymbolCount => _finalSymbolCount;

    /// <summary>After the end: rethrows what stopped the parser (a bad row), with its own stack.</summary>
    public void ThrowIfProducerFailed() => _failure?.Throw();

    public void Dispose()
    {
        _consumerWake.Dispose();
        _producerWake.Dispose();
    }

    private bool Publish()
    {
        _producerPublished = _produced;
        Interlocked.Exchange(ref _sequences.Published, _produced); // a full fence: the ticks, then the sequence, then the read of the flag
        WakeConsumer();
        return !_abandoned;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void WakeConsumer()
    {
        if (Volatile.Read(ref _consumerSleeping) != 0) _consumerWake.Set();
    }

    /// <summary>The ring is full as far as the producer knows: publish what it holds (the consumer may be waiting for it), then wait for room.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool WaitForRoom(long at)
    {
        if (_producerPublished != _produced && !Publish()) return false;
        int round = 0;
        while (true)
        {
            _releasedSeen = Volatile.Read(ref _sequences.Released);
            if (at - _releasedSeen < _slots.Length) return true;
            if (_abandoned) return false;
            if (round < SpinRounds) Thread.SpinWait(32);
            else if (round < SpinRounds + YieldRounds) Thread.Yield();
            else
            {
                _producerWake.Reset();
                Interlocked.Exchange(ref _producerSleeping, 1);
                if (at - Volatile.Read(ref _sequences.Released) >= _slots.Length && !_abandoned) _producerWake.Wait(1);
                Volatile.Write(ref _producerSleeping, 0);
            }
            round++;
        }
    }

    /// <summary>Nothing published past <paramref name="start"/> as far as the consumer knows: look again, wait; false at the end.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool WaitForTicks(long start)
    {
        int round = 0;
        while (true)
        {
            _publishedSeen = Volatile.Read(ref _sequences.Published);
            if (start < _publishedSeen) return true;
            if (_completed)
            {
                // the end mark was written after the last publish: one more read sees everything
                _publishedSeen = Volatile.Read(ref _sequences.Published);
                return start < _publishedSeen;
            }
            if (round < SpinRounds) Thread.SpinWait(32);
            else if (round < SpinRounds + YieldRounds) Thread.Yield();
            else
            {
                _consumerWake.Reset();
                Interlocked.Exchange(ref _consumerSleeping, 1);
                if (start >= Volatile.Read(ref _sequences.Published) && !_completed) _consumerWake.Wait(1);
                Volatile.Write(ref _consumerSleeping, 0);
            }
            round++;
        }
    }
}
