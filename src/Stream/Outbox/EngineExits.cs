using System.Buffers;
using System.Text.Json;
using Streamer.Rules.Engine;
using Streamer.Stream.Journal;
using Streamer.Stream.Nats;
using Streamer.Stream.Output;

namespace Streamer.Stream.Outbox;

/// <summary>From the engine's decision (valid only during <see cref="IExitSink.OnExit"/>) to what the outbox journals.</summary>
internal static class EngineExits
{
    /// <summary>
    /// Copies a decision: the exit event JSON (formats.md, <see cref="ExitEventJson"/>), the subject
    /// <c>streamer.exits.&lt;UNDERLYING&gt;</c>, the position's state after the exit, its fired
    /// scale-out tranches and whether it closes the position, so the journal writes them in one
    /// transaction. Allocates (a few hundred bytes per exit; exits are rare, ticks are not).
    /// </summary>
    public static PendingExit ToPendingExit(in ExitDecision d)
    {
        var buffer = new ArrayBufferWriter<byte>(768);
        using (var w = new Utf8JsonWriter(buffer)) ExitEventJson.Write(w, d);
        var state = d.StateAfter;
        return new PendingExit(
            d.Id,
            d.PositionId,
            d.Sequence,
            NatsSubjects.Exits(d.Underlying),
            buffer.WrittenSpan.ToArray(),
            d.TimeNs,
            state.TranchesFired,
            PositionStateJson.Write(state),
            d.ClosesPosition);
    }

    /// <summary>
    /// Before the first tick after a restart: gives each position the engine monitors its journaled
    /// state (what is open, tranches fired, trailing peak, next exit sequence), so no exit fires twice
    /// and none is skipped. Returns the ids of open journaled positions the engine does not monitor
    /// (an alert: positions that would otherwise silently be watched by nobody).
    /// </summary>
    public static IReadOnlyList<string> RestoreInto(ExitEngine engine, SqliteJournal journal)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(journal);
        foreach (var id in engine.PositionIds.ToList())
        {
            // by id, not via the positions table: a position loaded from a file has state but no row there
            if (!journal.TryLoadPositionState(id, out var json)) continue;
            var state = PositionStateJson.Parse(json, id);
            // the journal's exits are the authority on sequences
            var next = journal.NextExitSequence(id);
            if (next > state.NextSequence) state = state with { NextSequence = (int)next };
            engine.RestoreState(id, state);
        }
        var unknown = new List<string>();
        foreach (var p in journal.LoadOpenPositions())
            if (!engine.Contains(p.Id)) unknown.Add(p.Id);
        return unknown;
    }
}
