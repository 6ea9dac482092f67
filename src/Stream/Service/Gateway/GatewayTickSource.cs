using System.Runtime.CompilerServices;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;
using Streamer.Rules.Positions;
using Streamer.Stream.Contracts;
using Streamer.Stream.Nats;
using Streamer.Stream.Pipeline;

namespace Streamer.Stream.Service.Gateway;

/// <summary>
/// <c>Feed:Source = gateway</c>: market data from the feed gateway over NATS instead of Alpaca's websockets
/// (docs/cluster.md "Feed gateway"). Positions' symbols are reference-counted per underlying, as the
/// Alpaca source counts them; an underlying's first symbol subscribes <c>streamer.ticks.&lt;UNDERLYING&gt;</c>
/// and its last one unsubscribes it. The engine's whole demand goes to <c>streamer.demand.&lt;engine-id&gt;</c>
/// on every change, every lease/3 (so a gateway that restarted has it back soon), and at once when the
/// gateway says it started; on a clean stop it withdraws it. A record that is not a tick is counted and
/// raised once as an alert naming the byte at fault; the records after it in other messages still count.
/// </summary>
internal sealed class GatewayTickSource : IMarketDataFeed
{
    private readonly IMessageBus _bus;
    private readonly SymbolTable _symbols;
    private readonly GatewayFeedOptions _options;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Dictionary<string, int>> _byUnderlying = new(StringComparer.Ordinal); // underlying → symbol → positions holding it
    private readonly Dictionary<string, IDisposable> _tickSubscriptions = new(StringComparer.Ordinal);
    private IDisposable? _restarts;
    private volatile TickIngress? _ingress;
    private long _ticks;
    private long _malformed;
    private long _foreign;
    private int _disposed;

    public GatewayTickSource(IMessageBus bus, SymbolTable symbols, GatewayFeedOptions options)
    {
        ArgumentNullException.ThrowIfNull(bus);
        ArgumentNullException.ThrowIfNull(options);
        _bus = bus;
        _symbols = symbols;
        _options = options;
    }

    public string Name => "gateway " + _options.EngineId;

    public event Action<FeedAlert>? Alert;

    /// <summary>Ticks handed to the pipeline.</summary>
    public long Ticks => Interlocked.Read(ref _ticks);

    /// <summary>Payloads refused (not a sequence of tick records).</summary>
    public long MalformedPayloads => Interlocked.Read(ref _malformed);

    /// <summary>Ticks on a subscribed underlying for a symbol this engine never asked for (another engine's).</summary>
    public long ForeignTicks => Interlocked.Read(ref _foreign);

    public Task SubscribeAsync(PositionSpec spec) => Change(spec, +1);

    public Task UnsubscribeAsync(PositionSpec spec) => Change(spec, -1);

    private Task Change(PositionSpec spec, int delta)
    {
        ArgumentNullException.ThrowIfNull(spec);
        lock (_gate)
        {
            foreach (var symbol in SymbolsOf(spec))
            {
                var underlying = LegSymbols.UnderlyingOf(symbol);
                if (!_byUnderlying.TryGetValue(underlying, out var held)) _byUnderlying[underlying] = held = new(StringComparer.Ordinal);
                int n = held.GetValueOrDefault(symbol) + delta;
                if (n > 0) held[symbol] = n;
                else held.Remove(symbol);
                if (delta > 0) _symbols.Intern(symbol);
                if (held.Count > 0 && !_tickSubscriptions.ContainsKey(underlying))
                    _tickSubscriptions[underlying] = _bus.Subscribe(NatsSubjects.Ticks(underlying), OnTicks);
                else if (held.Count == 0)
                {
                    _byUnderlying.Remove(underlying);
                    if (_tickSubscriptions.Remove(underlying, out var sub)) sub.Dispose();
                }
            }
        }
        // before the source runs (the restore adding positions one by one) nothing is declared: the first demand is
        // the whole restored set, so a gateway playing a tape from the first demand never starts on part of it
        if (_ingress is not null) Declare();
        return Task.CompletedTask;
    }

    private static IEnumerable<string> SymbolsOf(PositionSpec spec)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal) { spec.Underlying };
        yield return spec.Underlying;
        foreach (var leg in spec.Legs)
            if (seen.Add(leg.Symbol)) yield return leg.Symbol;
    }

    /// <summary>The whole demand, now (fire and forget: the next refresh repeats it if NATS was down).</summary>
    private void Declare(bool withdraw = false)
    {
        DemandMessage demand;
        lock (_gate)
        {
            var map = withdraw ? new Dictionary<string, string[]>() : _byUnderlying.ToDictionary(p => p.Key, p => p.Value.Keys.Order(StringComparer.Ordinal).ToArray(), StringComparer.Ordinal);
            demand = new DemandMessage(_options.EngineId, (int)_options.Lease.TotalMilliseconds, Full: true, map);
        }
        _bus.TryPublish(NatsSubjects.Demand(_options.EngineId), demand.ToJson());
    }

    public async Task RunAsync(TickIngress ingress, FeedMonitor feed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ingress);
        ArgumentNullException.ThrowIfNull(feed);
        feed.Report(Name, FeedStatus.Connecting); // Live is inferred from the first tick
        _ingress = ingress;
        _restarts = _bus.Subscribe(NatsSubjects.GatewayStarted, _ => Declare());
        Declare();
        using var refresh = new PeriodicTimer(_options.Lease / 3);
        try
        {
            while (await refresh.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false)) Declare();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One <c>streamer.ticks.*</c> message: its records, each resolved in this engine's table without allocating.</summary>
    private void OnTicks(BusMessage message)
    {
        var ingress = _ingress;
        if (ingress is null) return; // the pipeline has not started the source yet: nothing to price with
        var data = message.Data;
        int offset = 0;
        try
        {
            while (offset < data.Length)
            {
                TickWire.Read(data, ref offset, out var tick, out var symbol);
                int id = _symbols.Lookup(symbol);
                if (id == 0)
                {
                    Interlocked.Increment(ref _foreign);
                    continue;
                }
                tick.SymbolId = id;
                ingress.Publish(in tick);
                Interlocked.Increment(ref _ticks);
            }
        }
        catch (TickWireException e)
        {
            Malformed(message.Subject, e.Message);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Malformed(string subject, string error)
    {
        // once per 1000: a broken publisher must not flood the alerts subject (each alert says how many so far)
        long n = Interlocked.Increment(ref _malformed);
        if (n % 1000 == 1)
            Alert?.Invoke(new FeedAlert(false, $"gateway: {subject}: {error} (payload dropped; {n} so far)", "gateway_malformed_tick"));
    }

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return ValueTask.CompletedTask;
        // withdraw at once: the gateway need not wait for the lease to let go of this engine's symbols
        Declare(withdraw: true);
        _restarts?.Dispose();
        lock (_gate)
        {
            foreach (var s in _tickSubscriptions.Values) s.Dispose();
            _tickSubscriptions.Clear();
        }
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// <c>Gateway:*</c> for an engine fed through the gateway: <c>Gateway:EngineId</c> (its demand's subject
/// token; default <c>engine-&lt;pid&gt;</c>) and <c>Gateway:LeaseSeconds</c> (10: the demand lapses at the
/// gateway when not renewed for this long; renewed every third of it).
/// </summary>
public sealed record GatewayFeedOptions(string EngineId, TimeSpan Lease) : IMarketDataFeedFactory
{
    /// <summary>the service's bus (set by the host once the container has it).</summary>
    public IMessageBus? Bus { get; init; }

    public IMarketDataFeed Create(SymbolTable symbols, TimeSpan staleAfter) =>
        new GatewayTickSource(Bus ?? throw new InvalidOperationException("the gateway feed needs the message bus"), symbols, this);
}
