using System.Text.Json;
using Streamer.Rules.Engine;
using Streamer.Stream.Contracts;
namespace Streamer.Stream.Replay;

/// <summary>An exit copied out of the engine's reusable decision: its event JSON, log line and the fields the CSV needs.</summary>
public sealed record ExitRecord(
    string Id,
    string PositionId,
    string Underlying,
    string Rule,
    string Reason,
    long TimeNs,
    int ContractsClosed,
    int ContractsRemaining,
    int ContractsOriginal,
    double UnderlyingPrice,
    double Value,
    double Pnl,
    double PnlPct,
    double PctMaxProfit,
    PositionGreeks Greeks,
    string LogLine,
    byte[] Json)
{
    public static ExitRecord From(in ExitDecision d, bool measuredLatency)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer))
        {
            // replay is deterministic: the decision's wall-clock latency goes in only when asked for
            ExitEventJson.Write(w, d, measuredLatency ? null : 0);
        }
        return new ExitRecord(d.Id, d.PositionId, d.Underlying, d.RuleName, d.Reason, d.TimeNs,
            d.ContractsClosed, d.ContractsRemaining, d.ContractsOriginal, d.UnderlyingPrice, d.Value,
            d.Pnl, d.PnlPct, d.PctMaxProfit, d.Greeks, d.LogLine(), buffer.WrittenSpan.ToArray());
    }
}
