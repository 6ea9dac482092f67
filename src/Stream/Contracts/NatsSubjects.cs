namespace Streamer.Stream.Contracts;

/// <summary>The subjects of formats.md ("NATS subjects") and the exit stream.</summary>
public static class NatsSubjects
{
    public const string ExitsPrefix = "streamer.exits.";
    public const string ExitsWildcard = "streamer.exits.>";
    public const string SnapshotsPrefix = "streamer.snapshots.";
    public const string AlertsPrefix = "streamer.alerts.";
    public const string Heartbeat = "streamer.heartbeat";
    public const string Executions = "streamer.executions";
    public const string ControlPrefix = "streamer.control.";

    /// <summary>the JetStream stream that keeps every exit.</summary>
    public const string ExitStream = "STREAMER_EXITS";

    public static string Exits(string underlying) => ExitsPrefix + underlying;

    public static string Alerts(string kind) => AlertsPrefix + kind;
}
