namespace Streamer.Stream.Tests.Metrics;

/// <summary>
/// The exporter subscribes to the <c>Streamer</c> meter by name, in every host of the process (as
/// OpenTelemetry does): a service another test runs at the same time would add its ticks and exits
/// to the scrape. These tests run alone.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MetricsCollection
{
    public const string Name = "metrics";
}
