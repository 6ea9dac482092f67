using System.Text;
using Streamer.Rules.Instruments;

namespace Streamer.Rules.Tests.Instruments;

public class SymbolTableTests
{
    [Fact]
    public void Interns_once_and_looks_up_by_utf8_bytes()
    {
        var table = new SymbolTable();
        int meta = table.Intern("META");
        Assert.NotEqual(0, meta);
        Assert.Equal(meta, table.Intern("META"));
        Assert.Equal(meta, table.Lookup("META"u8));
        Assert.Equal(0, table.Lookup("MSFT"u8));
        Assert.Equal("META", table[meta]);
        Assert.False(table.IsOption(meta));
        Assert.Equal(meta, table.UnderlyingOf(meta));
    }

    [Fact]
    public void Option_symbols_know_their_underlying()
    {
        var table = new SymbolTable();
        int call = table.Intern("META260220C00720000");
        int meta = table.Lookup("META");
        Assert.NotEqual(0, meta);
        Assert.Equal(meta, table.UnderlyingOf(call));
        Assert.Equal(720.0, table.Option(call)!.Value.Strike);
    }

    [Fact]
    public void Survives_growth_with_every_id_still_found()
    {
        var table = new SymbolTable();
        var ids = new Dictionary<string, int>();
        for (int i = 0; i < 5000; i++)
        {
            var s = $"S{i}";
            ids[s] = table.Intern(s);
        }
        Assert.Equal(5000, ids.Values.Distinct().Count());
        foreach (var (s, id) in ids)
            Assert.Equal(id, table.Lookup(Encoding.UTF8.GetBytes(s)));
    }

    [Fact]
    public async Task Concurrent_readers_never_see_a_wrong_id()
    {
        var table = new SymbolTable();
        int spy = table.Intern("SPY");
        using var stop = new CancellationTokenSource();
        var reader = Task.Run(() =>
        {
            int misses = 0;
            while (!stop.IsCancellationRequested)
                if (table.Lookup("SPY"u8) != spy) misses++;
            return misses;
        });
        for (int i = 0; i < 20000; i++) table.Intern($"X{i}");
        stop.Cancel();
        Assert.Equal(0, await reader);
    }

    [Fact]
    public async Task Readers_racing_the_writer_find_every_symbol_already_counted_with_its_own_text()
    {
        // ids are dense and handed out in order, so X{i} gets first + i; once Count covers an id,
        // its symbol must be found (the count is published after the bucket), under that id, with its text
        var table = new SymbolTable();
        int first = table.Intern("X0");
        const int n = 60_000;
        using var stop = new CancellationTokenSource();
        using var started = new CountdownEvent(2);
        var readers = Enumerable.Range(0, 2).Select(seed => Task.Factory.StartNew(() =>
        {
            started.Signal();
            var rng = new Random(seed);
            var buf = new byte[16];
            long checks = 0;
            string? wrong = null;
            while (!stop.IsCancellationRequested && wrong is null)
            {
                int known = table.Count - first + 1;           // X0..X{known-1} are in
                int i = rng.Next(Math.Max(1, known + 50));      // sometimes ahead of the writer
                int len = Encoding.UTF8.GetBytes($"X{i}", buf);
                int id = table.Lookup(buf.AsSpan(0, len));
                if (i < known && id != first + i) wrong = $"X{i} counted but looked up as {id}";
                else if (id != 0 && id != first + i) wrong = $"X{i} looked up as {id}, not {first + i}";
                else if (id != 0 && table[id] != $"X{i}") wrong = $"id {id} reads as {table[id]}, not X{i}";
                checks++;
            }
            return (checks, wrong);
        }, TaskCreationOptions.LongRunning)).ToArray();
        Assert.True(started.Wait(TimeSpan.FromSeconds(30)), "the readers never started");
        for (int i = 1; i < n; i++) Assert.Equal(first + i, table.Intern($"X{i}"));
        stop.Cancel();
        foreach (var r in await Task.WhenAll(readers))
        {
            Assert.Null(r.wrong);
            Assert.True(r.checks > 0);
        }
    }

    [Fact]
    public void A_wide_option_chain_interns_each_contract_and_root_once()
    {
        // the 100k-position tape's shape: thousands of roots, many contracts each, interned on first sight
        var table = new SymbolTable();
        var ids = new HashSet<int>();
        for (int root = 0; root < 400; root++)
        {
            string r = "R" + (char)('A' + root / 26 % 26) + (char)('A' + root % 26);
            for (int k = 0; k < 250; k++)
            {
                string occ = $"{r}260220{(k % 2 == 0 ? 'C' : 'P')}{100_000 + k * 500:D8}";
                int id = table.Intern(occ);
                Assert.True(ids.Add(id), $"{occ} reused id {id}");
                Assert.Equal(table.Lookup(r), table.UnderlyingOf(id));
            }
        }
        Assert.Equal(400 * 250 + 400, table.Count);
        Assert.Equal(table.Count, ids.Count + 400);
    }
}
