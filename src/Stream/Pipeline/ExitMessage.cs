using Streamer.Rules.Books;
using Streamer.Rules.Engine;

namespace Streamer.Stream.Pipeline;

/// <summary>
/// An exit on its way from a shard to the journal: the exit event JSON (formats.md) already
/// serialized into a pooled buffer, and what the journal needs beside it. Built on the shard
/// thread without allocating; the dispatcher returns <see cref="Buffer"/> to the pool.
/// </summary>
public readonly struct ExitMessage
{
    public required byte[] Buffer { get; init; }
    public required int Length { get; init; }
    public required string PositionId { get; init; }
    public required int Sequence { get; init; }
    public required string Underlying { get; init; }
    public required long TimeNs { get; init; }
    public required RuleId Rule { get; init; }
    /// <summary>the position's persistent state after this exit (tranches fired, remaining, next sequence).</summary>
    public required PositionState State { get; init; }
    /// <summary>tick (or clock event) in → decision out, ns.</summary>
    public required long LatencyNs { get; init; }
    public required int Shard { get; init; }

    /// <summary>Stopwatch timestamp of the decision (decision → on the wire is measured from it).</summary>
    public long DecidedTimestamp { get; init; }

    /// <summary>Set when this is not an exit but a fill's resize of the position: journaled in the same order, never published.</summary>
    public Streamer.Stream.Pipeline.PositionChange? Change { get; init; }

    public ReadOnlySpan<byte> Payload => Buffer.AsSpan(0, Length);

    public static ExitMessage ForChange(Streamer.Stream.Pipeline.PositionChange change, string underlying, int shard) => new()
    {
        Buffer = [],
        Length = 0,
        PositionId = change.PositionId,
        Sequence = 0,
        Underlying = underlying,
        TimeNs = change.AtNs,
        Rule = default,
        State = change.State,
        LatencyNs = 0,
        Shard = shard,
        Change = change,
    };
}
