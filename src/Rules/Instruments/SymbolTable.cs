using System.Runtime.CompilerServices;
using System.Text;

namespace Streamer.Rules.Instruments;

/// <summary>
/// Interns symbols to dense integer ids once, so the tick path compares ints, not strings.
/// Lookups by UTF-8 bytes (straight from a network or file buffer) allocate nothing.
/// Adding is locked (cold: a new symbol); reading is lock-free. An add writes the entry first
/// and then its bucket slot (volatile), so a reader that finds an id also finds its entry; a
/// rehash builds a new bucket array and swaps it in whole. Adds into the live table keep a first
/// pass over a wide tape linear: copying the buckets per new symbol made it O(n²).
/// Id 0 is never handed out: a default <see cref="Market.Tick"/> names no symbol.
/// </summary>
public sealed class SymbolTable
{
    private readonly Lock _gate = new();
    private volatile Entry[] _entries = new Entry[16];   // index = id
    private volatile int[] _buckets = new int[64];        // open addressing over ids, 0 = empty
    private int _count;                                   // ids in use, excluding 0

    private sealed record Entry(string Text, byte[] Utf8, int Hash, OccSymbol? Option, int UnderlyingId);

    public int Count => Volatile.Read(ref _count);

    /// <summary>Returns the id of <paramref name="symbol"/>, adding it when new. Option symbols also intern their root.</summary>
    public int Intern(string symbol)
    {
        ArgumentException.ThrowIfNullOrEmpty(symbol);
        var bytes = Encoding.UTF8.GetBytes(symbol);
        int id = Find(bytes, Hash(bytes));
        return id != 0 ? id : Add(symbol, bytes);
    }

    /// <summary>Id for UTF-8 bytes, or 0 when unknown. Allocates nothing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Lookup(ReadOnlySpan<byte> utf8) => Find(utf8, Hash(utf8));

    /// <summary>Id for a string, or 0 when unknown.</summary>
    public int Lookup(string symbol) => Lookup(Encoding.UTF8.GetBytes(symbol));

    /// <summary>Like <see cref="Lookup(ReadOnlySpan{byte})"/>, but interns an unknown symbol (cold path, allocates once).</summary>
    public int LookupOrIntern(ReadOnlySpan<byte> utf8)
    {
        int id = Lookup(utf8);
        return id != 0 ? id : Intern(Encoding.UTF8.GetString(utf8));
    }

    public string this[int id] => _entries[id].Text;

    public ReadOnlySpan<byte> Utf8(int id) => _entries[id].Utf8;

    public bool IsOption(int id) => _entries[id].Option is not null;

    /// <summary>The parsed OCC symbol, or null for a stock.</summary>
    public OccSymbol? Option(int id) => _entries[id].Option;

    /// <summary>The underlying's id: itself for a stock, the root's id for an option.</summary>
    public int UnderlyingOf(int id) => _entries[id].UnderlyingId;

    private int Add(string symbol, byte[] bytes)
    {
        lock (_gate)
        {
            int hash = Hash(bytes);
            int existing = Find(bytes, hash);
            if (existing != 0) return existing;

            OccSymbol? option = null;
            int underlying = 0;
            if (OccSymbol.LooksLikeOption(symbol))
            {
                option = OccSymbol.Parse(symbol);
                underlying = Intern(option.Value.Root); // re-entrant lock: same thread
            }

            int id = _count + 1;
            var entries = _entries;
            if (id >= entries.Length)
            {
                Array.Resize(ref entries, entries.Length * 2); // geometric: amortized O(1) per add
            }
            entries[id] = new Entry(symbol, bytes, hash, option, underlying == 0 ? id : underlying);
            _entries = entries; // published before any bucket names the id

            var buckets = _buckets;
            if ((id + 1) * 2 > buckets.Length)
            {
                _buckets = Rehash(entries, id, buckets.Length * 2);
            }
            else
            {
                // A free slot in the live table: the entry is already visible, so a reader that
                // sees the id also finds its entry. Copying the table per add made a first pass O(n^2).
                Place(buckets, hash, id);
            }
            Volatile.Write(ref _count, id);
            return id;
        }
    }

    private static int[] Rehash(Entry[] entries, int maxId, int size)
    {
        var buckets = new int[size];
        for (int i = 1; i <= maxId; i++) Place(buckets, entries[i].Hash, i);
        return buckets;
    }

    private static void Place(int[] buckets, int hash, int id)
    {
        int mask = buckets.Length - 1;
        int slot = hash & mask;
        while (buckets[slot] != 0) slot = (slot + 1) & mask;
        Volatile.Write(ref buckets[slot], id);
    }

    private int Find(ReadOnlySpan<byte> utf8, int hash)
    {
        var buckets = _buckets;
        int mask = buckets.Length - 1;
        int slot = hash & mask;
        while (true)
        {
            int id = Volatile.Read(ref buckets[slot]);
            if (id == 0) return 0;
            var entries = _entries; // read after the id: holds its entry (published first)
            if (id < entries.Length)
            {
                var e = entries[id];
                if (e is not null && e.Hash == hash && utf8.SequenceEqual(e.Utf8)) return id;
            }
            slot = (slot + 1) & mask;
        }
    }

    // FNV-1a: symbols are short, this is cheap and stable across runs (determinism).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Hash(ReadOnlySpan<byte> s)
    {
        uint h = 2166136261;
        foreach (var b in s) h = (h ^ b) * 16777619;
        return (int)(h & 0x7fffffff);
    }
}
