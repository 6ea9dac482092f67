using Streamer.Stream.Cluster;

namespace Streamer.Stream.Tests.Cluster;

public sealed class RendezvousAssignmentTests
{
    private static readonly string[] Three = ["engine-a", "engine-b", "engine-c"];

    [Fact]
    public void A_join_moves_only_the_partitions_the_new_member_wins()
    {
        var before = RendezvousAssignment.Assign(1024, Three);
        var after = RendezvousAssignment.Assign(1024, [.. Three, "engine-d"]);
        var moved = before.Zip(after).Where(x => x.First != x.Second).ToList();
        Assert.All(moved, m => Assert.Equal("engine-d", m.Second));
        // about P/N: a quarter of 1024, within a few standard deviations (≈ 14)
        Assert.InRange(moved.Count, 256 - 60, 256 + 60);
    }

    [Fact]
    public void A_leave_moves_only_the_leavers_partitions()
    {
        var before = RendezvousAssignment.Assign(1024, Three);
        var after = RendezvousAssignment.Assign(1024, ["engine-a", "engine-c"]);
        Assert.All(before.Zip(after).Where(x => x.First != x.Second), m => Assert.Equal("engine-b", m.First));
        Assert.DoesNotContain("engine-b", after);
    }

    [Fact]
    public void The_assignment_does_not_depend_on_the_order_members_are_listed() =>
        Assert.Equal(RendezvousAssignment.Assign(64, Three), RendezvousAssignment.Assign(64, ["engine-c", "engine-a", "engine-b"]));

    [Fact]
    public void Every_member_gets_its_share()
    {
        var members = Enumerable.Range(0, 8).Select(i => $"node-{i}").ToArray();
        var owners = RendezvousAssignment.Assign(4096, members);
        Assert.All(members, m => Assert.InRange(owners.Count(o => o == m), 512 - 120, 512 + 120));
    }
}
