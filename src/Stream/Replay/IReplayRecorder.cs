using Streamer.Rules.Engine;
using Streamer.Rules.Market;
using Streamer.Rules.Positions;

namespace Streamer.Stream.Replay;

/// <summary>
/// What a replay shows a recorder (<see cref="ReplaySession.Recorder"/>): every tick after the engine
/// has taken it, each position as it joins the engine, each exit as it fires, and the end of the tape.
/// The engine is passed for cold reads (state, triggers); a recorder must not drive it.
/// </summary>
public interface IReplayRecorder
{
    void OnPositionAdded(PositionSpec spec, ExitEngine engine);

    void OnTick(in Tick tick, ExitEngine engine);

    void OnExit(ExitRecord exit, ExitEngine engine);

    void OnEnd(ExitEngine engine);
}
