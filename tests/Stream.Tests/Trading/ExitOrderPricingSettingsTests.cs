using Microsoft.Extensions.Configuration;
using Streamer.Stream.Host.Hosting;
using Streamer.Stream.Service;
using Streamer.Stream.Alpaca;
using Streamer.Stream.Alpaca.MarketData;
using Streamer.Stream.Alpaca.Trading;
using Streamer.Stream.Contracts;
namespace Streamer.Stream.Tests.Trading;

/// <summary><c>Alpaca:OrderType</c>, <c>Alpaca:LimitSlippage</c>, <c>Alpaca:LimitSlippageMax</c> as <c>streamer run</c> reads them.</summary>
public sealed class ExitOrderPricingSettingsTests
{
    private static (ExitOrderType, decimal, decimal) Read(params (string Key, string Value)[] settings) =>
        AlpacaTradingOptions.OrderPricing(SettingsBinder.Bind<AlpacaOptions>(new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build(), "Alpaca"));

    [Fact]
    public void Defaults_are_market_5_percent_up_to_25_percent()
    {
        Assert.Equal((ExitOrderType.Market, 0.05m, 0.25m), Read());
        Assert.Equal((ExitOrderType.Limit, 0.05m, 0.25m), Read(("Alpaca:OrderType", "Limit")));
    }

    [Fact]
    public void A_slippage_above_the_default_cap_raises_the_cap_unless_the_cap_is_given()
    {
        Assert.Equal((ExitOrderType.Limit, 0.3m, 0.3m), Read(("Alpaca:OrderType", "limit"), ("Alpaca:LimitSlippage", "0.3")));
        Assert.Equal((ExitOrderType.Limit, 0.02m, 0.5m), Read(("Alpaca:OrderType", "limit"), ("Alpaca:LimitSlippage", "0.02"), ("Alpaca:LimitSlippageMax", "0.5")));
        Assert.Equal((ExitOrderType.Market, 0m, 0m), Read(("Alpaca:LimitSlippage", "0"), ("Alpaca:LimitSlippageMax", "0")));
    }

    [Theory]
    [InlineData("Alpaca:OrderType", "stop_limit", "Alpaca:OrderType: 'stop_limit' is not market or limit")]
    [InlineData("Alpaca:LimitSlippage", "-0.01", "Alpaca:LimitSlippage: must be")]
    [InlineData("Alpaca:LimitSlippage", "1.01", "Alpaca:LimitSlippage: must be")]
    [InlineData("Alpaca:LimitSlippage", "NaN", "Alpaca:LimitSlippage: 'NaN' is not a number")]
    [InlineData("Alpaca:LimitSlippageMax", "0.04", "Alpaca:LimitSlippageMax: must be at least Alpaca:LimitSlippage (0.05)")]
    [InlineData("Alpaca:LimitSlippageMax", "2", "Alpaca:LimitSlippageMax: must be")]
    public void Bad_values_name_the_key(string key, string value, string message)
    {
        var e = Assert.Throws<SettingsException>(() => Read((key, value)));
        Assert.StartsWith(message, e.Message, StringComparison.Ordinal);
    }
}
