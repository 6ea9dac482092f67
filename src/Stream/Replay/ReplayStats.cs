using Streamer.Rules.Books;
using Streamer.Rules.Diagnostics;
using Streamer.Rules.Engine;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;
using Streamer.Rules.Positions;

namespace Streamer.Stream.Replay;

public sealed record ReplayStats(
    long Ticks, int Exits, double ElapsedMs, double TicksPerSecond,
    long InsaneQuotes, long OutOfOrder, long IvFailures, long Deferred,
    long TickP50Ns, long TickP99Ns, long TickP999Ns, long TickMaxNs,
    int Positions, int Symbols);
