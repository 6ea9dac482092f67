namespace Streamer.Rules.Engine;

/// <summary>
/// Receives exit decisions. Implemented by a struct so the engine's generic calls are
/// specialised and inlined (no interface dispatch, no boxing). The decision's legs live in a
/// buffer the engine reuses: copy what you keep before returning.
/// </summary>
public interface IExitSink
{
    void OnExit(in ExitDecision exit);
}
