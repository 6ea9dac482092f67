using System.Diagnostics;
using System.Text.Json;
using Streamer.Rules.Time;
using Streamer.Stream.Nats;
using Streamer.Stream.Pipeline;

namespace Streamer.Stream.Journal.Outbox;

/// <summary>
/// The publish-first lane (<see cref="ExitDurability.PublishFirst"/>): an exit goes on the wire the
/// moment the dispatcher has it, before its journal commit, on the publisher's pinned connection.
/// The lane is open only while nothing is owed: the stream ensured, the connection live, no failure
/// since, and every exit that took the journal-first way (the lane was shut, or a restart's backlog)
/// acked. Otherwise an exit goes journal-first and the publisher loop sends it from the journal, in
/// order, so an exit never overtakes one decided before it. The loop finds each first-sent exit in
/// the journal, takes its pending ack into its window instead of sending it again, and marks it.
/// </summary>
public sealed partial class ExitOutbox
{
    private readonly Lock _laneGate = new();
    private bool _laneOpen;                       // under _laneGate
    private int _laneConnection;                  // under _laneGate: the publisher's connection when it opened the lane
    private readonly Dictionary<string, Task<PubAck>> _sentFirst = new(StringComparer.Ordinal); // under _laneGate: sent first, not yet in the publisher's window
    private readonly HashSet<string> _wentSlow = new(StringComparer.Ordinal);                  // under _laneGate: refused the lane, not yet acked
    private readonly Dictionary<string, long> _journaledThrough;                                // under _laneGate: highest journaled sequence per position (at start, and adopted)
    private bool _unjournaledAtStart;
    private long _firstCount;
    private long _slowCount;

    /// <summary>exits written to NATS before their journal commit.</summary>
    public long PublishedFirst => Interlocked.Read(ref _firstCount);

    /// <summary>exits that asked for the lane and went journal-first (it was shut: NATS away, an earlier exit unacked).</summary>
    public long FellBackToJournalFirst => Interlocked.Read(ref _slowCount);

    /// <summary>true while the lane is open: the next exit goes out before its journal commit.</summary>
    public bool LaneOpen
    {
        get { lock (_laneGate) return _laneOpen; }
    }

    /// <summary>diagnostics (latency harness): the exit and the Stopwatch timestamp right after it was written to the NATS client, on the caller's thread.</summary>
    public Action<PendingExit, long>? SentFirst { get; set; }

    /// <summary>
    /// Publish-first: writes the exit to NATS now, when the lane is open (its ack is awaited by the
    /// publisher loop, off the caller's thread), and says so. False means it was not sent: it goes
    /// journal-first (the caller journals it in any case, right after). An exit the journal already has
    /// (a tape read again decides the same ids) is never sent first: the journal answers for it.
    /// Called from the deciding shards (<c>Pipeline:PublishFrom = shard</c>) or the exit thread, each in its
    /// own decision order; the lane's lock and the pinned connection's write chain keep the calls in order.
    /// </summary>
    public bool TryPublishFirst(PendingExit exit)
    {
        ArgumentNullException.ThrowIfNull(exit);
        if (_options.Durability != ExitDurability.PublishFirst) return false;
        Task<PubAck> ack;
        lock (_laneGate)
        {
            // never the journal here: its lock may be held by a commit's fsync, which the publish must not wait for
            if (_journaledThrough.TryGetValue(exit.PositionId, out long through) && exit.Sequence <= through) return false;
            // behind its parked head (journal-first, in order); the lane stays open for every other position
            if (!_parked.IsEmpty && _parked.ContainsKey(exit.PositionId)) return false;
            if (!_laneOpen || _wentSlow.Count > 0)
            {
                _wentSlow.Add(exit.Id);
                _slowCount++;
                return false;
            }
            ack = _js.PublishOnAsync(_laneConnection, exit.Subject, exit.Payload, _options.AckTimeout, exit.Id, _stop.Token, exit.PositionStateJson);
            if (ack.IsFaulted)
            {
                // not sent (the connection is gone): shut the lane; the publisher resends it from the journal
                _ = ack.Exception;
                _laneOpen = false;
                _wentSlow.Add(exit.Id);
                _slowCount++;
                WakeLater();
                return false;
            }
            _sentFirst[exit.Id] = ack;
            _firstCount++;
        }
        SentFirst?.Invoke(exit, Stopwatch.GetTimestamp());
        return true;
    }

    /// <summary>the publisher read a journaled exit: its first-sent ack when it has a usable one (then it is not sent again).</summary>
    private Task<PubAck>? TakeSentFirst(string exitId)
    {
        lock (_laneGate)
        {
            if (!_sentFirst.Remove(exitId, out var ack)) return null;
            if (!ack.IsFaulted && !ack.IsCanceled) return ack;
            _ = ack.Exception; // lost: sent again from the journal, in order
            return null;
        }
    }

    /// <summary>an exit is on the stream (acked, in order): a journal-first one no longer holds the lane shut.</summary>
    private void Acked(string exitId)
    {
        lock (_laneGate) _wentSlow.Remove(exitId);
    }

    /// <summary>the journal answered for an exit without a row to publish (already decided, conflict): it owes nothing.</summary>
    private void Settled(string exitId)
    {
        lock (_laneGate)
        {
            _wentSlow.Remove(exitId);
            if (_sentFirst.Remove(exitId, out var ack)) _ = ack.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private void ShutLane()
    {
        lock (_laneGate) _laneOpen = false;
    }

    /// <summary>
    /// Opens the lane when nothing is owed: no failure since, the stream ready, the window holding no
    /// journal-first exit, everything committed read, no journal-first exit unacked, and no first-sent
    /// exit lost (it must go out again, from the journal, before anything newer).
    /// </summary>
    private void MaybeOpenLane(int connection)
    {
        lock (_laneGate)
        {
            if (_laneOpen && _laneConnection == connection) return;
            if (_wentSlow.Count > 0) return;
            foreach (var ack in _sentFirst.Values)
                if (ack.IsFaulted || ack.IsCanceled) return;
            _laneConnection = connection;
            _laneOpen = true;
        }
    }

    /// <summary>
    /// At start, before any evaluation: the exits on the stream after the last stream sequence this
    /// journal knows that belong to <paramref name="owns"/>'s positions and that the journal lacks (a
    /// publish-first run killed between publish and commit) are journaled as decided and published,
    /// with the position state they carried (<see cref="ExitStream.StateHeader"/>): tranches fired,
    /// contracts closed, closing. So the engine never decides them again and never reuses their ids.
    /// Returns what was adopted, in stream order. Throws when the stream cannot be read (NATS away):
    /// the caller waits and tries again, since evaluating before would risk a second decision.
    /// </summary>
    public Task<IReadOnlyList<PendingExit>> AdoptFromStreamAsync(Func<string, bool> owns, CancellationToken cancellationToken = default) =>
        AdoptFromStreamAsync(owns, rebuild: false, cancellationToken);

    /// <summary>
    /// As <see cref="AdoptFromStreamAsync(Func{string, bool}, CancellationToken)"/>; with
    /// <paramref name="rebuild"/> (a journal rebuilt from the stream) an exit without the state header
    /// (journal-first) gets the state its payload implies (contracts, realized P&amp;L, the next
    /// sequence; one scale-out tranche per scale_out exit, in order), and a position the journal never
    /// had that an adopted exit closed is journaled closed, so its id is never monitored or reused again.
    /// </summary>
    public async Task<IReadOnlyList<PendingExit>> AdoptFromStreamAsync(Func<string, bool> owns, bool rebuild, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(owns);
        ulong after = _journal.LastStreamSequence();
        await _js.EnsureStreamAsync(_options.Stream, cancellationToken).ConfigureAwait(false);
        var messages = await JetStreamReader.ReadAfterAsync(_js, _options.Stream.Name, null, after, TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
        var adopted = new List<PendingExit>();
        var acks = new List<(string, ulong)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var tranchesByPosition = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var m in messages)
        {
            if (!TryReadExit(m.Data, out var id, out var positionId, out long decidedAt)) continue;
            if (!seen.Add(id) || !owns(positionId) || _journal.FindExit(id) is not null) continue;
            int colon = id.LastIndexOf(':');
            if (colon <= 0 || !long.TryParse(id.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long sequence)) continue;
            var stateJson = m.Header(ExitStream.StateHeader);
            if (stateJson is null && rebuild) stateJson = StateFromPayload(m.Data, positionId, sequence, tranchesByPosition);
            int mask = 0;
            bool closes = false;
            if (stateJson is not null)
            {
                var state = PositionStateJson.Parse(stateJson, positionId);
                mask = state.TranchesFired;
                closes = state.ContractsRemaining == 0;
            }
            adopted.Add(new PendingExit(id, positionId, sequence, m.Subject, m.Data, decidedAt, mask, stateJson, closes));
            acks.Add((id, m.StreamSequence));
        }
        Volatile.Write(ref _unjournaledAtStart, false);
        if (adopted.Count > 0)
        {
            var outcomes = _journal.RecordExitsDecided(adopted);
            for (int i = 0; i < outcomes.Count; i++)
                if (outcomes[i].Conflict is { } conflict) throw conflict;
            _journal.MarkPublished(acks, _clock());
            if (rebuild)
                foreach (var e in adopted)
                    if (e.ClosesPosition) _journal.RecordClosedWithoutDefinition(e.PositionId, e.DecidedAtNs);
            lock (_laneGate)
            {
                foreach (var e in adopted)
                    if (!_journaledThrough.TryGetValue(e.PositionId, out long s) || s < e.Sequence) _journaledThrough[e.PositionId] = e.Sequence;
            }
        }
        return adopted;
    }

    /// <summary>
    /// True when the last run on this journal may have left exits on the stream only (it sent first
    /// and did not stop cleanly), until <see cref="AdoptFromStreamAsync"/> has run: the service then
    /// reads the stream before any evaluation, waiting for NATS if it must.
    /// </summary>
    public bool MayHaveUnjournaledExits => Volatile.Read(ref _unjournaledAtStart);

    /// <summary>
    /// At a clean stop, once nothing more will be decided (the dispatcher has drained): when every exit
    /// this run sent first is in the journal, the flag that makes the next start read the stream is
    /// cleared. An exit sent first that the journal never took (it kept failing) leaves it set. Never throws.
    /// </summary>
    public void MarkStoppedCleanly()
    {
        if (Volatile.Read(ref _unjournaledAtStart)) return; // the last run's are still owed
        try
        {
            lock (_laneGate)
            {
                _laneOpen = false; // nothing goes out first any more
                foreach (var id in _sentFirst.Keys)
                    if (_journal.FindExit(id) is null) return;
            }
            _journal.MayHaveStreamOnlyExits = false;
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or ObjectDisposedException)
        {
            // the flag stays: the next start reads the stream (a cost, never a loss)
        }
    }

    /// <summary>What a journal-first exit's payload says of its position's state after it (it carries no state header).</summary>
    private static string? StateFromPayload(byte[] json, string positionId, long sequence, Dictionary<string, int> tranches)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var r = doc.RootElement;
            int original = r.GetProperty("contracts_original").GetInt32();
            int remaining = r.GetProperty("contracts_remaining").GetInt32();
            double realized = r.TryGetProperty("realized_pnl", out var p) && p.ValueKind == JsonValueKind.Number ? p.GetDouble() : 0;
            tranches.TryGetValue(positionId, out int fired);
            if (r.TryGetProperty("rule", out var rule) && rule.GetString() == "scale_out") tranches[positionId] = ++fired;
            var state = new Streamer.Rules.Engine.PositionState(original, remaining, fired == 0 ? 0 : (1 << Math.Min(fired, 30)) - 1, false, double.NaN, (int)sequence + 1, realized);
            return PositionStateJson.Write(state);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return null; // an exit too old to say: adopted for its id and sequence alone
        }
    }

    private static bool TryReadExit(byte[] json, out string id, out string positionId, out long timeNs)
    {
        id = positionId = "";
        timeNs = 0;
        try
        {
            var r = new Utf8JsonReader(json);
            if (!r.Read() || r.TokenType != JsonTokenType.StartObject) return false;
            while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
            {
                if (r.ValueTextEquals("id"u8)) { r.Read(); id = r.GetString() ?? ""; }
                else if (r.ValueTextEquals("position_id"u8)) { r.Read(); positionId = r.GetString() ?? ""; }
                else if (r.ValueTextEquals("time"u8)) { r.Read(); if (r.TokenType == JsonTokenType.String) NanoTime.TryParseRfc3339(r.ValueSpan, out timeNs); }
                else { r.Read(); r.Skip(); }
            }
        }
        catch (JsonException)
        {
            return false;
        }
        return id.Length > 0 && positionId.Length > 0;
    }
}
