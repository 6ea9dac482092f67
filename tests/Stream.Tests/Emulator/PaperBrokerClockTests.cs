using System.Text;
using Streamer.Rules.Time;
using Streamer.Stream.Emulator;

namespace Streamer.Stream.Tests.Emulator;

// the broker's own clock: day orders expire at their session's close, held options at their expiration
public sealed class PaperBrokerClockTests
{
    private long _now;
    private readonly List<PaperTradeUpdate> _updates = [];
    private readonly PaperBroker _broker;

    public PaperBrokerClockTests()
    {
        // the 16:00 settlement itself: without the 15:30 pin-risk liquidation of short legs (PaperBrokerPinRiskTests)
        _broker = new PaperBroker(() => _now, new PaperBrokerOptions { PinRiskLiquidation = false });
        _broker.Update += _updates.Add;
    }

    private static long Utc(int mo, int d, int h, int mi) => NanoTime.FromDateTime(new DateTime(2026, mo, d, h, mi, 0, DateTimeKind.Utc));

    private PaperOrder RestingBuy(string id) =>
        _broker.Submit(PaperOrderRequest.Parse(Encoding.UTF8.GetBytes(
            $$"""{"symbol":"SPY","qty":"1","side":"buy","type":"limit","limit_price":"1","time_in_force":"day","client_order_id":"{{id}}"}""")));

    [Fact]
    public void A_day_order_lives_until_its_sessions_close_and_after_hours_until_the_next_one()
    {
        _broker.OnQuote("SPY", 590, 590.01);
        _now = Utc(1, 21, 15, 0);                     // Wednesday 10:00 New York
        var wednesday = RestingBuy("wed");
        _now = Utc(1, 21, 22, 0);                     // 17:00 New York, after the close
        var evening = RestingBuy("wed-evening");
        _now = Utc(1, 23, 21, 30);                    // Friday after the close
        var friday = RestingBuy("fri-evening");

        _broker.AdvanceTo(Utc(1, 21, 20, 59));
        Assert.Equal("new", wednesday.Status);
        _broker.AdvanceTo(Utc(1, 21, 21, 0));         // 16:00 New York
        Assert.Equal(("expired", "new", "new"), (wednesday.Status, evening.Status, friday.Status));
        Assert.Equal(Utc(1, 21, 21, 0), wednesday.ExpiredAtNs);
        _broker.AdvanceTo(Utc(1, 22, 21, 0));
        Assert.Equal(("expired", "new"), (evening.Status, friday.Status));
        _broker.AdvanceTo(Utc(1, 26, 20, 59));        // over the weekend to Monday, before the close
        Assert.Equal("new", friday.Status);
        _broker.AdvanceTo(Utc(1, 26, 21, 0));
        Assert.Equal("expired", friday.Status);
        Assert.Equal(3, _updates.Count(u => u.Event == "expired"));
        _broker.AdvanceTo(Utc(1, 1, 0, 0));           // time never goes back
        _broker.OnQuote("SPY", 0.5, 0.9);             // a marketable quote no longer fills them
        Assert.Null(_broker.Position("SPY"));
    }

    [Fact]
    public void A_day_order_expires_on_a_holiday_eve_early_close_not_at_four()
    {
        _now = Utc(12, 24, 15, 0);                    // Thursday 2026-12-24: NYSE closes 13:00 New York (18:00 UTC)
        _broker.OnQuote("SPY", 590, 590.01);
        var order = RestingBuy("eve");
        _broker.AdvanceTo(Utc(12, 24, 17, 59));
        Assert.Equal("new", order.Status);
        _broker.AdvanceTo(Utc(12, 24, 18, 0));
        Assert.Equal("expired", order.Status);
    }

    [Theory]
    [InlineData("SPY260220P00600000", 5, 599.99, 600.00, "OPEXP", 0L)]         // mid 599.995: half a cent ITM, under OCC's 1 cent
    [InlineData("SPY260220P00600000", 5, 598.00, 598.00, "OPEXC", -500L)]      // long put ITM: sells 500 at 600
    [InlineData("SPY260220P00600000", -2, 598.00, 598.00, "OPASN", 200L)]      // short put ITM: buys 200 at 600
    [InlineData("SPY260220C00600000", 1, 600.01, 600.01, "OPEXC", 100L)]       // exactly a cent ITM: exercised
    public void Expiration_settles_against_the_underlyings_mid(string contract, long qty, double bid, double ask, string activity, long stockAfter)
    {
        _broker.SetPosition(contract, qty, 1.00m);
        _broker.OnQuote("SPY", bid, ask);
        _broker.AdvanceTo(Utc(2, 20, 20, 59));
        Assert.Equal(qty, _broker.Position(contract)!.Qty);
        _broker.AdvanceTo(Utc(2, 20, 21, 0));
        Assert.Null(_broker.Position(contract));
        Assert.Equal(stockAfter == 0 ? null : stockAfter, _broker.Position("SPY")?.Qty);
        if (stockAfter != 0) Assert.Equal(600m, _broker.Position("SPY")!.AvgEntryPrice);
        var a = Assert.Single(_broker.Activities());
        Assert.Equal((activity, contract, qty), (a.ActivityType, a.Symbol, a.Qty));
        Assert.Empty(_updates); // never on trade_updates
    }

    [Fact]
    public void Without_a_quote_for_the_underlying_a_contract_expires_worthless()
    {
        _broker.SetPosition("QQQ260220C00100000", 3, 400m);
        _broker.AdvanceTo(Utc(2, 21, 0, 0));
        Assert.Empty(_broker.Positions());
        Assert.Equal("OPEXP", Assert.Single(_broker.Activities()).ActivityType);
    }
}
