using System.Text;
using System.Text.Json;
using Streamer.Rules.Instruments;
using Streamer.Stream.Contracts;
using Streamer.Stream.Nats;
using Streamer.Stream.Service.Gateway;

namespace Streamer.Stream.Alpaca.Gateway;

/// <summary>
/// <c>streamer gateway</c> (docs/cluster.md "Feed gateway"): the one process holding the market-data
/// connections. It takes engines' demand on <c>streamer.demand.*</c>, reference-counts it
/// (<see cref="DemandTable"/>), subscribes upstream to the union, unsubscribes a symbol its last lease
/// has left once the grace has passed, expires a lease not renewed in time (a dead engine), and
/// publishes every upstream tick on <c>streamer.ticks.&lt;UNDERLYING&gt;</c>. A bad demand is answered with
/// an error and logged; it changes nothing and stops nothing.
/// </summary>
internal sealed class FeedGateway(IMessageBus bus, IGatewayUpstream upstream, SymbolTable symbols, FeedGatewayOptions options, TimeProvider time, Action<string> log)
{
    private readonly DemandTable _demand = new(options.Grace);
    private readonly Lock _gate = new();
    private readonly TickSubjects _subjects = new(symbols);
    private readonly List<TickPublisher> _publishers = [];
    private Task _changes = Task.CompletedTask; // upstream changes, one after another in the order decided
    private long _rejected;

    /// <summary>Symbols subscribed upstream now.</summary>
    public IReadOnlyList<string> Upstream
    {
        get { lock (_gate) return [.. _demand.Upstream.Order(StringComparer.Ordinal)]; }
    }

    public int Engines
    {
        get { lock (_gate) return _demand.Engines; }
    }

    public long Published
    {
        get { lock (_publishers) return _publishers.Sum(p => p.Published); }
    }

    public long RejectedDemands => Interlocked.Read(ref _rejected);

    /// <summary>Completes when every upstream change decided so far has been made.</summary>
    public Task Settled
    {
        get { lock (_gate) return _changes; }
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        // before any demand is taken (so before any tick): a tick published before its stream exists is kept nowhere
        if (options.TickStream is { } stream && !await EnsureTickStreamAsync(stream, cancellationToken).ConfigureAwait(false)) return;
        using var demand = bus.Subscribe(NatsSubjects.DemandWildcard, OnDemand);
        // engines that were running before this gateway (a restart) declare again now, not at their next refresh
        bus.TryPublish(NatsSubjects.GatewayStarted, Encoding.UTF8.GetBytes($$"""{"upstream":{{JsonSerializer.Serialize(upstream.Name)}}}"""));
        log($"gateway: upstream {upstream.Name}; demand on {NatsSubjects.DemandWildcard}, ticks on {NatsSubjects.TicksPrefix}<UNDERLYING>");
        var feed = upstream.RunAsync(NewPublisher, cancellationToken);
        // a tape that ends (or fails on a bad row) leaves the gateway up: engines' demand is still answered and leased
        _ = feed.ContinueWith(t => log(t.IsFaulted ? $"gateway: upstream {upstream.Name} stopped: {t.Exception!.GetBaseException().Message}"
            : t.IsCanceled ? "gateway: upstream stopped" : $"gateway: upstream {upstream.Name} finished; {Published} ticks published"),
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        using var timer = new PeriodicTimer(options.ExpiryScan, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false)) Expire();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        try
        {
            await feed.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Streamer.Feed.Tapes.TapeFormatException)
        {
            // logged above; the stop is clean
        }
        await upstream.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Creates (or brings to its settings) the stream that keeps every published tick, waiting for NATS
    /// and JetStream as long as it takes: engines that take a partition over read their missed ticks from
    /// it, so the gateway publishes nothing before it exists. False when stopped first.
    /// </summary>
    private async Task<bool> EnsureTickStreamAsync(JetStreamStreamSpec stream, CancellationToken cancellationToken)
    {
        var js = new JetStreamClient(bus);
        var backoff = new Streamer.Stream.Contracts.Resilience.Backoff(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5));
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                var outcome = await js.EnsureStreamAsync(stream, cancellationToken).ConfigureAwait(false);
                log($"gateway: ticks kept in JetStream stream {stream.Name} ({outcome.ToString().ToLowerInvariant()}; subjects {NatsSubjects.TicksWildcard}, max age {stream.MaxAge.TotalHours:0.##} h, replicas {stream.Replicas})");
                return true;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return false;
            }
            catch (Exception e) when (e is TimeoutException or MessageBusUnavailableException or JetStreamApiException)
            {
                if (attempt == 0 || attempt % 10 == 0)
                    log($"gateway: tick stream {stream.Name} not ready ({e.Message}; attempt {attempt + 1}): no tick is published until it is");
                try
                {
                    await Task.Delay(backoff.Delay(attempt), cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return false;
                }
            }
        }
    }

    private TickPublisher NewPublisher()
    {
        var p = new TickPublisher(bus, _subjects);
        lock (_publishers) _publishers.Add(p);
        return p;
    }

    private long NowMs => time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>One demand message (the bus's subscription loop: one at a time).</summary>
    internal void OnDemand(BusMessage message)
    {
        DemandMessage demand;
        try
        {
            demand = DemandMessage.Parse(message.Subject, message.Data);
        }
        catch (DemandException e)
        {
            Interlocked.Increment(ref _rejected);
            log("gateway: demand refused: " + e.Message);
            Reply(message, JsonSerializer.Serialize(new { error = e.Message }));
            return;
        }
        int upstreamCount;
        lock (_gate)
        {
            var added = _demand.Apply(demand, NowMs);
            foreach (var s in added) symbols.Intern(s); // the clients intern into the same table; the publisher resolves ids there
            if (added.Count > 0) Enqueue(added, subscribe: true);
            upstreamCount = _demand.Upstream.Count;
        }
        Reply(message, $$"""{"ok":true,"engine":{{JsonSerializer.Serialize(demand.Engine)}},"upstream":{{upstreamCount}}}""");
    }

    /// <summary>Expires stale leases and unsubscribes what their grace has let go of.</summary>
    internal void Expire()
    {
        var expired = new List<(string Engine, string Underlying)>();
        lock (_gate)
        {
            var gone = _demand.Expire(NowMs, expired);
            if (gone.Count > 0) Enqueue(gone, subscribe: false);
        }
        foreach (var (engine, underlying) in expired) log($"gateway: engine '{engine}' did not renew its demand on {underlying}: expired");
    }

    private void Enqueue(List<string> symbolList, bool subscribe)
    {
        log($"gateway: {(subscribe ? "subscribe" : "unsubscribe")} {string.Join(",", symbolList)}");
        _changes = _changes.ContinueWith(_ => subscribe ? upstream.SubscribeAsync(symbolList) : upstream.UnsubscribeAsync(symbolList),
            CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();
    }

    private void Reply(BusMessage message, string json)
    {
        if (message.ReplyTo is { } reply) bus.TryPublish(reply, Encoding.UTF8.GetBytes(json));
    }
}

/// <summary>The gateway's timing: <c>Gateway:GraceMs</c> and how often leases are checked.</summary>
internal sealed record FeedGatewayOptions
{
    /// <summary>How long a symbol no lease holds stays subscribed upstream (default 2 s).</summary>
    public TimeSpan Grace { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How often leases are checked for expiry (default 250 ms).</summary>
    public TimeSpan ExpiryScan { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary><c>Gateway:TickStream</c>: the JetStream stream that keeps the published ticks; null: none.</summary>
    public JetStreamStreamSpec? TickStream { get; init; }
}
