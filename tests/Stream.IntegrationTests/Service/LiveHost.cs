using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Streamer.Rules.Market;
using Streamer.Rules.Time;
using Streamer.Stream.Nats;
using Streamer.Stream.Service;
using Streamer.Stream.Tests.Infrastructure;

namespace Streamer.Stream.Tests.Service;

/// <summary>
/// <c>streamer run</c>'s host (LiveServiceHost) on a real nats-server and a journal file, for the
/// service tests: a one-rule book (underlying_stop), start and stop, and ticks stamped inside a
/// regular session (exits fire only there, rules.md) whatever the wall clock says.
/// </summary>
internal static class LiveHost
{
    public const string StopOnlyBooks = "books:\n  stop_only:\n    rules:\n      underlying_stop: {}\n";

    /// <summary>a Monday 10:00 EST: inside a regular session.</summary>
    public static readonly long SessionNs = NanoTime.FromDateTime(new DateTime(2026, 2, 2, 15, 0, 0, DateTimeKind.Utc));

    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private static long _ticks;

    /// <summary>the host, built and not started: <c>--Books:File</c> is <see cref="StopOnlyBooks"/>, a 0.5 s heartbeat; <paramref name="more"/> after.</summary>
    public static IHost Create(NatsServerFixture server, TempDirectory dir, string journal, params string[] more)
    {
        File.WriteAllText(dir.File("books.yaml"), StopOnlyBooks);
        return Streamer.Stream.Host.Hosting.LiveServiceHost.Create(
            // no dashboard unless a test asks for one: parallel hosts would all want port 8088
            [$"--Nats:Url={server.Url}", $"--Journal:Path={journal}", $"--Books:File={dir.File("books.yaml")}", "--Heartbeat:IntervalSeconds=0.5",
                .. (more.Any(a => a.StartsWith("--Dashboard:", StringComparison.OrdinalIgnoreCase)) ? Array.Empty<string>() : ["--Dashboard:Enabled=false"]), .. more],
            dir.Path, logging: _ => { });
    }

    /// <summary>started, and connected to NATS.</summary>
    public static async Task<IHost> StartAsync(NatsServerFixture server, TempDirectory dir, string journal, params string[] more)
    {
        var host = Create(server, dir, journal, more);
        await host.StartAsync();
        Assert.True(await host.Services.GetRequiredService<IMessageBus>().WaitUntilConnectedAsync(Wait));
        return host;
    }

    public static async Task StopAsync(IHost host)
    {
        await host.StopAsync();
        host.Dispose();
    }

    /// <summary>a quote and a trade of <paramref name="symbol"/> at <paramref name="price"/> (±0.05), each call a millisecond later in the session.</summary>
    public static void Trade(IHost host, string symbol, double price, long? timeNs = null)
    {
        var pipeline = host.Services.GetRequiredService<LivePipelineService>().Pipeline;
        long now = timeNs ?? SessionNs + Interlocked.Increment(ref _ticks) * 1_000_000L;
        pipeline.Ingress.Publish(new Tick { TimeNs = now, SymbolId = pipeline.Symbols.Intern(symbol), Fields = TickFields.Quote | TickFields.Trade, Bid = price - 0.05, Ask = price + 0.05, Last = price });
    }
}
