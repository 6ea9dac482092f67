using Streamer.Rules.Engine;

namespace Streamer.Stream.Outbox;

/// <summary>
/// The engine's exit sink for the live service: copies each decision (it is valid only during the
/// call) and hands it to the outbox through <see cref="ExitHandoff"/>. A struct, as the engine's
/// generic calls want.
/// </summary>
internal readonly struct OutboxExitSink(ExitHandoff handoff) : IExitSink
{
    public void OnExit(in ExitDecision exit) => handoff.Post(EngineExits.ToPendingExit(exit));
}
