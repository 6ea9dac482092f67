using Streamer.Stream.Cluster;
using Streamer.Stream.Contracts;

namespace Streamer.Stream.Tests.Cluster;

public sealed class ClusterOptionsTests
{
    private static readonly ClusterOptions Valid = new() { Enabled = true, NodeId = "engine-1" };

    [Fact]
    public void Disabled_needs_nothing() => new ClusterOptions().Validate();

    [Fact]
    public void The_defaults_with_a_node_id_are_valid()
    {
        Valid.Validate();
        Assert.Equal(64, Valid.Partitions);
        Assert.Equal(TimeSpan.FromSeconds(9), Valid.TrustedFor);
        Assert.Equal("streamer-leases", Valid.LeaseBucket);
        Assert.Equal("streamer-members", Valid.MembersBucket);
    }

    [Theory]
    [InlineData(null, "Cluster:NodeId: required")]
    [InlineData("", "Cluster:NodeId: required")]
    [InlineData("engine 1", "Cluster:NodeId: 'engine 1' must be")]
    [InlineData("p.1", "Cluster:NodeId: 'p.1' must be")]
    public void A_node_id_is_required_and_a_plain_name(string? nodeId, string message) =>
        Assert.StartsWith(message, Assert.Throws<SettingsException>(() => (Valid with { NodeId = nodeId }).Validate()).Message, StringComparison.Ordinal);

    public static TheoryData<ClusterOptions, string> Refused => new()
    {
        { Valid with { Partitions = 0 }, "Cluster:Partitions: 0 is outside 1..4096" },
        { Valid with { LeaseSeconds = 0.1 }, "Cluster:LeaseSeconds: 0.1 is outside 0.5..600" },
        // a renew must fit twice in the trusted time, or one late renew drops every lease
        { Valid with { RenewSeconds = 5 }, "Cluster:RenewSeconds: 5 is outside 0.05..4.5" },
        { Valid with { FenceMarginSeconds = 6 }, "Cluster:FenceMarginSeconds: 6 is outside 0.05..5" },
        { Valid with { MaxMovesPerRound = 0 }, "Cluster:MaxMovesPerRound: 0 is outside 1..64" },
        { Valid with { LeaseBucket = "leases.v1" }, "Cluster:LeaseBucket: 'leases.v1' is not a KV bucket name" },
        { Valid with { MembersBucket = "streamer-leases" }, "Cluster:MembersBucket: 'streamer-leases' is Cluster:LeaseBucket too" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void Settings_out_of_range_are_refused_naming_the_key(ClusterOptions options, string message) =>
        Assert.StartsWith(message, Assert.Throws<SettingsException>(options.Validate).Message, StringComparison.Ordinal);
}
