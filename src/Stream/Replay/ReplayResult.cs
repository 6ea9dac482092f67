using Streamer.Rules.Books;
using Streamer.Rules.Diagnostics;
using Streamer.Rules.Engine;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;
using Streamer.Rules.Positions;

namespace Streamer.Stream.Replay;

public sealed record ReplayResult(IReadOnlyList<ExitRecord> Exits, IReadOnlyList<ReplayPositionResult> Positions, ReplayStats Stats);
