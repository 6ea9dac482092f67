using Streamer.Rules.Books;
using Streamer.Rules.Positions;
using Streamer.Rules.Time;

namespace Streamer.Rules.Tests.Positions;

public class PositionsFileTests
{
    // formats.md's example, verbatim
    private const string FormatsJson = """
        { "positions": [
          { "id": "META-1", "book": "day_trade", "opened_at": "2026-01-29T16:36:38Z",
            "underlying_entry": 720.93, "stop_underlying": 720.60, "target_underlying": 726.37,
            "legs": [ { "symbol": "META260220C00720000", "qty": 6, "entry_price": 17.15 } ],
            "overrides": { "trailing_stop": { "trail_pct": 0.10 } } },
          { "id": "SPY-PCS-1", "book": "primary", "opened_at": "2026-01-05T15:00:00Z",
            "legs": [ { "symbol": "SPY260220P00580000", "qty": -10, "entry_price": 2.10 },
                      { "symbol": "SPY260220P00575000", "qty": 10,  "entry_price": 0.90 } ] }
        ] }
        """;

    [Fact]
    public void Parses_the_formats_md_example()
    {
        var list = PositionsFile.Parse(FormatsJson, "positions.json");
        Assert.Equal(2, list.Count);
        var meta = list[0];
        Assert.Equal(("META-1", "day_trade", "META"), (meta.Id, meta.Book, meta.Underlying));
        Assert.Equal(NanoTime.ParseRfc3339("2026-01-29T16:36:38Z"), meta.OpenedAtNs);
        Assert.Equal((720.93, 720.60, 726.37), (meta.UnderlyingEntry, meta.StopUnderlying, meta.TargetUnderlying));
        Assert.Equal(new LegSpec("META260220C00720000", 6, 17.15), meta.Legs[0]);
        var p = meta.ApplyOverrides(BookSet.BuiltIn.Get("day_trade"));
        Assert.Equal(0.10, p.TrailPct);
        Assert.Equal(0.2, p.ActivateGainPct);
        var spy = list[1];
        Assert.Equal(-10, spy.Legs[0].Qty);
        Assert.True(double.IsNaN(spy.StopUnderlying));
        Assert.Equal("put_credit", StrategyNames.Of(spy.Legs));
    }

    [Fact]
    public void Yaml_and_json_give_the_same_positions()
    {
        const string yaml = """
            positions:
              - id: META-1
                book: day_trade
                opened_at: 2026-01-29T16:36:38Z
                underlying_entry: 720.93
                stop_underlying: 720.60
                target_underlying: 726.37
                legs:
                  - symbol: META260220C00720000
                    qty: 6
                    entry_price: 17.15
                overrides:
                  trailing_stop: { trail_pct: 0.10 }
              - id: SPY-PCS-1
                book: primary
                opened_at: "2026-01-05T15:00:00Z"
                legs:
                  - { symbol: SPY260220P00580000, qty: -10, entry_price: 2.10 }
                  - { symbol: SPY260220P00575000, qty: 10, entry_price: 0.90 }
            """;
        var a = PositionsFile.Parse(yaml, "p.yaml");
        var b = PositionsFile.Parse(FormatsJson, "p.json");
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(b[i].Id, a[i].Id);
            Assert.Equal(b[i].OpenedAtNs, a[i].OpenedAtNs);
            Assert.Equal(b[i].Legs, a[i].Legs);
            Assert.Equal(b[i].StopUnderlying, a[i].StopUnderlying);
        }
    }

    [Theory]
    [InlineData("positions:\n  - id: A\n    book: primary\n    legz: []\n", "line 4", "positions[0] 'A'.legz: unknown field")]
    [InlineData("positions:\n  - id: A\n    book: primary\n", "positions[0] 'A'.legs", "missing")]
    [InlineData("positions:\n  - id: A\n    book: primary\n    legs: []\n", "positions[0] 'A'.legs", "empty")]
    [InlineData("positions:\n  - book: primary\n    legs: []\n", "positions[0].id", "missing")]
    [InlineData("positions:\n  - id: A\n    legs: [ { symbol: SPY, qty: 1, entry_price: 1 } ]\n", "'A'.book", "missing")]
    [InlineData("positions:\n  - id: A\n    book: primary\n    legs: [ { symbol: SPY260220P00580000, qty: 0, entry_price: 1 } ]\n", "'A'.legs[0].qty", "must not be zero")]
    [InlineData("positions:\n  - id: A\n    book: primary\n    legs: [ { symbol: SPY260220P00580000, qty: 1.5, entry_price: 1 } ]\n", "'A'.legs[0].qty", "whole number")]
    [InlineData("positions:\n  - id: A\n    book: primary\n    legs: [ { symbol: SPY261320P00580000, qty: 1, entry_price: 1 } ]\n", "'A'.legs[0].symbol", "not a calendar date")]
    [InlineData("positions:\n  - id: A\n    book: primary\n    legs: [ { symbol: spy!, qty: 1, entry_price: 1 } ]\n", "'A'.legs[0].symbol", "neither an OCC option symbol")]
    [InlineData("positions:\n  - id: A\n    book: primary\n    legs:\n      - { symbol: SPY260220P00580000, qty: -1, entry_price: 1 }\n      - { symbol: QQQ260220P00500000, qty: 1, entry_price: 1 }\n", "'A'.legs[1].symbol", "all legs must be on one underlying")]
    [InlineData("positions:\n  - id: A\n    book: primary\n    legs: [ { symbol: SPY, qty: 1 } ]\n", "'A'.legs[0].entry_price", "missing")]
    [InlineData("positions:\n  - id: A\n    book: primary\n    legs: [ { symbol: SPY, qty: 1, entry_price: -2 } ]\n", "entry_price", "price ≥ 0")]
    [InlineData("positions:\n  - id: A\n    book: primary\n    opened_at: yesterday\n    legs: [ { symbol: SPY, qty: 1, entry_price: 1 } ]\n", "'A'.opened_at", "not an RFC 3339 time")]
    [InlineData("positions:\n  - id: A\n    book: primary\n    stop_underlying: -3\n    legs: [ { symbol: SPY, qty: 1, entry_price: 1 } ]\n", "'A'.stop_underlying", "positive price")]
    [InlineData("positions:\n  - id: A\n    book: primary\n    legs: [ { symbol: SPY, qty: 1, entry_price: 1 } ]\n    overrides: { delta_stop: { delta: 0.2 } }\n", "'A'.overrides.delta_stop.delta", "unknown parameter")]
    [InlineData("positions:\n  - id: A\n    book: primary\n    legs: [ { symbol: SPY, qty: 1, entry_price: 1 } ]\n  - id: A\n    book: primary\n    legs: [ { symbol: SPY, qty: 1, entry_price: 1 } ]\n", "positions[1] 'A'", "duplicate position id")]
    [InlineData("positions:\n  - id: A\n    book: primary\n    legs:\n      - { symbol: SPY, qty: 1, entry_price: 1 }\n      - { symbol: SPY, qty: 1, entry_price: 1 }\n", "'A'.legs[1].symbol", "appears twice")]
    [InlineData("{ \"positions\": [ { \"id\": \"A\", \"book\": \"primary\", \"legs\": [ { \"symbol\": \"SPY\", \"qty\": \"ten\", \"entry_price\": 1 } ] } ] }", "'A'.legs[0].qty", "got 'ten'")]
    public void Bad_positions_name_the_position_and_field(string text, string where, string what)
    {
        var ex = Assert.Throws<ConfigException>(() => PositionsFile.Parse(text, "pos.yaml"));
        Assert.StartsWith("pos.yaml: line ", ex.Message, StringComparison.Ordinal);
        Assert.Contains(where, ex.Message, StringComparison.Ordinal);
        Assert.Contains(what, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_errors_carry_the_line()
    {
        var ex = Assert.Throws<ConfigException>(() => PositionsFile.Parse("{\n \"positions\": [\n  { \"id\": \"A\", \"book\": \"primary\",\n    \"legs\": [\n      { \"symbol\": \"SPY\", \"qty\": 0, \"entry_price\": 1 } ] } ] }", "p.json"));
        Assert.Contains("p.json: line 5: positions[0] 'A'.legs[0].qty: must not be zero", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("META260220C00720000:6", "long_call")]
    [InlineData("META260220P00720000:-2", "short_put")]
    [InlineData("SPY260220P00580000:-10,SPY260220P00575000:10", "put_credit")]
    [InlineData("SPY260220C00600000:10,SPY260220C00610000:-10", "call_debit")]
    [InlineData("SPY260220C00610000:-1,SPY260220C00600000:1", "call_debit")]
    [InlineData("SPY260220P00580000:-1,SPY260220P00575000:1,SPY260220C00620000:-1,SPY260220C00625000:1", "iron_condor")]
    [InlineData("SPY:100", "stock")]
    [InlineData("SPY:100,SPY260220C00620000:-1", "covered_call")]
    [InlineData("SPY260220C00600000:1,SPY260220P00600000:1", "long_straddle")]
    public void Strategy_names_come_from_the_legs(string legs, string expected)
    {
        // entry prices: the nearer-the-money leg is dearer, as in a market
        var list = legs.Split(',').Select(l =>
        {
            var parts = l.Split(':');
            long qty = long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
            double price = parts[0] switch
            {
                "SPY260220P00580000" => 2.10, "SPY260220P00575000" => 0.90,
                "SPY260220C00600000" => 5.00, "SPY260220C00610000" => 2.00,
                "SPY260220C00620000" => 1.50, "SPY260220C00625000" => 0.70,
                _ => 10,
            };
            return new LegSpec(parts[0], qty, price);
        }).ToList();
        Assert.Equal(expected, StrategyNames.Of(list));
    }

    [Fact]
    public void Specs_built_in_code_take_overrides_as_text()
    {
        var spec = new PositionSpec { Id = "X", Book = "primary", Legs = [new LegSpec("SPY260220P00580000", -3, 2.1)] }
            .WithOverrides("""{ "delta_stop": { "short_delta": 0.2 }, "touch": {} }""");
        var p = spec.ApplyOverrides(BookSet.BuiltIn.Get("primary"));
        Assert.Equal(0.2, p.ShortDelta);
        Assert.True(p.Has(RuleId.Touch));
        var ex = Assert.Throws<ConfigException>(() => spec.WithOverrides("{ \"delta_stop\": { \"shortdelta\": 0.2 } }", "intake"));
        Assert.Contains("intake: line 1: position 'X'.overrides.delta_stop.shortdelta: unknown parameter", ex.Message, StringComparison.Ordinal);
    }
}
