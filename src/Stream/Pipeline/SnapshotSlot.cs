
namespace Streamer.Stream.Pipeline;

/// <summary>
/// One underlying's snapshot buffer, owned by its shard and lent to the dispatcher while a message
/// is in flight (at most one per underlying: a snapshot is state, a newer one replaces an unsent
/// one). Reused for every snapshot of the underlying, so writing snapshots allocates nothing once the
/// buffer has grown to fit.
/// </summary>
public sealed class SnapshotSlot(string underlying)
{
    private int _inFlight;

    public string Underlying => underlying;

    public byte[] Buffer { get; set; } = new byte[4096];

    public int Length { get; set; }

    public bool InFlight => Volatile.Read(ref _inFlight) != 0;

    public void Lend() => Volatile.Write(ref _inFlight, 1);

    public void GiveBack() => Volatile.Write(ref _inFlight, 0);

    public ReadOnlySpan<byte> Payload => Buffer.AsSpan(0, Length);
}
