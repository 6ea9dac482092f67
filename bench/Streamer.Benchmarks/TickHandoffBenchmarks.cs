using BenchmarkDotNet.Attributes;
using Streamer.Rules.Market;
using Streamer.Stream.Replay;

namespace Streamer.Benchmarks;

/// <summary>
/// The two-thread replay's hand-off, per tick: a producer on a thread-pool thread writes
/// <see cref="Ticks"/> ticks into a <see cref="TickHandoff"/> ring, this thread takes them in
/// batches (summing a field, so nothing is optimized away). Each invocation is one whole hand-off of
/// a million ticks; the ring and the producer's work item are made in the
/// iteration setup, outside the measurement, so the Allocated column is what the ticks themselves
/// cost, on both threads: it must be 0 B. Baseline: the same ticks read on one thread.
/// </summary>
[Config(typeof(BenchmarkConfig))]
public class TickHandoffBenchmarks
{
    private const int Ticks = 1_000_000;
    private Tick[] _source = [];
    private TickHandoff _handoff = null!;
    private ProducerWorkItem _producer = null!;

    /// <summary>Ring slots: one that fits in L2, and the replay's default, 32× larger (fewer hand-overs when the two threads share a core).</summary>
    [Params(2048, ReplaySession.DefaultHandoffCapacity)]
    public int Capacity { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _source = new Tick[4096];
        for (int i = 0; i < _source.Length; i++) _source[i] = Tick.Quote(i, 1 + i % 100, 1.0 + i % 7, 1.1 + i % 7);
    }

    [IterationSetup(Target = nameof(HandOffTwoThreads))]
    public void NewRing()
    {
        _handoff?.Dispose();
        _handoff = new TickHandoff(Capacity);
        _producer = new ProducerWorkItem(_source, _handoff);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Ticks)]
    public long CopyOneThread()
    {
        long sum = 0;
        var source = _source;
        for (int i = 0; i < Ticks; i++)
        {
            Tick t = source[i & (source.Length - 1)];
            sum += t.SymbolId;
        }
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Ticks)]
    public long HandOffTwoThreads()
    {
        ThreadPool.UnsafeQueueUserWorkItem(_producer, preferLocal: false);
        long sum = 0;
        long sequence = 0;
        while (_handoff.TryTakeBatch(sequence, out int count))
        {
            long end = sequence + count;
            for (; sequence < end; sequence++) sum += _handoff.At(sequence).Tick.SymbolId;
            _handoff.Release(end);
        }
        return sum;
    }

    /// <summary>The parser's side, without a parser: a preallocated work item (queuing it allocates nothing).</summary>
    private sealed class ProducerWorkItem(Tick[] source, TickHandoff handoff) : IThreadPoolWorkItem
    {
        public void Execute()
        {
            int mask = source.Length - 1;
            for (int i = 0; i < Ticks; i++) handoff.Write(in source[i & mask], 1);
            handoff.Complete(1, null);
        }
    }
}
