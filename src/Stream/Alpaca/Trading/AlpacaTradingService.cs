using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Streamer.Stream.Journal;
using Streamer.Stream.Contracts;
using Streamer.Stream.Nats;
using Streamer.Stream.Service;
namespace Streamer.Stream.Alpaca.Trading;

/// <summary>
/// <c>Alpaca:TradingUrl</c> in <c>streamer run</c>: the <c>trade_updates</c> intake
/// (<see cref="TradeUpdatesIntake"/>), reconciliation against <c>GET /v2/positions</c> at start and every
/// <c>Alpaca:ReconcileSeconds</c> (<see cref="ReconcilePlanner"/>), and with <c>Alpaca:Executor</c> the
/// <see cref="ExitExecutor"/>. Started after the pipeline (it has restored the journal's positions),
/// stopped before it. One loop runs the exit watch, the executor and reconciliation; the intake runs
/// beside it, never at the same time as a reconciliation pass (one gate), so a fill and a pass cannot
/// both adopt the same quantity.
/// </summary>
public sealed partial class AlpacaTradingService : IHostedService, IAsyncDisposable
{
    private static readonly TimeSpan LoopInterval = TimeSpan.FromMilliseconds(200);

    private readonly AlpacaTradingOptions _options;
    private readonly ExitStore _exits;
    private readonly ServiceStatus _status;
    private readonly IPositionRegistry _registry;
    private readonly AlertPublisher _alerts;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly HttpClient _http;
    private readonly AlpacaTradingClient _client;
    private readonly MonitoredPositions _monitored;
    private readonly TradeUpdatesIntake _intake;
    private readonly ExitExecutor? _executor;
    private readonly ReconcilePlanner _planner = new();
    private readonly BrokenPositionDetector _detector = new();
    private readonly BrokenPositionHandler _broken;
    private readonly OrphanCloser? _closer;
    private readonly Channel<TradeUpdate> _updates = Channel.CreateBounded<TradeUpdate>(new BoundedChannelOptions(10_000) { SingleReader = true });
    private readonly TradeUpdatesClient _stream;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<string, (IReadOnlyList<string> Symbols, long SeenAt)> _inFlight = new(StringComparer.Ordinal); // exits not yet confirmed by a fill
    private long _exitWatermark;
    private volatile string _streamState = "connecting";
    private long _lastReconcileTimestamp;
    private long _reconcilePasses; // completed passes: lets a watcher wait for "two more passes" instead of a wall-clock guess
    private long _adopted;
    private long _closedOut;
    private long _brokenPositions;
    private bool _reconciledOnce;
    private volatile bool _reconcileSoon;
    private Task? _loop;
    private Task? _consumer;

    public AlpacaTradingService(AlpacaTradingOptions options, JournalDatabase journal, ExecutionIntakeService intake, IPositionRegistry registry,
        LivePipelineService pipeline, AlertPublisher alerts, IMessageBus bus, ServiceStatus status, TimeProvider time, ILogger<AlpacaTradingService> log,
        Service.Metrics.StreamerMetrics? metrics = null)
    {
        _options = options;
        _exits = journal.Exits;
        _status = status;
        _registry = registry;
        _alerts = alerts;
        _time = time;
        _log = log;
        _http = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
        _client = new AlpacaTradingClient(_http, options.TradingUrl, options.Credentials);
        _monitored = new MonitoredPositions(pipeline, journal.Positions);
        _intake = new TradeUpdatesIntake(intake, journal.Exits, _monitored, options, time, log);
        if (options.Executor)
        {
            _executor = new ExitExecutor(_client, journal, _intake, alerts, bus, options, time, log);
            _intake.ExitOrderUpdate += _executor.OnOrderUpdate;
            if (metrics is not null) ExecutorMetrics.Register(metrics.Meter, _executor);
        }
        _intake.ExitOrderUpdate += (exitId, update) =>
        {
            if (update.Order.Status is "filled" or "canceled" or "expired" or "rejected")
                lock (_inFlight) _inFlight.Remove(exitId);
        };
        if (_executor is not null) _closer = new OrphanCloser(_client, journal, _intake, alerts, time, log);
        _broken = new BrokenPositionHandler(intake, _client, _monitored, _closer, alerts, options, time, log);
        _stream = new TradeUpdatesClient(options.TradingUrl, options.Credentials, _updates.Writer);
        _stream.Malformed += m =>
        {
            if (m.StartsWith("trade_updates connection:", StringComparison.Ordinal)) _streamState = "reconnecting";
            LogStreamProblem(_log, m);
        };
        bool connectedBefore = false;
        _stream.Connected += () =>
        {
            _streamState = "listening";
            LogStreamConnected(_log, _stream.Endpoint.ToString());
            if (connectedBefore) _reconcileSoon = true; // updates missed while away are not replayed: compare now
            connectedBefore = true;
        };
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        LogStarting(_log, _options.ToString());
        // exits decided from now on are watched; with the executor, older ones without a finished order are its backlog
        _exitWatermark = _exits.LastExitOrd();
        _executor?.LoadBacklog(_exitWatermark);
        _closer?.Load();
        _stream.Start();
        _ = _stream.Completion.ContinueWith(_ =>
        {
            if (!_stream.Unauthorized) return;
            _streamState = "unauthorized";
            _alerts.Raise(AlertPublisher.Kinds.OrderFailed, $"alpaca trade_updates ({_stream.Endpoint}): the keys were refused; fills from the broker are not received (reconciliation still runs)", "trade_updates_unauthorized");
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        var before = _status.ExtraFields; // the pipeline's fields, then ours
        _status.ExtraFields = w =>
        {
            before?.Invoke(w);
            WriteStatus(w);
        };
        _consumer = Task.Run(() => ConsumeAsync(_stop.Token), CancellationToken.None);
        _loop = Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_stop.IsCancellationRequested) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        await _stream.DisposeAsync().ConfigureAwait(false);
        _updates.Writer.TryComplete();
        foreach (var t in new[] { _loop, _consumer })
        {
            if (t is null) continue;
            try
            {
                await t.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _http.Dispose();
        _gate.Dispose();
        _stop.Dispose();
    }

    private async Task ConsumeAsync(CancellationToken stop)
    {
        await foreach (var update in _updates.Reader.ReadAllAsync(stop).ConfigureAwait(false))
        {
            await _gate.WaitAsync(stop).ConfigureAwait(false);
            try
            {
                await _intake.HandleAsync(update).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // one bad update must not end the intake: it is an alert
            catch (Exception e) when (e is not OperationCanceledException)
#pragma warning restore CA1031
            {
                _alerts.Raise(AlertPublisher.Kinds.RejectedInput, $"trade_updates: {update.Event} for order {update.Order.Id} not applied: {e.Message}", update.Order.Id,
                    [new("order_id", update.Order.Id)]);
            }
            finally
            {
                _gate.Release();
            }
        }
    }

    private async Task RunAsync(CancellationToken stop)
    {
        long nextReconcile = 0;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                WatchExits();
                if (_executor is not null) await _executor.StepAsync(stop).ConfigureAwait(false);
                if (_closer is not null && _closer.ActiveSymbols().Count > 0 && await _monitored.LegsAsync().ConfigureAwait(false) is { } held)
                    await _closer.StepAsync(held, stop).ConfigureAwait(false);
                long now = _time.GetTimestamp();
                if (now >= nextReconcile || _reconcileSoon)
                {
                    _reconcileSoon = false;
                    bool done = await ReconcileAsync(stop).ConfigureAwait(false);
                    // 0 = only at start (and after a trade_updates reconnect); a broker that cannot be read is asked again soon
                    var wait = !done ? TimeSpan.FromSeconds(Math.Min(5, Math.Max(1, _options.ReconcileInterval.TotalSeconds)))
                        : _options.ReconcileInterval > TimeSpan.Zero ? _options.ReconcileInterval : TimeSpan.FromDays(365);
                    nextReconcile = now + (long)(wait.TotalSeconds * _time.TimestampFrequency);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // the trading loop must outlive any one failure: it is an alert, then the next round
            catch (Exception e)
#pragma warning restore CA1031
            {
                _alerts.Raise(AlertPublisher.Kinds.OrderFailed, "alpaca trading loop: " + e.Message, "loop|" + e.GetType().Name);
            }
            try
            {
                await Task.Delay(LoopInterval, _time, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Newly journaled exits: in flight until their fill (reconciliation skips their symbols), and the executor's work.</summary>
    private void WatchExits()
    {
        var batch = _exits.ExitsAfter(_exitWatermark);
        long now = _time.GetTimestamp();
        foreach (var (ord, exit) in batch)
        {
            _exitWatermark = ord;
            IReadOnlyList<string> symbols;
            try
            {
                symbols = [.. ExitExecutor.ExitLegs(exit.Payload).Select(l => l.Symbol)];
            }
            catch (Exception e) when (e is FormatException or System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException)
            {
                symbols = [];
            }
            lock (_inFlight) _inFlight[exit.Id] = (symbols, now);
            _executor?.Track(exit);
        }
        if (batch.Count > 0) _executor?.MarkSeen(batch[^1].Ord);
        // without the executor, an exit someone else trades counts as in flight for one order timeout
        lock (_inFlight)
        {
            foreach (var id in _inFlight.Where(kv => _time.GetElapsedTime(kv.Value.SeenAt) > _options.OrderTimeout + _options.ReconcileInterval).Select(kv => kv.Key).ToList())
                _inFlight.Remove(id);
        }
    }

    /// <summary>One pass; false when the broker could not be read (the first pass is then tried again on the next round).</summary>
    internal async Task<bool> ReconcileAsync(CancellationToken stop)
    {
        IReadOnlyList<BrokerPosition> positions;
        IReadOnlyList<BrokerOrder> open;
        await _gate.WaitAsync(stop).ConfigureAwait(false);
        try
        {
            try
            {
                positions = await _client.GetPositionsAsync(stop).ConfigureAwait(false);
                open = await _client.GetOpenOrdersAsync(stop).ConfigureAwait(false);
            }
            catch (Exception e) when ((e is HttpRequestException or AlpacaApiException or TaskCanceledException or FormatException or System.Text.Json.JsonException) && !stop.IsCancellationRequested)
            {
                _alerts.Raise(AlertPublisher.Kinds.PositionMismatch, $"reconciliation skipped: the trading API cannot be read ({e.Message})", "unreadable");
                return false;
            }
            var legs = await _monitored.LegsAsync().ConfigureAwait(false);
            if (legs is null) return false;
            WatchExits(); // an exit the engine decided before the read above is in the journal by now (or within the dispatcher's ms)
            var busy = new HashSet<string>(StringComparer.Ordinal);
            foreach (var o in open)
            {
                if (o.Symbol.Length > 0) busy.Add(o.Symbol);
                foreach (var l in o.Legs) busy.Add(l.Symbol);
            }
            lock (_inFlight)
                foreach (var (symbols, _) in _inFlight.Values) busy.UnionWith(symbols);
            if (_executor is not null) busy.UnionWith(_executor.ActiveSymbols());
            if (_closer is not null) busy.UnionWith(_closer.ActiveSymbols());
            // a leg changed outside Streamer (closed alone, assigned) first: what it claims the planner leaves alone this pass
            var (broken, claimed) = _detector.Plan(positions, legs, busy);
            var plan = _planner.Plan(positions, legs, claimed.Count == 0 ? busy : [.. busy, .. claimed], firstPass: !_reconciledOnce);
            _reconciledOnce = true;
            await _broken.ApplyAsync(broken, stop).ConfigureAwait(false);
            Interlocked.Add(ref _brokenPositions, broken.Count);
            Apply(plan);
            Interlocked.Exchange(ref _lastReconcileTimestamp, _time.GetTimestamp());
            Interlocked.Increment(ref _reconcilePasses);
            Interlocked.Add(ref _adopted, plan.Adopt.Count(a => a.Qty != 0));
            Interlocked.Add(ref _closedOut, plan.CloseOut.Sum(c => c.PositionIds.Count));
            LogReconciled(_log, positions.Count, legs.Count, plan.Adopt.Count, plan.CloseOut.Count, plan.Waiting.Count, plan.Skipped.Count);
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    private void Apply(ReconcilePlan plan)
    {
        foreach (var a in plan.Adopt)
        {
            if (a.Qty == 0) continue;
            string id = _monitored.NewId(a.Symbol);
            string? error;
            try
            {
                // parsed once here: the registry gets the adopted position typed
                error = _registry.Add(PositionDefinition.Parse(MonitoredPositions.Definition(id, _options.DefaultBook, [(a.Symbol, a.Qty, a.AvgEntryPrice)])));
            }
            catch (Streamer.Rules.Books.ConfigException e)
            {
                error = e.Message;
            }
            var details = new List<KeyValuePair<string, string>>
            {
                new("symbol", a.Symbol), new("position_id", id), new("broker_qty", Num(a.BrokerQty)), new("monitored_qty", Num(a.MonitoredQty)), new("adopted_qty", Num(a.Qty)),
            };
            if (error is not null)
            {
                _alerts.Raise(AlertPublisher.Kinds.UnmonitoredPosition, $"the broker holds {Num(a.BrokerQty)} {a.Symbol}, monitored positions {Num(a.MonitoredQty)}; adopting {Num(a.Qty)} failed: {error}", a.Symbol, details);
                continue;
            }
            _alerts.Raise(AlertPublisher.Kinds.UnmonitoredPosition,
                $"the broker holds {Num(a.BrokerQty)} {a.Symbol}, monitored positions {Num(a.MonitoredQty)}: adopted {Num(a.Qty)} @ {Num(a.AvgEntryPrice)} as position '{id}' (book {_options.DefaultBook})", a.Symbol, details);
        }
        foreach (var c in plan.CloseOut)
        {
            foreach (var id in c.PositionIds)
            {
                bool removed = _registry.Remove(id);
                _alerts.Raise(AlertPublisher.Kinds.PositionMismatch,
                    $"{c.Symbol}: the broker holds {Num(c.BrokerQty)}, monitored positions {Num(c.MonitoredQty)}: position '{id}' {(removed ? "closed out (no longer monitored)" : "was already gone")}",
                    id, [new("symbol", c.Symbol), new("position_id", id), new("broker_qty", Num(c.BrokerQty)), new("monitored_qty", Num(c.MonitoredQty)), new("action", "closed_out")]);
            }
        }
        foreach (var u in plan.Unfixable)
            _alerts.Raise(AlertPublisher.Kinds.PositionMismatch, u, u);
    }

    /// <summary>The heartbeat's <c>alpaca_trading</c> object (docs/run.md).</summary>
    private void WriteStatus(System.Text.Json.Utf8JsonWriter w)
    {
        w.WriteStartObject("alpaca_trading"u8);
        w.WriteString("trade_updates"u8, _streamState);
        w.WriteNumber("fills_received"u8, _intake.FillsAccepted);
        long last = Interlocked.Read(ref _lastReconcileTimestamp);
        if (last == 0) w.WriteNull("last_reconcile_age_s"u8);
        else w.WriteNumber("last_reconcile_age_s"u8, Math.Round(_time.GetElapsedTime(last).TotalSeconds, 3));
        w.WriteNumber("reconcile_passes"u8, Interlocked.Read(ref _reconcilePasses));
        w.WriteNumber("adopted"u8, Interlocked.Read(ref _adopted));
        w.WriteNumber("closed_out"u8, Interlocked.Read(ref _closedOut));
        w.WriteNumber("broken_positions"u8, Interlocked.Read(ref _brokenPositions));
        w.WriteBoolean("executor"u8, _executor is not null);
        if (_executor is not null)
        {
            w.WriteNumber("orders_working"u8, _executor.Working);
            w.WriteNumber("orders_filled"u8, _executor.OrdersFilled);
            w.WriteNumber("orders_failed"u8, _executor.OrdersFailed);
        }
        w.WriteEndObject();
    }

    private static string Num(decimal d) => d.ToString(CultureInfo.InvariantCulture);

    [LoggerMessage(Level = LogLevel.Information, Message = "alpaca: {Options}")]
    private static partial void LogStarting(ILogger logger, string options);

    [LoggerMessage(Level = LogLevel.Information, Message = "alpaca trade_updates listening on {Endpoint}")]
    private static partial void LogStreamConnected(ILogger logger, string endpoint);

    [LoggerMessage(Level = LogLevel.Warning, Message = "alpaca trade_updates: {Problem}")]
    private static partial void LogStreamProblem(ILogger logger, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "reconciled: {Broker} broker positions, {Legs} monitored legs; adopted {Adopted}, closed out {ClosedOut}, waiting {Waiting}, skipped (in flight) {Skipped}")]
    private static partial void LogReconciled(ILogger logger, int broker, int legs, int adopted, int closedOut, int waiting, int skipped);
}
