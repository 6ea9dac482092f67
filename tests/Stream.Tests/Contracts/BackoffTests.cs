using Streamer.Stream.Contracts.Resilience;

namespace Streamer.Stream.Tests.Contracts;

public sealed class BackoffTests
{
    [Fact]
    public void Doubles_from_the_initial_delay_up_to_the_cap()
    {
        var b = new Backoff(TimeSpan.FromMilliseconds(20), TimeSpan.FromSeconds(1));
        var delays = Enumerable.Range(0, 9).Select(i => (int)b.Delay(i).TotalMilliseconds).ToArray();
        Assert.Equal([20, 40, 80, 160, 320, 640, 1000, 1000, 1000], delays);
        Assert.Equal(TimeSpan.FromSeconds(1), b.Delay(int.MaxValue));
        Assert.Equal(TimeSpan.FromMilliseconds(20), b.Delay(-1));
    }

    [Fact]
    public void The_executor_schedule_is_backoff_times_two_to_the_attempt_at_most_30_s()
    {
        var b = new Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
        Assert.Equal([1, 2, 4, 8, 16, 30, 30], Enumerable.Range(0, 7).Select(i => b.Ceiling(i).TotalSeconds).ToArray());
        Assert.Equal(TimeSpan.FromMilliseconds(50), new Backoff(TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(30)).Ceiling(0));
    }

    [Fact]
    public void A_zero_initial_delay_retries_at_once()
    {
        var b = new Backoff(TimeSpan.Zero, TimeSpan.FromSeconds(30), BackoffJitter.Equal);
        Assert.All(Enumerable.Range(0, 40), i => Assert.Equal(TimeSpan.Zero, b.Delay(i)));
    }

    [Fact]
    public void Equal_jitter_keeps_each_delay_between_half_and_all_of_its_ceiling()
    {
        var b = new Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), BackoffJitter.Equal);
        var random = new Random(7);
        for (int retry = 0; retry < 10; retry++)
        {
            var ceiling = b.Ceiling(retry);
            var seen = Enumerable.Range(0, 200).Select(_ => b.Delay(retry, random)).ToList();
            Assert.All(seen, d => Assert.InRange(d, ceiling / 2, ceiling));
            Assert.True(seen.Distinct().Count() > 100, "the delays are spread");
        }
    }
}
