using System.Diagnostics.Metrics;
using Streamer.Stream.Contracts;

namespace Streamer.Stream.Alpaca.Trading;

/// <summary>
/// The executor's instruments in the <c>Streamer</c> meter (docs/metrics.md): exits by outcome
/// (<c>filled</c>, <c>failed</c>: given up) and those still working, read from the executor's own
/// counts when a listener collects, the numbers of the heartbeat's <c>alpaca_trading</c>.
/// </summary>
internal static class ExecutorMetrics
{
    public static void Register(Meter meter, ExitExecutor executor) =>
        Register(meter, () => executor.OrdersFilled, () => executor.OrdersFailed, () => executor.Working);

    /// <summary>The same instruments over any three counts (the scrape test checks their exposed names with it).</summary>
    internal static void Register(Meter meter, Func<long> filled, Func<long> failed, Func<int> working)
    {
        meter.CreateObservableCounter(StreamerMetricNames.ExecutorOrders, () => Orders(filled(), failed()), "{order}",
            "exits the executor closed at the broker (filled) or gave up on (failed)");
        meter.CreateObservableUpDownCounter(StreamerMetricNames.ExecutorOrdersWorking, working, "{order}",
            "exits whose closing orders are not done");
    }

    private static Measurement<long>[] Orders(long filled, long failed) =>
    [
        new(filled, new KeyValuePair<string, object?>(StreamerMetricNames.StatusTag, "filled")),
        new(failed, new KeyValuePair<string, object?>(StreamerMetricNames.StatusTag, "failed")),
    ];
}
