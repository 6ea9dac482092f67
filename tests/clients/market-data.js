"use strict";
// Both market-data streams of `streamer emulate` through Alpaca's Node SDK (MessagePack, as the SDK
// always asks): stock quotes and trades on /v2/iex, option quotes on /v1beta1/indicative, and a
// wrong key refused (402, terminal for the SDK). Env: STREAMER_EMULATOR_URL, APCA_API_KEY_ID,
// APCA_API_SECRET_KEY, STOCK, OPTION, COUNT (quotes to collect per stream, default 3).

const { Alpaca, streaming } = require("@alpacahq/alpaca-trade-api");
const lib = require("./lib/emulator");
const { until, finish, fail } = lib;

const STOCK = process.env.STOCK;
const OPTION = process.env.OPTION;
const COUNT = Number(process.env.COUNT || 3);

const quote = (q) => ({ symbol: q.symbol, bid: q.bidPrice, ask: q.askPrice, bidSize: q.bidSize, askSize: q.askSize, t: q.timestampRaw });

async function main() {
    const alpaca = lib.makeAlpaca();
    const out = { stockQuotes: [], stockTrades: [], optionQuotes: [], subscriptions: {} };

    const stocks = alpaca.marketData.stockStream({ feed: "iex", url: `${lib.WS}/v2/iex` });
    stocks.onQuote((q) => out.stockQuotes.length < COUNT && out.stockQuotes.push(quote(q)));
    stocks.onTrade((t) => out.stockTrades.length < COUNT && out.stockTrades.push({ symbol: t.symbol, price: t.price, size: t.size, t: t.timestampRaw }));
    stocks.on(streaming.EVENT.SUBSCRIPTION, (s) => { out.subscriptions.stocks = s; });
    stocks.onError((e) => { out.stockError = String(e); });
    stocks.onConnect(() => { stocks.subscribeForQuotes([STOCK]); stocks.subscribeForTrades([STOCK]); });
    stocks.connect();

    const options = alpaca.marketData.optionStream({ feed: "indicative", url: `${lib.WS}/v1beta1/indicative` });
    options.onQuote((q) => out.optionQuotes.length < COUNT && out.optionQuotes.push(quote(q)));
    options.on(streaming.EVENT.SUBSCRIPTION, (s) => { out.subscriptions.options = s; });
    options.onError((e) => { out.optionError = String(e); });
    options.onConnect(() => options.subscribeForQuotes([OPTION]));
    options.connect();

    await until("quotes and trades on both streams",
        () => out.stockQuotes.length >= COUNT && out.stockTrades.length >= 1 && out.optionQuotes.length >= COUNT);
    stocks.disconnect();
    options.disconnect();

    // a wrong secret: the SDK reports the auth failure and does not retry
    const bad = new Alpaca({ keyId: lib.KEY, secret: "wrong", paper: true });
    const refused = bad.marketData.stockStream({ feed: "iex", url: `${lib.WS}/v2/iex` });
    let authError = null;
    refused.onError((e) => { authError = String(e); });
    refused.connect();
    await until("the auth failure", () => authError);
    out.badAuth = { error: authError, state: refused.state ?? null };
    refused.disconnect();
    finish(out);
}

main().catch(fail);
