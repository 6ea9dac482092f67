namespace Streamer.Stream.Cluster;

/// <summary>
/// Which live member a partition should belong to: rendezvous (highest-random-weight) hashing. Each
/// (member, partition) pair gets a fixed pseudo-random weight and the heaviest member wins, so a
/// member that joins takes only the partitions where it is now heaviest (about P/N), and one that
/// leaves hands only its own partitions to the others; nobody else's assignment changes.
/// </summary>
internal static class RendezvousAssignment
{
    public static ulong Weight(string member, int partition) =>
        Fnv1a64.Mix(Fnv1a64.Of(member) ^ Fnv1a64.Mix((ulong)partition + 0x9e3779b97f4a7c15UL));

    /// <summary>The desired owner of <paramref name="partition"/> among <paramref name="members"/> (none empty); ties, vanishingly rare, go to the ordinal-smaller id.</summary>
    public static string OwnerOf(int partition, IReadOnlyList<string> members)
    {
        string best = members[0];
        ulong bestWeight = Weight(best, partition);
        for (int i = 1; i < members.Count; i++)
        {
            ulong w = Weight(members[i], partition);
            if (w > bestWeight || (w == bestWeight && string.CompareOrdinal(members[i], best) < 0))
            {
                best = members[i];
                bestWeight = w;
            }
        }
        return best;
    }

    /// <summary>The desired owner of every partition.</summary>
    public static string[] Assign(int partitions, IReadOnlyList<string> members)
    {
        var owners = new string[partitions];
        for (int p = 0; p < partitions; p++) owners[p] = OwnerOf(p, members);
        return owners;
    }
}
