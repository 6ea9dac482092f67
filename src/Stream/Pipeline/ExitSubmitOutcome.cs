using Streamer.Stream.Contracts;
namespace Streamer.Stream.Pipeline;

public enum ExitSubmitOutcome
{
    /// <summary>journaled (fsynced); it will be published, across outages and restarts.</summary>
    Accepted,
    /// <summary>journaled like <see cref="Accepted"/>, but more than <see cref="ExitOutboxOptions.Capacity"/> exits wait: NATS has been down long; alert.</summary>
    AcceptedOverCapacity,
    /// <summary>this exit id was journaled before; nothing new was written.</summary>
    AlreadyDecided,
    /// <summary>
    /// Only with <see cref="ExitOutboxOptions.RefuseWhenFull"/>: <see cref="ExitOutboxOptions.Capacity"/>
    /// exits already wait unpublished, and this one was NOT journaled. The decision side keeps the
    /// position's state as it was (the exit's sequence is not consumed), alerts, and decides again later.
    /// </summary>
    Full,
    /// <summary>the journal refused this decision (<see cref="ExitSubmitResult.Conflict"/>: a bug upstream, never retried); nothing of it was written.</summary>
    Conflict,
}
