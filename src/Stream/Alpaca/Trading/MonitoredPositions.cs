using System.Globalization;
using System.Text;
using System.Text.Json;
using Streamer.Stream.Journal;
using Streamer.Stream.Service;
namespace Streamer.Stream.Alpaca.Trading;

/// <summary>
/// What the engine monitors, as the trading side needs it: every open position's legs (read on the
/// shard threads, <c>ExitEngine.OpenLegs</c>), fresh ids and definitions for adopted positions.
/// </summary>
internal sealed class MonitoredPositions(LivePipelineService pipeline, PositionStore positions)
{
    /// <summary>The feed's "now" (UTC ns), else the wall clock: the time of fills reconciliation makes up, on the clock the shards run on.</summary>
    public long FeedNowNs(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        long feed = pipeline.FeedNowNs;
        return feed != long.MinValue ? feed : Streamer.Rules.Time.NanoTime.FromDateTime(time.GetUtcNow().UtcDateTime);
    }

    /// <summary>Every monitored position's legs with a non-zero quantity; null when the pipeline is stopping.</summary>
    public async Task<IReadOnlyList<MonitoredLeg>?> LegsAsync()
    {
        if (pipeline.Pipeline.IsStopped) return null;
        try
        {
            var perShard = await pipeline.Pipeline.QueryAsync(static engine =>
            {
                var list = new List<MonitoredLeg>();
                foreach (var id in engine.PositionIds)
                {
                    list.Add(new MonitoredLeg(id, "", 0, 0)); // known to the engine (a closed one holds nothing)
                    if (engine.OpenLegs(id) is not { } legs) continue;
                    var pending = engine.PendingFillQty(id);
                    for (int i = 0; i < legs.Count; i++)
                    {
                        var (symbol, qty, entry) = legs[i];
                        if (qty != 0) list.Add(new MonitoredLeg(id, symbol, qty, entry, pending is null ? 0 : pending[i], legs.Count));
                    }
                }
                return list;
            }).ConfigureAwait(false);
            var open = positions.OpenPositionIds(); // the engine may still hold a position the journal closed a moment ago
            var all = perShard.SelectMany(l => l).ToList();
            var known = all.Select(l => l.PositionId).ToHashSet(StringComparer.Ordinal);
            var legs = all.Where(l => l.Qty != 0 && open.Contains(l.PositionId)).ToList();
            // journaled open but not in the engine yet (its opened_at ahead of the feed's clock, as after a restart before
            // the first tick): it holds what its definition says, or reconciliation would adopt its legs a second time
            foreach (var p in positions.LoadOpenPositions())
                if (!known.Contains(p.Id)) legs.AddRange(DefinitionLegs(p.Id, p.DefinitionJson, p.StateJson));
            return legs;
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException or OperationCanceledException)
        {
            return null; // stopped meanwhile
        }
    }

    /// <summary>The definition's legs (ratio × original units), scaled to the journaled state's remaining units when there is one.</summary>
    private static IEnumerable<MonitoredLeg> DefinitionLegs(string id, string definitionJson, string? stateJson)
    {
        long original = 0, remaining = 0;
        if (stateJson is not null)
        {
            using var state = JsonDocument.Parse(stateJson);
            if (state.RootElement.TryGetProperty("contracts_original", out var o)) o.TryGetInt64(out original);
            if (state.RootElement.TryGetProperty("contracts_remaining", out var r)) r.TryGetInt64(out remaining);
        }
        using var doc = JsonDocument.Parse(definitionJson);
        if (!doc.RootElement.TryGetProperty("legs", out var legs) || legs.ValueKind != JsonValueKind.Array) return [];
        var list = new List<MonitoredLeg>();
        int count = legs.GetArrayLength();
        foreach (var l in legs.EnumerateArray())
            if (l.TryGetProperty("symbol", out var s) && s.GetString() is { } symbol && l.TryGetProperty("qty", out var q) && q.TryGetInt64(out long qty) && qty != 0
                && (original <= 0 || (qty = qty / original * remaining) != 0))
                list.Add(new MonitoredLeg(id, symbol, qty, l.TryGetProperty("entry_price", out var e) && e.TryGetDouble(out double entry) ? entry : 0, 0, count));
        return list;
    }

    /// <summary>The monitored position a fill on <paramref name="symbol"/> belongs to: one it reduces first, else one holding the symbol (lowest id).</summary>
    public static string? HolderOf(string symbol, decimal qty, IReadOnlyList<MonitoredLeg> legs)
    {
        ArgumentNullException.ThrowIfNull(legs);
        string? reduces = null, any = null;
        foreach (var l in legs.Where(l => l.Symbol == symbol).OrderBy(l => l.PositionId, StringComparer.Ordinal))
        {
            any ??= l.PositionId;
            if (reduces is null && Math.Sign(l.Qty) == -Math.Sign(qty)) reduces = l.PositionId;
        }
        return reduces ?? any;
    }

    /// <summary>A position id the journal has never held: <c>alpaca-&lt;name&gt;</c>, then <c>-2</c>, <c>-3</c>, …</summary>
    public string NewId(string name)
    {
        string stem = "alpaca-" + name;
        if (!positions.KnowsPosition(stem)) return stem;
        for (int n = 2; ; n++)
        {
            string id = string.Create(CultureInfo.InvariantCulture, $"{stem}-{n}");
            if (!positions.KnowsPosition(id)) return id;
        }
    }

    /// <summary>
    /// The positions-file JSON of an adopted position (formats.md). Without <c>opened_at</c>: the engine
    /// stamps it with its own clock (the feed's time) when the position joins; a wall-clock time ahead of
    /// the feed's would move a shard's clock past the ticks it is about to get.
    /// </summary>
    public static string Definition(string id, string book, IEnumerable<(string Symbol, long Qty, decimal EntryPrice)> legs)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("id"u8, id);
            w.WriteString("book"u8, book);
            w.WriteStartArray("legs"u8);
            foreach (var (symbol, qty, entry) in legs)
            {
                w.WriteStartObject();
                w.WriteString("symbol"u8, symbol);
                w.WriteNumber("qty"u8, qty);
                w.WriteNumber("entry_price"u8, entry);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
