namespace Streamer.Stream.Service.Gateway;

/// <summary>
/// The gateway's reference count of demand (docs/cluster.md "Feed gateway"): one lease per (engine,
/// underlying) holding that engine's symbols on it, each symbol counted once per lease that holds it.
/// The upstream set is every symbol some live lease holds, plus those whose last lease went less than
/// the grace ago (an engine replacing a position, or a partition moving between engines, does not
/// bounce the upstream subscription). Not thread-safe: the gateway calls it under its lock.
/// </summary>
internal sealed class DemandTable(TimeSpan grace)
{
    private readonly Dictionary<(string Engine, string Underlying), Lease> _leases = [];
    private readonly Dictionary<string, int> _holders = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _leaving = new(StringComparer.Ordinal); // no holder since; unsubscribed at the value
    private readonly HashSet<string> _upstream = new(StringComparer.Ordinal);
    private readonly long _graceMs = (long)grace.TotalMilliseconds;

    private sealed record Lease(string[] Symbols, long ExpiresMs);

    /// <summary>Symbols subscribed upstream (held, or in their grace).</summary>
    public IReadOnlyCollection<string> Upstream => _upstream;

    /// <summary>Engines with at least one live lease.</summary>
    public int Engines => _leases.Keys.Select(k => k.Engine).Distinct(StringComparer.Ordinal).Count();

    /// <summary>How many leases hold <paramref name="symbol"/> (0 when none, also in its grace).</summary>
    public int HoldersOf(string symbol) => _holders.GetValueOrDefault(symbol);

    /// <summary>Applies one engine's message; returns the symbols that must be subscribed upstream now.</summary>
    public List<string> Apply(DemandMessage demand, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(demand);
        var added = new List<string>();
        long expires = nowMs + demand.LeaseMs;
        foreach (var (underlying, symbols) in demand.Underlyings)
        {
            var key = (demand.Engine, underlying);
            _leases.TryGetValue(key, out var old);
            // hold the new set before releasing the old one: a symbol in both never reaches 0
            foreach (var s in symbols) Hold(s, added);
            if (old is not null) foreach (var s in old.Symbols) Release(s, nowMs);
            if (symbols.Length == 0) _leases.Remove(key);
            else _leases[key] = new Lease(symbols, expires);
        }
        if (demand.Full)
        {
            foreach (var key in _leases.Keys.Where(k => k.Engine == demand.Engine && !demand.Underlyings.ContainsKey(k.Underlying)).ToList())
                Drop(key, nowMs);
        }
        return added;
    }

    /// <summary>Expires leases not renewed in time; returns the symbols whose grace has passed (to unsubscribe upstream).</summary>
    public List<string> Expire(long nowMs, List<(string Engine, string Underlying)>? expired = null)
    {
        foreach (var (key, lease) in _leases.Where(p => p.Value.ExpiresMs <= nowMs).ToList())
        {
            expired?.Add(key);
            Drop(key, nowMs);
        }
        var gone = new List<string>();
        foreach (var (symbol, due) in _leaving)
            if (due <= nowMs) gone.Add(symbol);
        foreach (var s in gone)
        {
            _leaving.Remove(s);
            _upstream.Remove(s);
        }
        return gone;
    }

    private void Drop((string Engine, string Underlying) key, long nowMs)
    {
        if (!_leases.Remove(key, out var lease)) return;
        foreach (var s in lease.Symbols) Release(s, nowMs);
    }

    private void Hold(string symbol, List<string> added)
    {
        _holders[symbol] = _holders.GetValueOrDefault(symbol) + 1;
        _leaving.Remove(symbol);
        if (_upstream.Add(symbol)) added.Add(symbol);
    }

    private void Release(string symbol, long nowMs)
    {
        int n = _holders.GetValueOrDefault(symbol) - 1;
        if (n > 0)
        {
            _holders[symbol] = n;
            return;
        }
        _holders.Remove(symbol);
        _leaving[symbol] = nowMs + _graceMs;
    }
}
