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
}
