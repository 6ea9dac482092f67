using Streamer.Stream.Cluster;

namespace Streamer.Stream.Tests.Cluster;

public sealed class PartitionMapTests
{
    [Theory]
    // the published FNV-1a 64 test vectors
    [InlineData("", 0xcbf29ce484222325UL)]
    [InlineData("a", 0xaf63dc4c8601ec8cUL)]
    [InlineData("foobar", 0x85944171f73967e8UL)]
    public void Fnv1a64_matches_the_reference_vectors(string text, ulong expected) =>
        Assert.Equal(expected, Fnv1a64.Of(text));

    [Theory]
    // fixed forever: every engine of every release must put an underlying in the same partition
    [InlineData("SPY", 0x97fc9619fa5d47fdUL, 61)]
    [InlineData("QQQ", 0x86403c19f033b7b2UL, 50)]
    [InlineData("AAPL", 0x89106b8b9f086ccbUL, 11)]
    [InlineData("BRK.B", 0x8b33ac780296be9aUL, 26)]
    [InlineData("SPX", 0x97fc9519fa5d464aUL, 10)]
    [InlineData("TSLA", 0x65d990faaef3190fUL, 15)]
    public void An_underlying_hashes_to_a_fixed_partition(string underlying, ulong hash, int partitionOf64)
    {
        Assert.Equal(hash, Fnv1a64.OfUnderlying(underlying));
        Assert.Equal(partitionOf64, new PartitionMap(64).PartitionOf(underlying));
        Assert.Equal((int)(hash % 7), new PartitionMap(7).PartitionOf(underlying));
    }

    [Theory]
    [InlineData("spy")]
    [InlineData(" SPY ")]
    [InlineData("Spy\t")]
    public void Case_and_surrounding_blanks_do_not_change_the_partition(string spelling) =>
        Assert.Equal(new PartitionMap(64).PartitionOf("SPY"), new PartitionMap(64).PartitionOf(spelling));

    [Fact]
    public void A_non_ascii_underlying_hashes_its_upper_case_utf8() =>
        Assert.Equal(Fnv1a64.Of("ÄBC"), Fnv1a64.OfUnderlying("äbc"));

    [Fact]
    public void Underlyings_spread_over_the_partitions()
    {
        var map = new PartitionMap(64);
        var counts = new int[64];
        for (int i = 0; i < 6400; i++) counts[map.PartitionOf($"U{i}")]++;
        Assert.All(counts, c => Assert.InRange(c, 50, 150));
    }

    [Fact]
    public void Lease_keys_name_the_partition() => Assert.Equal("p.17", PartitionMap.LeaseKey(17));
}
