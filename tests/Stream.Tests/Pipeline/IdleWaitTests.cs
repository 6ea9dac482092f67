using Streamer.Stream.Pipeline;

namespace Streamer.Stream.Tests.Pipeline;

/// <summary>The wait strategies' phases: outcomes, not timings (a spin or a yield ends at work or at its end, never blocks).</summary>
public sealed class IdleWaitTests
{
    [Fact]
    public void Block_only_looks_once_and_says_whether_there_is_work()
    {
        var block = new IdleWait(TimeSpan.Zero, TimeSpan.Zero);
        int looks = 0;
        Assert.False(block.AwaitWork(_ => { looks++; return false; }, 0));
        Assert.Equal(1, looks);
        Assert.True(block.AwaitWork(_ => true, 0));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Work_arriving_during_the_spin_or_the_yield_is_taken_without_blocking(bool inTheYield)
    {
        // a phase far longer than the test: it can only end by seeing the work
        var wait = inTheYield ? new IdleWait(TimeSpan.Zero, TimeSpan.FromMinutes(5)) : new IdleWait(TimeSpan.FromMinutes(5), TimeSpan.Zero);
        var ready = new int[1];
        var producer = new Thread(() =>
        {
            Thread.Sleep(20);
            Volatile.Write(ref ready[0], 1);
        });
        producer.Start();
        Assert.True(wait.AwaitWork(static r => Volatile.Read(ref r[0]) == 1, ready));
        producer.Join();
    }

    [Fact]
    public void With_no_work_both_phases_end_and_the_caller_blocks()
    {
        var wait = new IdleWait(TimeSpan.FromMilliseconds(2), TimeSpan.FromMilliseconds(2));
        int looks = 0;
        Assert.False(wait.AwaitWork(_ => { looks++; return false; }, 0));
        Assert.True(looks > 1, "it watched during its phases");
        Assert.InRange(wait.Spin.TotalMicroseconds, 1999, 2001);
        Assert.Equal(TimeSpan.MaxValue, new IdleWait(TimeSpan.Zero, TimeSpan.MaxValue).Yield);
    }
}
