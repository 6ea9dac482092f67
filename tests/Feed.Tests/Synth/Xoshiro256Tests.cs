using Streamer.Feed.Synth;

namespace Streamer.Feed.Tests.Synth;

public class Xoshiro256Tests
{
    [Fact]
    public void Matches_the_published_xoshiro256starstar_vector_from_state_1_2_3_4()
    {
        // reference implementation outputs (xoshiro.di.unimi.it), as used by rand_xoshiro's tests
        ulong[] expected = [11520, 0, 1509978240, 1215971899390074240, 1216172134540287360,
            607988272756665600, 16172922978634559625, 8476171486693032832, 10595114339597558777, 2904607092377533576];
        var rng = Xoshiro256.FromState(1, 2, 3, 4);
        foreach (var e in expected) Assert.Equal(e, rng.NextUInt64());
    }

    [Fact]
    public void Splitmix64_matches_its_published_first_outputs_from_zero()
    {
        ulong x = 0;
        Assert.Equal(0xE220A8397B1DCDAFUL, Xoshiro256.SplitMix64(ref x));
        Assert.Equal(0x6E789E6AA1B965F4UL, Xoshiro256.SplitMix64(ref x));
        Assert.Equal(0x06C45D188009454FUL, Xoshiro256.SplitMix64(ref x));
        Assert.Equal(0xF88BB8A8724C81ECUL, Xoshiro256.SplitMix64(ref x));
    }

    [Fact]
    public void Uniforms_and_normals_have_the_right_moments()
    {
        var rng = new Xoshiro256(99);
        const int n = 200_000;
        double sum = 0, sumSq = 0, usum = 0;
        int below = 0;
        for (int i = 0; i < n; i++)
        {
            double z = rng.NextNormal();
            sum += z;
            sumSq += z * z;
            double u = rng.NextDouble();
            Assert.InRange(u, 0.0, 0.9999999999999999);
            usum += u;
            if (rng.NextInt(10) < 3) below++;
        }
        Assert.InRange(sum / n, -0.01, 0.01);
        Assert.InRange(sumSq / n, 0.98, 1.02);
        Assert.InRange(usum / n, 0.497, 0.503);
        Assert.InRange(below / (double)n, 0.295, 0.305);
    }
}
