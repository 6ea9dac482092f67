using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using Streamer.Stream.Contracts;

namespace Streamer.Stream.Metrics;

/// <summary>
/// What a web host calls to export the <c>Streamer</c> meter (docs/metrics.md): the dashboard of
/// <c>streamer run</c> registers the exporters with <see cref="AddStreamerMetrics"/> and serves
/// Prometheus text with <see cref="MapStreamerMetrics"/>. The instruments themselves are the
/// service's (they exist whether or not anything exports them); this only subscribes to the meter.
/// </summary>
public static class StreamerMetricsExtensions
{
    /// <summary>The setting that turns on OTLP export (an http(s) URL of a collector); unset: Prometheus only.</summary>
    public const string OtlpEndpointKey = "Metrics:OtlpEndpoint";

    /// <summary>OTLP's transport: <c>grpc</c> (default) or <c>http</c> (protobuf over HTTP).</summary>
    public const string OtlpProtocolKey = "Metrics:OtlpProtocol";

    private static readonly string[] Known = ["OtlpEndpoint", "OtlpProtocol"];

    /// <summary>Where <see cref="MapStreamerMetrics"/> serves the scrape unless told otherwise.</summary>
    public const string DefaultPath = "/metrics";

    /// <summary>
    /// Registers the OpenTelemetry meter provider: the <c>Streamer</c> meter, the Prometheus exporter
    /// (scraped through <see cref="MapStreamerMetrics"/>), and OTLP when <c>Metrics:OtlpEndpoint</c> is set
    /// (protocol <c>Metrics:OtlpProtocol</c>: <c>grpc</c>, the default, or <c>http</c>; OTLP's own
    /// 60 s export interval, or <c>OTEL_METRIC_EXPORT_INTERVAL</c> in ms). Throws
    /// <see cref="SettingsException"/> naming the key when a value is not usable.
    /// </summary>
    public static IServiceCollection AddStreamerMetrics(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        // as every section of streamer run: a misspelt key is an error naming it, not a silent default
        foreach (var child in configuration.GetSection("Metrics").GetChildren())
            if (!Known.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
                throw new SettingsException($"unknown setting Metrics:{child.Key} (known in Metrics: {string.Join(", ", Known)})");
        var otlp = OtlpEndpoint(configuration);
        var protocol = OtlpProtocol(configuration);
        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("streamer"))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(StreamerMetricNames.Meter);
                // every scrape reads the counters now: the exporter's default 300 ms cache would hand a
                // dashboard polling faster than that the previous answer
                metrics.AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0);
                if (otlp is not null)
                    metrics.AddOtlpExporter(o =>
                    {
                        // a collector's base address: OTLP/HTTP posts metrics to /v1/metrics under it (an endpoint
                        // set in code is used as given, so the path is added here); gRPC takes the address alone
                        o.Endpoint = protocol == OpenTelemetry.Exporter.OtlpExportProtocol.HttpProtobuf && otlp.AbsolutePath == "/" ? new Uri(otlp, "v1/metrics") : otlp;
                        o.Protocol = protocol;
                    });
            });
        return services;
    }

    /// <summary>
    /// Serves the Prometheus text format at <paramref name="path"/> (default <c>/metrics</c>).
    /// <paramref name="meterProvider"/>: the provider <see cref="AddStreamerMetrics"/> registered in
    /// another container (a web host beside the service's); null: this host's own.
    /// </summary>
    public static IEndpointConventionBuilder MapStreamerMetrics(this IEndpointRouteBuilder endpoints, string path = DefaultPath, MeterProvider? meterProvider = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        return endpoints.MapPrometheusScrapingEndpoint(path, meterProvider, configureBranchedPipeline: null, optionsName: null);
    }

    private static Uri? OtlpEndpoint(IConfiguration configuration)
    {
        var value = configuration[OtlpEndpointKey];
        if (string.IsNullOrWhiteSpace(value)) return null;
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            throw new SettingsException($"{OtlpEndpointKey}: '{value}' is not an http(s) URL of an OTLP collector (e.g. http://127.0.0.1:4317)");
        return uri;
    }

    private static OpenTelemetry.Exporter.OtlpExportProtocol OtlpProtocol(IConfiguration configuration)
    {
        var value = configuration[OtlpProtocolKey];
        if (string.IsNullOrWhiteSpace(value) || value.Equals("grpc", StringComparison.OrdinalIgnoreCase)) return OpenTelemetry.Exporter.OtlpExportProtocol.Grpc;
        if (value.Equals("http", StringComparison.OrdinalIgnoreCase)) return OpenTelemetry.Exporter.OtlpExportProtocol.HttpProtobuf;
        throw new SettingsException($"{OtlpProtocolKey}: '{value}' is not grpc or http");
    }
}
