using Microsoft.Extensions.Logging;
using Streamer.Rules.Time;
using Streamer.Stream.Contracts;
using Streamer.Stream.Nats;
namespace Streamer.Stream.Service;

/// <summary>
/// Alerts on <c>streamer.alerts.&lt;kind&gt;</c>: <c>{"kind","time","message", …details}</c>. Every
/// alert is also logged, so one raised while NATS is down is not lost from sight, and held back
/// (the newest <see cref="HeldBackLimit"/>) to go out, in order, the moment the bus connects: an
/// alert raised at start, before the first connection, still reaches its subscribers. Repeats of
/// the same kind and key within <see cref="RepeatWindow"/> are logged but not published (a
/// publish retry loop must not flood the bus).
/// </summary>
public sealed partial class AlertPublisher
{
    /// <summary>alerts kept while NATS is away; older ones beyond it are dropped (and counted).</summary>
    public const int HeldBackLimit = 256;

    private readonly IMessageBus bus;
    private readonly TimeProvider time;
    private readonly ILogger<AlertPublisher> log;
    private readonly ServiceEvents? events;
    private readonly Queue<(string Subject, byte[] Payload)> _heldBack = new();
    private long _droppedWhileAway;

    public AlertPublisher(IMessageBus bus, TimeProvider time, ILogger<AlertPublisher> log, ServiceEvents? events = null)
    {
        this.events = events;
        ArgumentNullException.ThrowIfNull(bus);
        this.bus = bus;
        this.time = time;
        this.log = log;
        bus.StateChanged += state =>
        {
            if (state == BusState.Connected) SendHeldBack();
        };
    }

    /// <summary>alerts waiting for NATS to come back.</summary>
    public int HeldBack
    {
        get { lock (_gate) return _heldBack.Count; }
    }

    /// <summary>alerts dropped because more than <see cref="HeldBackLimit"/> waited for NATS.</summary>
    public long DroppedWhileAway => Interlocked.Read(ref _droppedWhileAway);

    /// <summary>
    /// Alerts raised so far per kind, counting those past the repeat window (sent, or held back for
    /// NATS): what subscribers of <c>streamer.alerts.&gt;</c> get. A repeat kept off the bus is not counted.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, long>> RaisedByKind()
    {
        lock (_gate) return [.. _raised];
    }

    /// <summary>Every kind published; the ones the pipeline raises are its own constants (one spelling).</summary>
    public static class Kinds
    {
        public const string UnmonitoredPosition = Pipeline.PipelineAlert.Kinds.UnmonitoredPosition;
        public const string StaleFeed = Pipeline.PipelineAlert.Kinds.StaleFeed;
        public const string FeedDown = Pipeline.PipelineAlert.Kinds.FeedDown;
        public const string RejectedInput = Pipeline.PipelineAlert.Kinds.RejectedInput;
        public const string OutboxFull = Pipeline.PipelineAlert.Kinds.OutboxFull;
        public const string ExitPublishFailed = "exit_publish_failed";
        /// <summary>an exit the stream keeps refusing while NATS is up: its position's exits wait behind it, the others go on.</summary>
        public const string ExitParked = "exit_parked";
        /// <summary>a parked exit acked at last: its position's exits go out again.</summary>
        public const string ExitUnparked = "exit_unparked";
        public const string JournalError = Pipeline.PipelineAlert.Kinds.JournalError;
        public const string NatsOutage = "nats_outage";
        /// <summary>what the engine holds and what fills or the broker say disagree (e.g. a close larger than what was open).</summary>
        public const string PositionMismatch = "position_mismatch";
        /// <summary>a live feed stamped far from the wall clock the service runs on (docs/run.md, Alpaca:MarketClockSpeed).</summary>
        public const string ClockSkew = "clock_skew";
        /// <summary>the Alpaca executor: an exit's closing order refused, not filled in time, or given up.</summary>
        public const string OrderFailed = "order_failed";
        /// <summary>a leg of a monitored position changed at the broker outside Streamer (closed alone, e.g. Alpaca's 15:30 pin-risk liquidation, or resized).</summary>
        public const string BrokenSpread = "broken_spread";
        /// <summary>a short option leg was assigned (or a long one exercised) at the broker: the leg is gone and stock took its place.</summary>
        public const string Assignment = "assignment";
    }

    private readonly Dictionary<string, long> _lastSent = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _raised = new(StringComparer.Ordinal); // kind → alerts past the repeat window (the metrics' alerts by kind)
    private readonly Lock _gate = new();

    public TimeSpan RepeatWindow { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Raises an alert; returns true when it went out on NATS now, false when repeated within the window or held back for the reconnect.</summary>
    /// <param name="key">what the alert is about (a position id, a subject) for the repeat window; null: the kind alone.</param>
    public bool Raise(string kind, string message, string? key = null, IReadOnlyList<KeyValuePair<string, string>>? details = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        // what an alert echoes comes from outside: cut short and made printable, so a megabyte of input
        // is never a megabyte of alert (over max_payload: never sent, holding back every later one) or a forged log line
        message = Streamer.Rules.Positions.PositionIds.Printable(message, MaxMessageChars);
        LogAlert(log, kind, message);
        var now = time.GetTimestamp();
        var dedupeKey = kind + "|" + (key is null ? null : key.Length > MaxKeyChars ? key[..MaxKeyChars] : key);
        lock (_gate)
        {
            if (_lastSent.TryGetValue(dedupeKey, out var last) && time.GetElapsedTime(last, now) < RepeatWindow) return false;
            if (_lastSent.Count >= MaxRemembered) Forget(now);
            _lastSent[dedupeKey] = now;
            System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_raised, kind, out _)++;
        }
        var payload = ServiceJson.Write(w =>
        {
            w.WriteString("kind"u8, kind);
            ServiceJson.WriteTime(w, "time", NanoTime.FromDateTime(time.GetUtcNow().UtcDateTime));
            w.WriteString("message"u8, message);
            if (details is not null)
                foreach (var (k, v) in details) w.WriteString(k, Streamer.Rules.Positions.PositionIds.Printable(v, MaxDetailChars));
        });
        var subject = NatsSubjects.Alerts(kind);
        events?.OnAlert(kind, payload); // in-process watchers (the dashboard) see it now, NATS up or not
        lock (_gate)
        {
            // behind older held-back alerts: they go first, so subscribers see them in order
            if (_heldBack.Count == 0 && bus.TryPublish(subject, payload)) return true;
            Hold(subject, payload);
        }
        if (bus.IsConnected) SendHeldBack(); // connected between the try and the hold
        return false;
    }

    /// <summary>an alert's message is cut here (with its length said); its details at <see cref="MaxDetailChars"/>.</summary>
    public const int MaxMessageChars = 2048;

    public const int MaxDetailChars = 256;

    private const int MaxKeyChars = 256;

    /// <summary>distinct alert keys remembered for the repeat window; past it, those outside the window are forgotten.</summary>
    private const int MaxRemembered = 4096;

    private void Forget(long now)
    {
        var old = new List<string>();
        foreach (var (k, at) in _lastSent)
            if (time.GetElapsedTime(at, now) >= RepeatWindow) old.Add(k);
        foreach (var k in old) _lastSent.Remove(k);
        // every key inside the window (a flood of distinct inputs): the oldest half goes, an alert repeated early is the lesser harm
        if (_lastSent.Count >= MaxRemembered)
            foreach (var k in _lastSent.OrderBy(e => e.Value).Take(MaxRemembered / 2).Select(e => e.Key).ToList()) _lastSent.Remove(k);
    }

    private void Hold(string subject, byte[] payload)
    {
        if (_heldBack.Count == HeldBackLimit)
        {
            _heldBack.Dequeue();
            Interlocked.Increment(ref _droppedWhileAway);
        }
        _heldBack.Enqueue((subject, payload));
    }

    private void SendHeldBack()
    {
        lock (_gate)
        {
            while (_heldBack.TryPeek(out var alert) && bus.TryPublish(alert.Subject, alert.Payload)) _heldBack.Dequeue();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "alert {Kind}: {Message}")]
    private static partial void LogAlert(ILogger logger, string kind, string message);
}
