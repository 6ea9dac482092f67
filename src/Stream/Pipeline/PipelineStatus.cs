namespace Streamer.Stream.Pipeline;

/// <summary>What the heartbeat and <c>streamer.control.status</c> add about the pipeline.</summary>
public sealed record PipelineStatus(
    FeedStatus Feed,
    string Monitoring,
    int Positions,
    int PositionsWaitingForTape,
    int UnmonitoredPositions,
    long TicksIn,
    long TicksProcessed,
    long InsaneQuotes,
    long ClockEvents,
    long ExitsDecided,
    long ExitsDelivered,
    long ShardStalls,
    double ShardStallMs,
    long ExitStalls,
    int Queued,
    long SnapshotsPublished,
    long SnapshotsDropped,
    long TickToDecisionP50Ns,
    long TickToDecisionP99Ns,
    long TickToDecisionMaxNs);
