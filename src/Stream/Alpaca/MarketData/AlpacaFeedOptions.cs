using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Streamer.Feed.Alpaca;
using Streamer.Rules.Books;
using Streamer.Rules.Instruments;
using Streamer.Rules.Positions;
using Streamer.Stream.Pipeline;
using Streamer.Stream.Service;
using Streamer.Stream.Contracts;
namespace Streamer.Stream.Alpaca.MarketData;

/// <summary><c>Alpaca:*</c>: the market-data websocket (stocks <c>/v2/{Feed}</c>, options <c>/v1beta1/{OptionsFeed}</c>); keys only from the environment.</summary>
public sealed record AlpacaFeedOptions(Uri DataUrl, string Feed, string OptionsFeed, AlpacaCredentials Credentials) : IMarketDataFeedFactory
{
    public IMarketDataFeed Create(SymbolTable symbols, TimeSpan staleAfter) =>
        new AlpacaTickSource(new AlpacaStreamOptions { DataUrl = DataUrl, StaleAfter = staleAfter }, Feed, OptionsFeed, Credentials, symbols);

    public static AlpacaFeedOptions? From(IConfiguration c)
    {
        var url = c["Alpaca:DataUrl"];
        if (string.IsNullOrWhiteSpace(url)) return null;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("ws" or "wss" or "http" or "https"))
            throw new SettingsException($"Alpaca:DataUrl: '{url}' is not a ws(s):// or http(s):// address");
        var feed = c["Alpaca:Feed"] is { Length: > 0 } f ? f : "iex";
        if (feed is not ("iex" or "sip" or "delayed_sip" or "test")) throw new SettingsException($"Alpaca:Feed: '{feed}' is not iex, sip, delayed_sip or test");
        var options = c["Alpaca:OptionsFeed"] is { Length: > 0 } o ? o : "indicative";
        if (options is not ("indicative" or "opra")) throw new SettingsException($"Alpaca:OptionsFeed: '{options}' is not indicative or opra");
        var keys = AlpacaCredentials.FromEnvironment()
            ?? throw new SettingsException($"Alpaca:DataUrl is set but {AlpacaCredentials.KeyIdVariable} / {AlpacaCredentials.SecretKeyVariable} are not (keys come only from the environment)");
        return new AlpacaFeedOptions(uri, feed, options, keys);
    }
}
