using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Streamer.Feed.Alpaca;
using Streamer.Rules.Books;
using Streamer.Rules.Engine;
using Streamer.Rules.Instruments;
using Streamer.Rules.Positions;
using Streamer.Stream.Journal;
using Streamer.Stream.Nats;
using Streamer.Stream.Outbox;
using Streamer.Stream.Service;

namespace Streamer.Stream.Pipeline;

/// <summary>
/// The pipeline inside <c>streamer run</c> (register with <c>services.AddHostedService&lt;PipelineHostedService&gt;()</c>
/// after the outbox's hosted service): builds the <see cref="TickPipeline"/> on the outbox (exits) and
/// the bus (snapshots), turns its alerts into <see cref="AlertPublisher"/> alerts, loads positions from
/// <c>Positions:File</c> and the journal's registry (restoring each one's journaled state), follows the
/// registry's adds and removes (control API, intake), runs the tape of <c>Feed:Tape</c> or else Alpaca's
/// streams (keys from the environment; subscriptions follow the positions), and keeps
/// <see cref="ServiceStatus"/> up to date.
/// </summary>
internal sealed partial class PipelineHostedService(
    IConfiguration configuration,
    StreamerSettings settings,
    ExitOutbox outbox,
    IMessageBus bus,
    SqliteJournal journal,
    IPositionRegistry registry,
    AlertPublisher alerts,
    ServiceStatus status,
    ILogger<PipelineHostedService> log) : IHostedService, IAsyncDisposable
{
    private TickPipeline? _pipeline;
    private AlpacaTickSource? _alpaca;
    private readonly Dictionary<string, PositionSpec> _specs = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private IDisposable? _alertSubscription;
    private Timer? _statusTimer;
    private long _ticksReported;

    /// <summary>The running pipeline (null before start): the control API's snapshots, the heartbeat's fields.</summary>
    public TickPipeline? Pipeline => _pipeline;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var options = PipelineSettings.From(configuration, settings);
        var books = settings.BooksFile is { } booksFile ? BookSet.Parse(await File.ReadAllTextAsync(booksFile, cancellationToken).ConfigureAwait(false), booksFile) : BookSet.BuiltIn;
        var symbols = new SymbolTable();
        var pipeline = new TickPipeline(options, symbols, books, new OutboxExitTarget(outbox), new BusSnapshotTarget(bus));
        _pipeline = pipeline;
        _alertSubscription = pipeline.Alerts.Subscribe(a => alerts.Raise(a.Kind, a.Message, a.Key, a.Details));
        pipeline.Start();

        if (settings.FeedTape is null && AlpacaCredentials.FromEnvironment() is { } credentials)
        {
            _alpaca = new AlpacaTickSource(new AlpacaStreamOptions
            {
                DataUrl = configuration["Alpaca:DataUrl"] is { Length: > 0 } url ? new Uri(url) : new Uri("wss://stream.data.alpaca.markets"),
                StaleAfter = options.StaleAfter,
            }, configuration["Alpaca:Feed"] is { Length: > 0 } feed ? feed : "iex",
               configuration["Alpaca:OptionsFeed"] is { Length: > 0 } optionsFeed ? optionsFeed : "indicative",
               credentials, symbols);
            _alpaca.Alert += a => alerts.Raise(a.Kind == Streamer.Feed.Alpaca.AlpacaAlertKind.GaveUp ? PipelineAlert.Kinds.FeedDown : "market_data", "alpaca: " + a, a.Kind.ToString());
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        if (settings.PositionsFile is { } positionsFile)
        {
            foreach (var spec in PositionsFile.Parse(await File.ReadAllTextAsync(positionsFile, cancellationToken).ConfigureAwait(false), positionsFile))
                if (seen.Add(spec.Id)) Add(spec);
        }
        foreach (var p in registry.List())
        {
            if (!seen.Add(p.Id)) continue;
            var spec = Parse(p.DefinitionJson, p.Id);
            if (spec is not null) Add(spec);
        }
        registry.Added += OnAdded;
        registry.Removed += OnRemoved;

        if (settings.FeedTape is { } tape) _ = pipeline.RunSourceAsync(new TapeTickSource(tape, symbols));
        else if (_alpaca is not null) _ = pipeline.RunSourceAsync(_alpaca);
        else
            alerts.Raise(PipelineAlert.Kinds.FeedDown,
                "no market data source: set Feed:Tape, or APCA_API_KEY_ID and APCA_API_SECRET_KEY for Alpaca", "no-source");
        _statusTimer = new Timer(_ => UpdateStatus(), null, TimeSpan.Zero, TimeSpan.FromSeconds(1));
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        registry.Added -= OnAdded;
        registry.Removed -= OnRemoved;
        if (_statusTimer is not null) await _statusTimer.DisposeAsync().ConfigureAwait(false);
        if (_pipeline is not null) await _pipeline.StopAsync().ConfigureAwait(false);
        UpdateStatus();
    }

    public async ValueTask DisposeAsync()
    {
        _alertSubscription?.Dispose();
        if (_pipeline is not null) await _pipeline.DisposeAsync().ConfigureAwait(false);
        if (_alpaca is not null) await _alpaca.DisposeAsync().ConfigureAwait(false);
    }

    private void OnAdded(string id, string definitionJson)
    {
        var spec = Parse(definitionJson, id);
        if (spec is not null) Add(spec);
    }

    private void OnRemoved(string id)
    {
        _ = _pipeline?.RemovePositionAsync(id);
        PositionSpec? spec;
        lock (_gate) _specs.Remove(id, out spec);
        if (spec is not null && _alpaca is not null) _ = _alpaca.UnsubscribeAsync(spec);
    }

    /// <summary>Adds with the journaled state (what is open, tranches fired, next sequence), so no exit fires twice after a restart.</summary>
    private void Add(PositionSpec spec)
    {
        PositionState? state = null;
        try
        {
            if (journal.TryLoadPositionState(spec.Id, out var json))
            {
                var s = PositionStateJson.Parse(json, spec.Id);
                long next = journal.NextExitSequence(spec.Id);
                state = next > s.NextSequence ? s with { NextSequence = (int)next } : s;
            }
            _ = _pipeline!.AddPositionAsync(spec, state);
            lock (_gate) _specs[spec.Id] = spec;
            if (_alpaca is not null) _ = _alpaca.SubscribeAsync(spec);
        }
        catch (Exception e) when (e is ConfigException or FormatException)
        {
            alerts.Raise(PipelineAlert.Kinds.RejectedInput, $"position '{spec.Id}' not monitored: {e.Message}", spec.Id, [new("position_id", spec.Id)]);
        }
    }

    private PositionSpec? Parse(string json, string id)
    {
        try
        {
            return PositionsFile.ParseOne(json, $"position '{id}'");
        }
        catch (Exception e) when (e is ConfigException or FormatException)
        {
            alerts.Raise(PipelineAlert.Kinds.RejectedInput, $"position '{id}' not monitored: {e.Message}", id, [new("position_id", id)]);
            return null;
        }
    }

    private void UpdateStatus()
    {
        var p = _pipeline;
        if (p is null) return;
        status.PositionsMonitored = p.PositionCount;
        long ticks = p.Ingress.Ticks;
        status.RecordTicks(ticks - Interlocked.Exchange(ref _ticksReported, ticks));
        LogStatus(log, p.Feed.Current.Name(), p.PositionCount, ticks);
    }

    [LoggerMessage(Level = LogLevel.Trace, Message = "pipeline: feed {Feed}, {Positions} positions, {Ticks} ticks")]
    private static partial void LogStatus(ILogger logger, string feed, int positions, long ticks);
}
