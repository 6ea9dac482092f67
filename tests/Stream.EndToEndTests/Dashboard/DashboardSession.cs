using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Streamer.Rules.Market;
using Streamer.Rules.Time;
using Streamer.Stream.Dashboard;
using Streamer.Stream.Nats;
using Streamer.Stream.Service;
using Streamer.Stream.Tests.Infrastructure;

namespace Streamer.Stream.Tests.Dashboard;

/// <summary>
/// <c>streamer run</c>'s host (LiveServiceHost) in this process, for the dashboard tests: a real
/// nats-server, a journal file, a short CSV tape (Feed:Speed=0) that prices three positions, and
/// the dashboard on a free loopback port. After the tape a test sends more ticks into the
/// pipeline's ingress, as a live feed would, and the engine's clock follows them.
/// </summary>
internal sealed class DashboardSession : IAsyncDisposable
{
    public const string Books = """
        books:
          stocks:
            rules:
              underlying_stop: {}
              underlying_target: {}
          calls:
            mark: mid
            rules:
              underlying_stop: {}
              premium_target: { gain_pct: 0.5 }
              trailing_stop: { activate_gain_pct: 0.2, trail_pct: 0.15 }
              day_trade_close: { minutes_before_close: 5 }
        """;

    public const string Positions = """
        { "positions": [
          { "id": "AAPL-1", "book": "stocks", "opened_at": "2026-02-02T14:55:00Z", "stop_underlying": 195, "target_underlying": 210,
            "legs": [ { "symbol": "AAPL", "qty": 100, "entry_price": 200.00 } ] },
          { "id": "MSFT-1", "book": "stocks", "opened_at": "2026-02-02T14:55:00Z", "stop_underlying": 390, "target_underlying": 420,
            "legs": [ { "symbol": "MSFT", "qty": 50, "entry_price": 400.00 } ] },
          { "id": "SPY-C-1", "book": "calls", "opened_at": "2026-02-02T14:55:00Z", "underlying_entry": 600, "stop_underlying": 590,
            "legs": [ { "symbol": "SPY260320C00600000", "qty": 2, "entry_price": 10.00 } ] }
        ] }
        """;

    /// <summary>the tape's rows, 10:00 ET on a Monday (inside a session: exits fire only there).</summary>
    public const string Tape = """
        time,symbol,bid,ask,last
        2026-02-02T15:00:00Z,AAPL,199.95,200.05,200.00
        2026-02-02T15:00:00.100Z,MSFT,399.90,400.10,400.00
        2026-02-02T15:00:00.200Z,SPY,599.95,600.05,600.00
        2026-02-02T15:00:00.300Z,SPY260320C00600000,10.90,11.10,
        2026-02-02T15:00:01Z,AAPL,200.45,200.55,200.50
        2026-02-02T15:00:01.500Z,SPY,600.95,601.05,601.00
        2026-02-02T15:00:01.600Z,SPY260320C00600000,11.40,11.60,
        """;

    private static readonly long AfterTapeNs = NanoTime.FromDateTime(new DateTime(2026, 2, 2, 15, 0, 5, DateTimeKind.Utc));
    private long _ticks;

    private DashboardSession(TempDirectory dir, NatsServerFixture server, IHost host, ConcurrentQueue<string> log)
    {
        Dir = dir;
        Server = server;
        Host = host;
        Log = log;
    }

    public TempDirectory Dir { get; }

    public NatsServerFixture Server { get; }

    public IHost Host { get; }

    /// <summary>every line the service logged (formatted, with exceptions).</summary>
    public ConcurrentQueue<string> Log { get; }

    public string JournalPath => Dir.File("j.db");

    public Uri Address => Host.Services.GetRequiredService<DashboardService>().Address ?? throw new InvalidOperationException("the dashboard is not listening");

    public static async Task<DashboardSession> StartAsync(params string[] more)
    {
        var dir = new TempDirectory();
        var server = new NatsServerFixture();
        File.WriteAllText(dir.File("books.yaml"), Books);
        File.WriteAllText(dir.File("positions.json"), Positions);
        File.WriteAllText(dir.File("ticks.csv"), Tape.ReplaceLineEndings("\n") + "\n");
        var log = new ConcurrentQueue<string>();
        var host = Streamer.Stream.Host.Hosting.LiveServiceHost.Create(
            [$"--Nats:Url={server.Url}", $"--Journal:Path={dir.File("j.db")}", $"--Books:File={dir.File("books.yaml")}",
             $"--Positions:File={dir.File("positions.json")}", $"--Feed:Tape={dir.File("ticks.csv")}", "--Feed:Speed=0",
             "--Snapshots:Interval=0.05", "--Heartbeat:IntervalSeconds=0.5", "--Dashboard:Url=http://127.0.0.1:0", .. more],
            dir.Path, logging: b => b.AddProvider(new CollectingLoggerProvider(log)).SetMinimumLevel(LogLevel.Debug));
        var session = new DashboardSession(dir, server, host, log);
        await host.StartAsync();
        Assert.True(await host.Services.GetRequiredService<IMessageBus>().WaitUntilConnectedAsync(TimeSpan.FromSeconds(20)));
        return session;
    }

    /// <summary>A quote and a trade of <paramref name="symbol"/> at <paramref name="price"/> (±0.05), each a second after the previous one.</summary>
    public void Trade(string symbol, double price)
    {
        var pipeline = Host.Services.GetRequiredService<LivePipelineService>().Pipeline;
        long now = AfterTapeNs + Interlocked.Increment(ref _ticks) * 1_000_000_000L;
        pipeline.Ingress.Publish(new Tick { TimeNs = now, SymbolId = pipeline.Symbols.Intern(symbol), Fields = TickFields.Quote | TickFields.Trade, Bid = price - 0.05, Ask = price + 0.05, Last = price });
    }

    /// <summary>Every tick sent so far evaluated by its shard.</summary>
    public Task FlushAsync() => Host.Services.GetRequiredService<LivePipelineService>().Pipeline.FlushAsync();

    private bool _stopped;

    /// <summary>Stops the host and releases the journal (a test then opens it).</summary>
    public async Task StopAsync()
    {
        if (_stopped) return;
        _stopped = true;
        await Host.StopAsync();
        Host.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Server.Dispose();
        Dir.Dispose();
    }
}

/// <summary>Keeps every log line in memory (the token tests read them all).</summary>
internal sealed class CollectingLoggerProvider(ConcurrentQueue<string> lines) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, lines);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)}{(exception is null ? "" : " " + exception)}");
    }
}
