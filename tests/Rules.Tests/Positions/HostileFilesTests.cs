using System.Diagnostics;
using System.Text;
using Streamer.Rules.Books;
using Streamer.Rules.Positions;

namespace Streamer.Rules.Tests.Positions;

/// <summary>Positions and books files built to exhaust the reader: each is refused naming the limit it hit, quickly and in bounded memory.</summary>
public sealed class HostileFilesTests
{
    [Fact]
    public void A_YAML_alias_bomb_is_refused_naming_the_alias_limit()
    {
        // nine levels of nine aliases: 387 million nodes if expanded
        var yaml = new StringBuilder("a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
        for (int i = 1; i <= 9; i++)
            yaml.Append(System.Globalization.CultureInfo.InvariantCulture, $"a{i}: &a{i} [{string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 9))}]\n");
        yaml.Append("positions: *a9\n");
        long before = GC.GetTotalAllocatedBytes();
        var watch = Stopwatch.StartNew();
        var e = Assert.Throws<ConfigException>(() => PositionsFile.Parse(yaml.ToString(), "bomb.yaml"));
        Assert.Contains("aliases expand to more than 100,000 nodes", e.Message, StringComparison.Ordinal);
        Assert.True(GC.GetTotalAllocatedBytes() - before < 512L * 1024 * 1024, $"{(GC.GetTotalAllocatedBytes() - before) / 1e6:F0} MB allocated");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), watch.Elapsed.ToString()); // a bound against hanging, not a speed target
    }

    [Fact]
    public void A_few_aliases_as_people_write_them_still_work()
    {
        const string yaml = """
            books:
              base: &base
                rules:
                  underlying_stop: {}
              copy: *base
            """;
        var books = BookSet.Parse(yaml, "books.yaml");
        Assert.NotNull(books.Get("copy"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Nesting_ten_thousand_deep_is_refused_not_a_stack_overflow(bool yaml)
    {
        string text = yaml ? "positions: " + new string('[', 10_000) + new string(']', 10_000) : "{\"positions\": " + new string('[', 10_000) + new string(']', 10_000) + "}";
        var e = Assert.Throws<ConfigException>(() => PositionsFile.Parse(text, "deep"));
        Assert.Contains(yaml ? "nested deeper than 64 levels" : "depth", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Positions_null_reads_as_no_positions()
    {
        Assert.Empty(PositionsFile.Parse("""{"positions": null}""", "p.json"));
        Assert.Empty(PositionsFile.Parse("positions:\n", "p.yaml"));
    }
}
