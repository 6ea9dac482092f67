using System.Text;
using System.Text.Json;
using Streamer.Stream.Alpaca.MarketData;
using Streamer.Stream.Alpaca.Trading;
namespace Streamer.Stream.Tests.Trading;

public sealed class BrokerFillsTests
{
    private static readonly Dictionary<string, decimal> NoQtys = [];

    private static BrokerOrder Simple(string side, decimal qty, decimal filled, string cid = "x") =>
        new("ord-1", cid, "simple", "AAPL", side, side == "sell" ? "sell_to_close" : "buy_to_open", "market", filled == qty ? "filled" : "partially_filled", qty, filled, 200m, null, []);

    [Fact]
    public void A_sell_fill_is_negative_and_its_id_is_the_order_and_cumulative_quantity()
    {
        var update = new TradeUpdate("fill", Simple("sell", 100, 100), 42, 199.5m, 100, 0, NoQtys);
        var f = Assert.Single(BrokerFills.From(update, 0));
        Assert.Equal(("alpaca:ord-1:100", "AAPL", -100m, 199.5m, 42L), (f.FillId, f.Symbol, f.Qty, f.Price, f.TimeNs));
        // the same execution again (a replay) gets the same id: the journal calls it a duplicate
        Assert.Equal(f.FillId, BrokerFills.From(update, 7)[0].FillId);
    }

    [Fact]
    public void Partial_fills_are_distinct_executions_of_their_own_size()
    {
        var p1 = BrokerFills.From(new TradeUpdate("partial_fill", Simple("buy", 10, 3), 1, 5m, 3, 3, NoQtys), 0);
        var p2 = BrokerFills.From(new TradeUpdate("fill", Simple("buy", 10, 10), 2, 5.1m, 7, 10, NoQtys), 0);
        Assert.Equal(("alpaca:ord-1:3", 3m), (p1[0].FillId, p1[0].Qty));
        Assert.Equal(("alpaca:ord-1:10", 7m), (p2[0].FillId, p2[0].Qty));
    }

    [Fact]
    public void Other_events_are_no_fills()
    {
        foreach (var e in new[] { "new", "canceled", "expired", "rejected", "replaced" })
            Assert.Empty(BrokerFills.From(new TradeUpdate(e, Simple("buy", 10, 0), 1, null, null, null, NoQtys), 0));
    }

    [Fact]
    public void An_mleg_fill_is_one_fill_per_leg_ratio_times_units_at_the_legs_prices()
    {
        var order = new BrokerOrder("ord-9", "SPY-PCS-1:1", "mleg", "", "", "", "market", "filled", 2, 2, 1.3m, null,
        [
            new BrokerOrderLeg("SPY260220P00580000", "buy", "buy_to_close", 1, 2.10m),
            new BrokerOrderLeg("SPY260220P00575000", "sell", "sell_to_close", 1, 0.80m),
        ]);
        var fills = BrokerFills.From(new TradeUpdate("fill", order, 5, 1.3m, 2, null, NoQtys), 0);
        Assert.Equal(
            [("alpaca:ord-9:2/SPY260220P00580000", 2m, 2.10m), ("alpaca:ord-9:2/SPY260220P00575000", -2m, 0.80m)],
            fills.Select(f => (f.FillId, f.Qty, f.Price)));
        // a partial mleg execution: its own leg prices, not the order's running averages
        var piece = new TradeUpdate("partial_fill", order with { FilledQty = 1, Status = "partially_filled" }, 5, 1.2m, 1, null, NoQtys)
        {
            LegPrices = new Dictionary<string, decimal> { ["SPY260220P00580000"] = 2.05m, ["SPY260220P00575000"] = 0.85m },
        };
        Assert.Equal([("alpaca:ord-9:1/SPY260220P00580000", 1m, 2.05m), ("alpaca:ord-9:1/SPY260220P00575000", -1m, 0.85m)],
            BrokerFills.From(piece, 0).Select(f => (f.FillId, f.Qty, f.Price)));
        var fly = order with { Legs = [new BrokerOrderLeg("C1", "sell", "sell_to_close", 1, 1m), new BrokerOrderLeg("C2", "buy", "buy_to_close", 2, 1m), new BrokerOrderLeg("C3", "sell", "sell_to_close", 1, 1m)] };
        Assert.Equal([-2m, 4m, -2m], BrokerFills.From(new TradeUpdate("fill", fly, 5, 0m, 2, null, NoQtys), 0).Select(f => f.Qty));
    }

    [Fact]
    public void The_exit_of_an_order_is_its_client_order_id_or_the_retry_form()
    {
        HashSet<string> exits = ["AAPL-1:1", "X#1:2"];
        Assert.Equal("AAPL-1:1", BrokerFills.ExitIdOf("AAPL-1:1", exits.Contains));
        Assert.Equal("AAPL-1:1", BrokerFills.ExitIdOf("AAPL-1:1#3", exits.Contains));
        Assert.Equal("X#1:2", BrokerFills.ExitIdOf("X#1:2", exits.Contains));
        Assert.Null(BrokerFills.ExitIdOf("AAPL-1:2", exits.Contains));
        Assert.Null(BrokerFills.ExitIdOf("AAPL-1:1#x", exits.Contains));
        Assert.Null(BrokerFills.ExitIdOf("", exits.Contains));
        Assert.Equal(["AAPL-1:1", "AAPL-1:1#2", "AAPL-1:1#3"], new[] { 1, 2, 3 }.Select(n => BrokerFills.ClientOrderId("AAPL-1:1", n)));
    }

    [Fact]
    public void An_exit_events_closing_legs_are_read_from_its_payload()
    {
        var payload = Encoding.UTF8.GetBytes("""{"id":"SPY-PCS-1:2","legs":[{"symbol":"SPY260220P00580000","qty":4,"mark":0.61},{"symbol":"SPY260220P00575000","qty":-4,"mark":0.31}]}""");
        Assert.Equal([("SPY260220P00580000", 4L), ("SPY260220P00575000", -4L)], ExitExecutor.ExitLegs(payload));
        Assert.Throws<FormatException>(() => ExitExecutor.ExitLegs(Encoding.UTF8.GetBytes("""{"legs":[{"symbol":"A","qty":1.5}]}""")));
        Assert.Throws<KeyNotFoundException>(() => ExitExecutor.ExitLegs(Encoding.UTF8.GetBytes("""{"id":"x"}""")));
    }

    [Fact]
    public void An_adopted_position_is_a_positions_file_entry_without_opened_at()
    {
        var json = MonitoredPositions.Definition("alpaca-MSFT", "day_trade", [("MSFT", 50L, 400.5m)]);
        var spec = Streamer.Rules.Positions.PositionsFile.ParseOne(json, "test");
        Assert.Equal(("alpaca-MSFT", "day_trade", "MSFT", 50L), (spec.Id, spec.Book, spec.Legs[0].Symbol, (long)spec.Legs[0].Qty));
        Assert.False(JsonDocument.Parse(json).RootElement.TryGetProperty("opened_at", out _));
    }

    [Fact]
    public void The_holder_of_a_fill_is_the_position_it_reduces_first()
    {
        MonitoredLeg[] legs = [new("A-1", "AAPL", 100, 1), new("A-2", "AAPL", -50, 1), new("B-1", "MSFT", 5, 1)];
        Assert.Equal("A-1", MonitoredPositions.HolderOf("AAPL", -10, legs));
        Assert.Equal("A-2", MonitoredPositions.HolderOf("AAPL", 10, legs));
        Assert.Equal("B-1", MonitoredPositions.HolderOf("MSFT", 1, legs));
        Assert.Null(MonitoredPositions.HolderOf("TSLA", 1, legs));
    }
}
