using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Streamer.Stream.Contracts;
using Streamer.Stream.Journal.Outbox;
using Streamer.Stream.Metrics;
using Streamer.Stream.Nats;
using Streamer.Stream.Pipeline;
using Streamer.Stream.Service;
using Streamer.Stream.Tests.Infrastructure;
using Streamer.Stream.Tests.Service;
using Xunit.Abstractions;

namespace Streamer.Stream.Tests.Metrics;

/// <summary>
/// <c>/metrics</c> scraped over HTTP from a web host that calls the two methods the dashboard calls
/// (<see cref="StreamerMetricsExtensions.AddStreamerMetrics"/>, <see cref="StreamerMetricsExtensions.MapStreamerMetrics"/>),
/// beside the real service (<c>streamer run</c>'s host on a real nats-server, a real SQLite journal,
/// a tape at Feed:Speed=0), and every number checked against what the tape makes happen.
/// </summary>
[Collection(MetricsCollection.Name)]
public sealed class MetricsScrapeTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private const int Steps = 40;
    private static readonly string[] Underlyings = ["AAA", "BBB", "CCC"];

    [Fact]
    public async Task The_scrape_counts_the_tapes_ticks_exits_positions_and_alerts_and_a_nats_reconnect()
    {
        using var dir = new TempDirectory();
        using var server = new NatsServerFixture();
        using var client = await TestBus.ConnectedAsync(server.Url);
        var alerts = new ConcurrentQueue<string>();
        using var alertSub = client.Subscribe(NatsSubjects.AlertsPrefix + ">", m => alerts.Enqueue(JsonDocument.Parse(m.Data).RootElement.GetProperty("kind").GetString()!));

        // 40 steps a second apart in a regular session: AAA falls 100 → 80.5, BBB 50 → 40.25, CCC stays at 20.
        // AAA-1 (stop 95), AAA-2 (stop 90) and BBB-1 (stop 45) are stopped out; CCC-1 (stop 10) stays open.
        var tape = new StringBuilder("time,symbol,bid,ask,last\n");
        var start = new DateTime(2026, 2, 2, 15, 0, 0, DateTimeKind.Utc);
        for (int i = 0; i < Steps; i++)
        {
            double[] prices = [100 - 0.5 * i, 50 - 0.25 * i, 20];
            for (int u = 0; u < Underlyings.Length; u++)
                tape.Append(CultureInfo.InvariantCulture, $"{start.AddSeconds(i):yyyy-MM-ddTHH:mm:ss.fffZ},{Underlyings[u]},{prices[u] - 0.01:0.00},{prices[u] + 0.01:0.00},{prices[u]:0.00}\n");
        }
        File.WriteAllText(dir.File("tape.csv"), tape.ToString());
        static string Stock(string id, string symbol, double entry, double stop) =>
            $$"""{ "id": "{{id}}", "book": "stop_only", "underlying_entry": {{entry.ToString(CultureInfo.InvariantCulture)}}, "stop_underlying": {{stop.ToString(CultureInfo.InvariantCulture)}}, "legs": [ { "symbol": "{{symbol}}", "qty": 100, "entry_price": {{entry.ToString(CultureInfo.InvariantCulture)}} } ] }""";
        File.WriteAllText(dir.File("positions.json"),
            $$"""{ "positions": [ {{Stock("AAA-1", "AAA", 100, 95)}}, {{Stock("AAA-2", "AAA", 100, 90)}}, {{Stock("BBB-1", "BBB", 50, 45)}}, {{Stock("CCC-1", "CCC", 20, 10)}} ] }""");

        var host = LiveHost.Create(server, dir, dir.File("j.db"), $"--Feed:Tape={dir.File("tape.csv")}", "--Feed:Speed=0",
            $"--Positions:File={dir.File("positions.json")}", "--Pipeline:Shards=2");
        await using var web = await MetricsWebHost.StartAsync();
        // the executor's instruments over stand-in counts (it needs a broker; this host has none): their names as scraped
        using var executorMeter = new System.Diagnostics.Metrics.Meter(StreamerMetricNames.Meter);
        Streamer.Stream.Alpaca.Trading.ExecutorMetrics.Register(executorMeter, () => 7, () => 2, () => 1);
        await host.StartAsync();
        try
        {
            var pipeline = host.Services.GetRequiredService<LivePipelineService>().Pipeline;
            var outbox = host.Services.GetRequiredService<ExitOutbox>();
            var bus = host.Services.GetRequiredService<IMessageBus>();
            await Waits.UntilAsync(() => alerts.Contains(PipelineAlert.Kinds.FeedDown), "the tape's end (feed_down on NATS)", Wait);
            await Waits.UntilAsync(() => outbox.Published == 3 && outbox.Backlog == 0, "three exits acked", Wait);
            await Waits.UntilAsync(() => pipeline.OpenPositionCount == 1, "one position left open", Wait);
            // the journal thread counts a batch after it has timed its commit
            await Waits.UntilAsync(() => pipeline.Exits.ExitBatches > 0 && pipeline.Exits.Pending == 0, "the exits' journal batches done", Wait);

            var scrape = await web.ScrapeAsync();
            output.WriteLine(scrape.Text);
            int ticks = Steps * Underlyings.Length;
            Assert.Equal(ticks, scrape.Value("streamer_ticks_total"));
            // each underlying's 40 ticks on the shard it routes to (worked out here, not read from the pipeline)
            var perShard = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var u in Underlyings)
            {
                var shard = TickIngress.ShardFor(pipeline.Symbols, pipeline.Symbols.Intern(u), 2).ToString(CultureInfo.InvariantCulture);
                perShard[shard] = perShard.GetValueOrDefault(shard) + Steps;
            }
            foreach (var (shard, n) in perShard) Assert.Equal(n, scrape.Value("streamer_shard_ticks_total", ("shard", shard)));
            Assert.Equal(ticks, scrape.By("streamer_shard_ticks_total", "shard").Values.Sum());
            Assert.Equal(new Dictionary<string, double> { ["underlying_stop"] = 3 }, scrape.By("streamer_exits_total", "rule"));
            Assert.Equal(1, scrape.Value("streamer_positions_monitored"));
            Assert.Equal(3, scrape.Value("streamer_exits_published_total"));
            Assert.Equal(0, scrape.Value("streamer_outbox_depth"));
            Assert.Equal(0, scrape.Value("streamer_nats_reconnects_total"));
            // alerts by kind: exactly what a subscriber of streamer.alerts.> received
            var received = alerts.GroupBy(k => k).ToDictionary(g => g.Key, g => (double)g.Count(), StringComparer.Ordinal);
            Assert.Equal(1, received[PipelineAlert.Kinds.FeedDown]);
            Assert.Equal(received, scrape.By("streamer_alerts_total", "kind"));
            // one tick → decision and one decision → acked per exit; one journal commit per batch
            Assert.Equal(3, scrape.Value("streamer_exit_tick_to_decision_seconds_count"));
            Assert.Equal(3, scrape.Value("streamer_exit_tick_to_decision_seconds_bucket", ("le", "+Inf")));
            Assert.InRange(scrape.Value("streamer_exit_tick_to_decision_seconds_sum"), 1e-9, 30);
            Assert.Equal(3, scrape.Value("streamer_exit_decision_to_published_seconds_count"));
            // acked after decided, so no sooner than the decision's own share of it
            Assert.True(scrape.Value("streamer_exit_decision_to_published_seconds_sum") > 0, "decision → published took some time");
            Assert.InRange(scrape.Value("streamer_journal_commit_seconds_count"), 1, 3);
            Assert.Equal(pipeline.Exits.ExitBatches, scrape.Value("streamer_journal_commit_seconds_count"));

            Assert.Equal(new Dictionary<string, double> { ["filled"] = 7, ["failed"] = 2 }, scrape.By("streamer_executor_orders_total", "status"));
            Assert.Equal(1, scrape.Value("streamer_executor_orders_working"));
            // the sample Grafana dashboard queries what the scrape exposes
            var exposed = scrape.Names.Select(n => System.Text.RegularExpressions.Regex.Replace(n, "_(bucket|sum|count)$", "")).ToHashSet(StringComparer.Ordinal);
            var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "deploy", "grafana", "streamer-dashboard.json"))).RootElement;
            var queried = dashboard.GetProperty("panels").EnumerateArray().Where(p => p.TryGetProperty("targets", out _))
                .SelectMany(p => p.GetProperty("targets").EnumerateArray().Select(t => t.GetProperty("expr").GetString()!))
                .SelectMany(e => System.Text.RegularExpressions.Regex.Matches(e, "streamer_[a-z_]+").Select(m => System.Text.RegularExpressions.Regex.Replace(m.Value, "_(bucket|sum|count)$", "")))
                .ToHashSet(StringComparer.Ordinal);
            Assert.True(queried.Count >= 10, $"the dashboard queries {queried.Count} metrics");
            Assert.Empty(queried.Except(exposed));

            // NATS goes away and comes back: one reconnect, and the outage's two alerts (lost, reconnected)
            server.Stop();
            await Waits.UntilAsync(() => !bus.IsConnected, "the service sees NATS gone", Wait);
            server.Start();
            await Waits.UntilAsync(() => bus.IsConnected && bus.Connections == 2, "the service reconnected", Wait);
            scrape = await web.ScrapeAsync();
            Assert.Equal(1, scrape.Value("streamer_nats_reconnects_total"));
            Assert.Equal(2, scrape.Value("streamer_alerts_total", ("kind", AlertPublisher.Kinds.NatsOutage)));
            Assert.Equal(ticks, scrape.Value("streamer_ticks_total"));
        }
        finally
        {
            await LiveHost.StopAsync(host);
        }
    }

    [Fact]
    public async Task Without_a_service_the_scrape_answers_and_has_no_streamer_samples()
    {
        // the other half of the test above: its numbers come from the running service, not from the exporter
        await using var web = await MetricsWebHost.StartAsync();
        var scrape = await web.ScrapeAsync();
        Assert.DoesNotContain(scrape.Names, n => n.StartsWith("streamer_", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Metrics:OtlpEndpoint", "ftp://collector:4317", "Metrics:OtlpEndpoint:")]
    [InlineData("Metrics:OtlpEndpoint", "not a url", "Metrics:OtlpEndpoint:")]
    [InlineData("Metrics:OtlpProtocol", "udp", "Metrics:OtlpProtocol:")]
    [InlineData("Metrics:OtlpEndpont", "http://127.0.0.1:4317", "unknown setting Metrics:OtlpEndpont")]
    public void A_bad_metrics_setting_is_a_settings_error_naming_the_key(string key, string value, string start)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new(key, value)]).Build();
        var e = Assert.Throws<SettingsException>(() => { _ = new ServiceCollection().AddStreamerMetrics(configuration); });
        Assert.StartsWith(start, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_an_otlp_endpoint_the_meter_is_also_pushed_to_the_collector_over_otlp_http()
    {
        // a stand-in collector on loopback: it keeps what is posted to it
        var posted = new ConcurrentQueue<(string Path, byte[] Body)>();
        var collectorBuilder = WebApplication.CreateSlimBuilder();
        collectorBuilder.WebHost.UseUrls("http://127.0.0.1:0");
        collectorBuilder.Logging.ClearProviders();
        await using var collector = collectorBuilder.Build();
        collector.Run(async context =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            posted.Enqueue((context.Request.Path.Value ?? "", body.ToArray()));
            context.Response.StatusCode = 200;
        });
        await collector.StartAsync();
        var url = collector.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();

        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new(StreamerMetricsExtensions.OtlpEndpointKey, url), new(StreamerMetricsExtensions.OtlpProtocolKey, "http")]).Build();
        await using var provider = new ServiceCollection().AddLogging().AddStreamerMetrics(configuration).BuildServiceProvider();
        var meterProvider = provider.GetRequiredService<OpenTelemetry.Metrics.MeterProvider>();
        using var meter = new System.Diagnostics.Metrics.Meter(StreamerMetricNames.Meter);
        meter.CreateObservableCounter(StreamerMetricNames.TicksIn, () => 12345L, "{tick}");
        // exports now (its answer is false here: the Prometheus reader beside it has nothing to push)
        OpenTelemetry.Metrics.MeterProviderExtensions.ForceFlush(meterProvider, 10_000);
        await Waits.UntilAsync(() => !posted.IsEmpty, "an OTLP export posted to the collector", Wait);

        // protobuf carries the instrument's name as its UTF-8 bytes
        var otlp = posted.Where(p => p.Path == "/v1/metrics").ToList();
        Assert.NotEmpty(otlp);
        Assert.Contains(otlp, p => p.Body.AsSpan().IndexOf(Encoding.UTF8.GetBytes(StreamerMetricNames.TicksIn)) >= 0);
    }

    /// <summary>A test-only Kestrel host on 127.0.0.1, port 0, serving what the dashboard will: <c>/metrics</c>.</summary>
    private sealed class MetricsWebHost : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly HttpClient _http;

        private MetricsWebHost(WebApplication app, Uri address)
        {
            _app = app;
            _http = new HttpClient { BaseAddress = address, Timeout = Wait };
        }

        public static async Task<MetricsWebHost> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            builder.Services.AddStreamerMetrics(builder.Configuration);
            var app = builder.Build();
            app.MapStreamerMetrics();
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
            return new MetricsWebHost(app, new Uri(address));
        }

        public async Task<PrometheusText> ScrapeAsync()
        {
            using var response = await _http.GetAsync(new Uri(StreamerMetricsExtensions.DefaultPath, UriKind.Relative));
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
            Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
            return new PrometheusText(await response.Content.ReadAsStringAsync());
        }

        public async ValueTask DisposeAsync()
        {
            _http.Dispose();
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
