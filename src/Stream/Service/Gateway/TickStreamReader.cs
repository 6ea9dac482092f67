using NATS.Client.JetStream.Models;
using Streamer.Rules.Instruments;
using Streamer.Rules.Market;
using Streamer.Stream.Contracts;
using Streamer.Stream.Nats;

namespace Streamer.Stream.Service.Gateway;

/// <summary>One tick read back from the gateway's tick stream: its stream sequence, the underlying's subject token, the tick (symbol resolved).</summary>
public readonly record struct KeptTick(ulong Sequence, string UnderlyingToken, Tick Tick);

/// <summary>What one read of the tick stream went through.</summary>
/// <param name="LastSequence">the last stream sequence read (the start's when nothing was): the next read starts after it.</param>
/// <param name="Ticks">ticks handed on.</param>
/// <param name="Foreign">records of symbols the reader's table does not know (another engine's), skipped.</param>
/// <param name="OtherUnderlyings">messages on subjects the filter refused, skipped.</param>
/// <param name="Malformed">payloads that are not tick records, skipped (the first error is in <paramref name="FirstError"/>).</param>
public readonly record struct TickStreamRead(ulong LastSequence, long Ticks, long Foreign, long OtherUnderlyings, long Malformed, string? FirstError);

/// <summary>
/// Reads the ticks the gateway kept in its JetStream stream (<c>Gateway:TickStream</c>, docs/cluster.md
/// "Durable ticks") after a stream sequence, in stream order: what an engine taking a partition over needs
/// to process the ticks its previous owner did not. The stream's sequence is the order every engine
/// agrees on, so a read that ends at sequence S and a later read after S see every tick once.
/// </summary>
/// <remarks>
/// A catch-up path, not the per-tick one: each message arrives as NATS.Net's own array. nats-server 2.9
/// takes one filter subject per consumer and a partition spans many underlyings, so the consumer reads
/// <c>streamer.ticks.&gt;</c> and <paramref name="keepUnderlying"/> filters here, on the subject's token.
/// </remarks>
public static class TickStreamReader
{
    /// <summary>
    /// Every tick on the stream after <paramref name="afterSequence"/> up to its last sequence as of the
    /// call, of the underlyings whose subject token (<see cref="NatsSubjects.Token"/>) <paramref name="keepUnderlying"/>
    /// accepts and whose symbol <paramref name="symbols"/> knows, to <paramref name="onTick"/> in stream order.
    /// Throws <see cref="JetStreamApiException"/> when the stream does not exist, <see cref="TimeoutException"/>
    /// when delivery stalls for <paramref name="idleTimeout"/>.
    /// </summary>
    public static async Task<TickStreamRead> ReadAfterAsync(JetStreamClient js, string stream, ulong afterSequence, Func<string, bool> keepUnderlying,
        SymbolTable symbols, Action<KeptTick> onTick, TimeSpan idleTimeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(js);
        ArgumentNullException.ThrowIfNull(keepUnderlying);
        ArgumentNullException.ThrowIfNull(symbols);
        ArgumentNullException.ThrowIfNull(onTick);
        var info = await js.GetStreamInfoAsync(stream, cancellationToken).ConfigureAwait(false)
            ?? throw new JetStreamApiException($"tick stream {stream} not found (is the gateway running with Gateway:TickStream={stream}?)");
        ulong last = afterSequence;
        long ticks = 0, foreign = 0, others = 0, malformed = 0;
        string? firstError = null;
        // nothing after the caller's point; or the ticks it asks for have aged out of the stream (say so: a gap is never silent)
        if (info.Messages == 0 || afterSequence >= info.LastSequence) return new TickStreamRead(last, 0, 0, 0, 0, null);
        if (afterSequence + 1 < info.FirstSequence)
            throw new JetStreamApiException($"tick stream {stream}: the ticks after sequence {afterSequence} are gone (the stream starts at {info.FirstSequence}: Gateway:TickStreamMaxAgeHours is shorter than the gap)");
        var consumer = await js.Context.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig
        {
            AckPolicy = ConsumerConfigAckPolicy.None,
            DeliverPolicy = ConsumerConfigDeliverPolicy.ByStartSequence,
            OptStartSeq = afterSequence + 1,
            InactiveThreshold = TimeSpan.FromSeconds(30),
        }, cancellationToken).ConfigureAwait(false);
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        idle.CancelAfter(idleTimeout);
        try
        {
            await foreach (var m in consumer.ConsumeAsync<byte[]>(cancellationToken: idle.Token).ConfigureAwait(false))
            {
                var meta = m.Metadata ?? throw new JetStreamApiException($"tick stream {stream}: a message without JetStream metadata");
                last = meta.Sequence.Stream;
                idle.CancelAfter(idleTimeout);
                string token = m.Subject.StartsWith(NatsSubjects.TicksPrefix, StringComparison.Ordinal) ? m.Subject[NatsSubjects.TicksPrefix.Length..] : "";
                if (token.Length == 0 || !keepUnderlying(token)) others++;
                else
                {
                    var data = m.Data ?? [];
                    int offset = 0;
                    try
                    {
                        while (offset < data.Length)
                        {
                            TickWire.Read(data, ref offset, out var tick, out var symbol);
                            int id = symbols.Lookup(symbol);
                            if (id == 0)
                            {
                                foreign++;
                                continue;
                            }
                            tick.SymbolId = id;
                            onTick(new KeptTick(last, token, tick));
                            ticks++;
                        }
                    }
                    catch (TickWireException e)
                    {
                        malformed++;
                        firstError ??= $"{m.Subject} (sequence {last}): {e.Message}";
                    }
                }
                if (last >= info.LastSequence || meta.NumPending == 0) break;
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"reading tick stream {stream}: delivery stalled after sequence {last}");
        }
        finally
        {
            try
            {
                await js.Context.DeleteConsumerAsync(stream, consumer.Info.Name, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is NATS.Client.Core.NatsException)
            {
                // an ephemeral consumer goes away by itself once inactive
            }
        }
        return new TickStreamRead(last, ticks, foreign, others, malformed, firstError);
    }
}
