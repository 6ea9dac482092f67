using System.Text;
using Streamer.Stream.Journal;
using Streamer.Stream.Pipeline;
namespace Streamer.Stream.Tests.Journal;

internal static class JournalTestData
{
    public static byte[] Payload(string id, string underlying = "SPY") =>
        Encoding.UTF8.GetBytes($$"""{"id":"{{id}}","position_id":"{{id[..id.LastIndexOf(':')]}}","underlying":"{{underlying}}","rule":"scale_out"}""");

    public static PendingExit Exit(string position, long seq, string underlying = "SPY", long decidedAt = 1_000, int tranches = 0, string? state = null, bool closes = false) =>
        new($"{position}:{seq}", position, seq, "streamer.exits." + underlying, Payload($"{position}:{seq}", underlying), decidedAt + seq, tranches, state, closes);
}
