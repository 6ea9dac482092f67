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

    /// <summary>the queue group of <see cref="Executions"/> (as the control API's endpoints are in micro's <c>q</c>): one engine takes each fill.</summary>
    public const string IntakeQueueGroup = "streamer";
    public const string ControlPrefix = "streamer.control.";

    /// <summary>the JetStream stream that keeps every exit.</summary>
    public const string ExitStream = "STREAMER_EXITS";

    public static string Exits(string underlying) => ExitsPrefix + Token(underlying);

    public static string Snapshots(string underlying) => SnapshotsPrefix + Token(underlying);

    /// <summary>
    /// A name (an underlying) as one subject token: a '.' inside it (BRK.B) would split it in two
    /// (a <c>streamer.exits.*</c> subscriber would miss it), so it is written '_' (<c>streamer.exits.BRK_B</c>;
    /// tickers never contain '_'). Intake refuses names that are not tickers or option roots
    /// (<c>LegSymbols.IsTicker</c>); anything else no token can carry (empty, whitespace, '*', '>') is
    /// written '_' too rather than thrown on the exit thread: an exit always gets a subject the stream stores.
    /// </summary>
    public static string Token(string name)
    {
        if (string.IsNullOrEmpty(name)) return "_";
        foreach (char c in name)
            if (c is '.' or '*' or '>' || char.IsWhiteSpace(c) || char.IsControl(c)) return string.Create(name.Length, name, static (span, n) =>
            {
                for (int i = 0; i < n.Length; i++)
                {
                    char c = n[i];
                    span[i] = c is '.' or '*' or '>' || char.IsWhiteSpace(c) || char.IsControl(c) ? '_' : c;
                }
            });
        return name;
    }

    public static string Alerts(string kind) => AlertsPrefix + kind;

    /// <summary>the feed gateway's normalized ticks, one subject per underlying (docs/cluster.md "Feed gateway").</summary>
    public const string TicksPrefix = "streamer.ticks.";

    /// <summary>every underlying's ticks: what the gateway's tick stream captures.</summary>
    public const string TicksWildcard = "streamer.ticks.>";

    /// <summary>an engine's market-data demand to the feed gateway: <c>streamer.demand.&lt;engine-id&gt;</c>.</summary>
    public const string DemandPrefix = "streamer.demand.";

    public const string DemandWildcard = "streamer.demand.*";

    /// <summary>the gateway says it (re)started: engines declare their demand again at once instead of at their next refresh.</summary>
    public const string GatewayStarted = "streamer.gateway.started";

    public static string Ticks(string underlying) => TicksPrefix + Token(underlying);

    public static string Demand(string engineId) => DemandPrefix + engineId;
}
