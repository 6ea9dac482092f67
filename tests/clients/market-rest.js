"use strict";
// Market-data REST of `streamer emulate` through Alpaca's Node SDK, on the emulator's market clock:
// stock latest quote/trade (and the SDK's getLatestPrice), snapshots, historical quotes and trades
// paged by next_page_token (by hand and by the SDK's auto-paging helpers), minute bars; option
// latest quotes, snapshots and the chain. Env: STREAMER_EMULATOR_URL, APCA_API_KEY_ID,
// APCA_API_SECRET_KEY, STOCK, OPTION, FROM, TO (RFC 3339: the window of the historical queries).

const lib = require("./lib/emulator");
const { check, lastWire, until, finish, fail } = lib;

const STOCK = process.env.STOCK;
const OPTION = process.env.OPTION;
const FROM = new Date(process.env.FROM);
const TO = new Date(process.env.TO);

async function main() {
    const alpaca = lib.makeAlpaca();
    const md = alpaca.marketData;
    const out = {};

    // the market clock starts at the first subscription; then the REST answers follow it
    const stream = md.stockStream({ feed: "iex", url: `${lib.WS}/v2/iex` });
    let quotes = 0;
    stream.onQuote(() => { quotes++; });
    stream.onConnect(() => stream.subscribeForQuotes([STOCK]));
    stream.connect();
    await until("stock quotes", () => quotes >= 15);
    stream.disconnect();

    const clock = await alpaca.trading.clock.legacyClock();
    out.clockBefore = clock.timestamp.toISOString();

    const latest = await md.stocks.stockLatestQuotes({ symbols: STOCK });
    const rawLatest = lastWire("/v2/stocks/quotes/latest").body;
    check("stockQuote", rawLatest.quotes[STOCK], "GET /v2/stocks/quotes/latest");
    out.latestQuote = rawLatest.quotes[STOCK];
    out.latestQuoteParsed = { bp: latest.quotes[STOCK].bp, ap: latest.quotes[STOCK].ap };
    const latestTrade = await md.stocks.stockLatestTradeSingle({ symbol: STOCK });
    out.latestTrade = check("stockTrade", lastWire(`/v2/stocks/${STOCK}/trades/latest`).body.trade, "GET /v2/stocks/{symbol}/trades/latest");
    out.latestTradeSymbol = latestTrade.symbol;
    out.latestPrice = await md.getLatestPrice(STOCK);

    await md.stocks.stockSnapshotSingle({ symbol: STOCK });
    const snap = lastWire(`/v2/stocks/${STOCK}/snapshot`).body;
    check("stockQuote", snap.latestQuote, "snapshot.latestQuote");
    check("stockTrade", snap.latestTrade, "snapshot.latestTrade");
    check("bar", snap.minuteBar, "snapshot.minuteBar");
    check("bar", snap.dailyBar, "snapshot.dailyBar");
    out.snapshot = snap;
    out.clockAfter = (await alpaca.trading.clock.legacyClock()).timestamp.toISOString();
    await md.stocks.stockSnapshots({ symbols: `${STOCK},NOSUCH` });
    out.snapshotsKeys = Object.keys(lastWire("/v2/stocks/snapshots").body);

    // historical quotes, 4 to a page, following next_page_token by hand
    const pages = [];
    let token;
    do {
        await md.stocks.stockQuotes({ symbols: STOCK, start: FROM, end: TO, limit: 4, pageToken: token });
        const body = lastWire("/v2/stocks/quotes?").body;
        (body.quotes[STOCK] || []).forEach((q, i) => check("stockQuote", q, `GET /v2/stocks/quotes page ${pages.length} [${i}]`));
        pages.push((body.quotes[STOCK] || []).map((q) => ({ t: q.t, bp: q.bp, ap: q.ap })));
        token = body.next_page_token ?? undefined;
    } while (token && pages.length < 20);
    out.quotePages = pages;
    // the SDK's own paging helper over the same window
    const collected = await md.getStockQuotes({ symbols: [STOCK], start: FROM, end: TO, limit: 3 });
    out.collectedQuotes = (collected[STOCK] || []).length;

    await md.stocks.stockTradeSingle({ symbol: STOCK, start: FROM, end: TO, limit: 10000 });
    const trades = lastWire(`/v2/stocks/${STOCK}/trades`).body;
    trades.trades.forEach((t, i) => check("stockTrade", t, `GET /v2/stocks/{symbol}/trades[${i}]`));
    out.trades = trades.trades.map((t) => ({ t: t.t, p: t.p }));
    out.tradesNext = trades.next_page_token;

    await md.stocks.stockBars({ symbols: STOCK, timeframe: "1Min", start: FROM, end: TO });
    const bars = lastWire("/v2/stocks/bars").body;
    (bars.bars[STOCK] || []).forEach((b, i) => check("bar", b, `GET /v2/stocks/bars[${i}]`));
    out.bars = bars.bars[STOCK] || [];

    await md.options.optionLatestQuotes({ symbols: OPTION });
    const optLatest = lastWire("/v1beta1/options/quotes/latest").body;
    check("optionQuote", optLatest.quotes[OPTION], "GET /v1beta1/options/quotes/latest");
    out.optionLatest = optLatest.quotes[OPTION];
    await md.options.optionSnapshots({ symbols: OPTION });
    const optSnap = lastWire("/v1beta1/options/snapshots?").body;
    check("optionQuote", optSnap.snapshots[OPTION].latestQuote, "GET /v1beta1/options/snapshots");
    out.optionSnapshot = optSnap.snapshots[OPTION];
    const root = OPTION.replace(/\d{6}[CP]\d{8}$/, "");
    await md.options.optionChain({ underlyingSymbol: root, type: "call" });
    out.chain = Object.keys(lastWire(`/v1beta1/options/snapshots/${root}`).body.snapshots);

    try {
        await md.stocks.stockBars({ symbols: STOCK, timeframe: "7Fortnight" });
        out.badTimeframe = "accepted";
    } catch (e) {
        out.badTimeframe = { status: e.status, code: e.code };
    }
    finish(out);
}

main().catch(fail);
