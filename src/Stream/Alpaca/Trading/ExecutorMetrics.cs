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
    public static void Register(Meter meter, ExitExecutor executor)
    {
        meter.CreateObservableCounter(StreamerMetricNames.ExecutorOrders, () => Orders(executor), "{order}",
            "exits the executor closed at the broker (filled) or gave up on (failed)");
        meter.CreateObservableUpDownCounter(StreamerMetricNames.ExecutorOrdersWorking, () => executor.Working, "{order}",
            "exits whose closing orders are not done");
    }

    private static Measurement<long>[] Orders(ExitExecutor executor) =>
    [
        new(executor.OrdersFilled, new KeyValuePair<string, object?>(StreamerMetricNames.StatusTag, "filled")),
        new(executor.OrdersFailed, new KeyValuePair<string, object?>(StreamerMetricNames.StatusTag, "failed")),
    ];
}
