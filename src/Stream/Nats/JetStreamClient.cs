using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Streamer.Stream.Nats;

/// <summary>
/// The thin JetStream adapter the service needs, over NATS.Net's <see cref="NatsJSContext"/>:
/// ensure the exit stream, publish with <c>Nats-Msg-Id</c> (the server drops a re-publish of the
/// same id within the stream's duplicate window), and publish pinned to one connection for the
/// outbox's ordering. NATS.Net exceptions are mapped to the three the outbox handles:
/// <see cref="TimeoutException"/>, <see cref="MessageBusUnavailableException"/>, <see cref="JetStreamApiException"/>.
/// </summary>
public sealed class JetStreamClient
{
    private readonly NatsBus _bus;
    private readonly TimeSpan _apiTimeout;

    public JetStreamClient(IMessageBus bus, TimeSpan apiTimeout)
    {
        _bus = bus as NatsBus ?? throw new ArgumentException($"JetStream needs a {nameof(NatsBus)}, not {bus?.GetType().Name}", nameof(bus));
        _apiTimeout = apiTimeout;
        Context = new NatsJSContext(_bus.Connection);
    }

    public JetStreamClient(IMessageBus bus) : this(bus, TimeSpan.FromSeconds(5)) { }

    public IMessageBus Bus => _bus;

    /// <summary>NATS.Net's JetStream context: consumers for subscribers, tests and tools.</summary>
    public NatsJSContext Context { get; }

    /// <summary>
    /// Creates the stream, or updates its subjects/retention/max age/duplicate window when they
    /// differ; idempotent. Storage cannot change on a live stream: a mismatch throws.
    /// </summary>
    public async Task<StreamEnsureOutcome> EnsureStreamAsync(JetStreamStreamSpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var info = await GetStreamInfoAsync(spec.Name, cancellationToken).ConfigureAwait(false);
        if (info is null)
        {
            try
            {
                await Api(ct => Context.CreateStreamAsync(Config(spec), ct), cancellationToken).ConfigureAwait(false);
                return StreamEnsureOutcome.Created;
            }
            catch (JetStreamApiException)
            {
                // another process may have created it between INFO and CREATE
                info = await GetStreamInfoAsync(spec.Name, cancellationToken).ConfigureAwait(false);
                if (info is null) throw;
            }
        }
        if (!string.Equals(info.Storage, spec.Storage, StringComparison.Ordinal))
            throw new JetStreamApiException($"stream {spec.Name} exists with storage '{info.Storage}', wanted '{spec.Storage}'; storage cannot change on a live stream (delete it or pick another name)");
        if (SameSet(info.Subjects, spec.Subjects) && string.Equals(info.Retention, spec.Retention, StringComparison.Ordinal) && info.MaxAge == spec.MaxAge && (spec.DuplicateWindow == default || info.DuplicateWindow == spec.DuplicateWindow))
            return StreamEnsureOutcome.Unchanged;
        await Api(ct => Context.UpdateStreamAsync(Config(spec), ct), cancellationToken).ConfigureAwait(false);
        return StreamEnsureOutcome.Updated;
    }

    /// <summary><c>STREAM.INFO</c>; null when the stream does not exist.</summary>
    public async Task<JetStreamStreamInfo?> GetStreamInfoAsync(string stream, CancellationToken cancellationToken = default)
    {
        INatsJSStream s;
        try
        {
            s = await Api(ct => Context.GetStreamAsync(stream, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        }
        catch (JetStreamApiException e) when (e.ErrorCode == JetStreamApiException.StreamNotFound || e.Code == 404)
        {
            return null;
        }
        var c = s.Info.Config;
        return new JetStreamStreamInfo(
            c.Name ?? stream,
            [.. c.Subjects ?? []],
            c.Storage.ToString().ToLowerInvariant(),
            c.Retention.ToString().ToLowerInvariant(),
            c.MaxAge,
            (ulong)s.Info.State.Messages,
            s.Info.State.FirstSeq,
            s.Info.State.LastSeq,
            c.DuplicateWindow);
    }

    /// <summary>Deletes a stream and every message in it (tests and tools).</summary>
    public Task DeleteStreamAsync(string stream, CancellationToken cancellationToken = default) =>
        Api(ct => Context.DeleteStreamAsync(stream, ct), cancellationToken);

    /// <summary>
    /// One publish attempt into a stream, on the client connection; <paramref name="messageId"/> is
    /// sent as <c>Nats-Msg-Id</c>. Throws <see cref="TimeoutException"/> (no stream captured it, or
    /// the server is unreachable), <see cref="MessageBusUnavailableException"/> (not connected) or
    /// <see cref="JetStreamApiException"/> (the stream refused it). Retrying is the caller's call.
    /// </summary>
    public async Task<PubAck> PublishAsync(string subject, ReadOnlyMemory<byte> payload, TimeSpan timeout, string? messageId = null, CancellationToken cancellationToken = default)
    {
        // the id header rides with the payload; over max_payload the server would close the connection
        int bytes = payload.Length + (messageId is null ? 0 : 28 + messageId.Length);
        if (bytes > _bus.MaxPayload) throw new MessageTooLargeException(subject, bytes, _bus.MaxPayload);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        var ack = await Api(ct => Context.PublishAsync(subject, payload, opts: new NatsJSPubOpts { MsgId = messageId, RetryAttempts = 1 }, cancellationToken: ct), limit.Token, cancellationToken).ConfigureAwait(false);
        return new PubAck(ack.Stream ?? "", ack.Seq, ack.Duplicate);
    }

    /// <summary>
    /// The connection pinned publishes go out on (<see cref="PublishOnAsync"/>), 0 when none is live
    /// (asking opens one, if the bus is connected).
    /// </summary>
    public int? PinnableConnection => ((IConnectionBoundRequests)_bus).CurrentConnection;

    /// <summary>
    /// <see cref="PublishAsync"/> on connection <paramref name="connection"/> only (<see cref="PinnableConnection"/>):
    /// publishes called in sequence are written, and so reach the stream, in that order while their acks are
    /// pending (pipelining). Faults with <see cref="MessageBusUnavailableException"/> once that connection is
    /// gone: what it left unacked must be resent first (the ones it did store come back as duplicates).
    /// </summary>
    public Task<PubAck> PublishOnAsync(int connection, string subject, ReadOnlyMemory<byte> payload, TimeSpan timeout, string? messageId = null, CancellationToken cancellationToken = default, string? state = null) =>
        ((IConnectionBoundRequests)_bus).PublishOnAsync(connection, subject, payload, messageId, timeout, cancellationToken, state);

    private Task Api(Func<CancellationToken, ValueTask> call, CancellationToken cancellationToken) =>
        Api(async ct =>
        {
            await call(ct).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    private async Task<T> Api<T>(Func<CancellationToken, ValueTask<T>> call, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(_apiTimeout);
        return await Api(call, limit.Token, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>runs one NATS.Net call and maps its failures; <paramref name="limited"/> carries the timeout.</summary>
    private async Task<T> Api<T>(Func<CancellationToken, ValueTask<T>> call, CancellationToken limited, CancellationToken caller)
    {
        // a disconnected client would wait for the reconnect: the outbox wants to know now
        if (!_bus.IsConnected) throw new MessageBusUnavailableException();
        try
        {
            return await call(limited).ConfigureAwait(false);
        }
        catch (NatsJSApiException e)
        {
            throw new JetStreamApiException("$JS.API", e.Error.Code, e.Error.ErrCode, e.Error.Description ?? e.Message);
        }
        catch (OperationCanceledException e) when (!caller.IsCancellationRequested)
        {
            throw new TimeoutException("JetStream request timed out", e);
        }
        catch (Exception e) when (e is NatsNoReplyException or NatsNoRespondersException or NatsJSPublishNoResponseException or NatsJSApiNoResponseException)
        {
            throw new TimeoutException("JetStream: no reply (" + e.Message + ")", e);
        }
        catch (NatsException e)
        {
            throw new MessageBusUnavailableException("NATS: " + e.Message, e);
        }
    }

    private static StreamConfig Config(JetStreamStreamSpec spec) => new(spec.Name, [.. spec.Subjects])
    {
        Storage = spec.Storage == "memory" ? StreamConfigStorage.Memory : StreamConfigStorage.File,
        Retention = spec.Retention switch
        {
            "interest" => StreamConfigRetention.Interest,
            "workqueue" => StreamConfigRetention.Workqueue,
            _ => StreamConfigRetention.Limits,
        },
        MaxAge = spec.MaxAge,
        DuplicateWindow = spec.DuplicateWindow,
        Discard = StreamConfigDiscard.Old,
        NumReplicas = spec.Replicas,
    };

    private static bool SameSet(IReadOnlyList<string> a, IReadOnlyList<string> b) =>
        a.Count == b.Count && a.All(b.Contains);

}
