"use strict";
// Option history and snapshot Greeks of `streamer emulate --history` through Alpaca's Node SDK:
// historical option trades paged by next_page_token, option bars, and a snapshot's greeks and
// impliedVolatility. Env: STREAMER_EMULATOR_URL, APCA_API_KEY_ID, APCA_API_SECRET_KEY, OPTION, FROM, TO.

const lib = require("./lib/emulator");
const { check, lastWire, finish, fail } = lib;

const OPTION = process.env.OPTION;
const FROM = new Date(process.env.FROM);
const TO = new Date(process.env.TO);

async function main() {
    const md = lib.makeAlpaca().marketData;
    const out = {};

    const pages = [];
    let token;
    do {
        const parsed = await md.options.optionTrades({ symbols: OPTION, start: FROM, end: TO, limit: 4, pageToken: token });
        const body = lastWire("/v1beta1/options/trades?").body;
        (body.trades[OPTION] || []).forEach((t, i) => check("optionTrade", t, `GET /v1beta1/options/trades page ${pages.length} [${i}]`));
        pages.push((parsed.trades[OPTION] || []).map((t) => ({ t: t.t, p: t.p })));
        token = parsed.nextPageToken ?? undefined;
    } while (token && pages.length < 20);
    out.tradePages = pages;

    const bars = await md.options.optionBars({ symbols: OPTION, timeframe: "1Min", start: FROM, end: TO });
    (lastWire("/v1beta1/options/bars?").body.bars[OPTION] || []).forEach((b, i) => check("bar", b, `GET /v1beta1/options/bars[${i}]`));
    out.bars = bars.bars[OPTION] || [];

    const snaps = await md.options.optionSnapshots({ symbols: OPTION });
    const raw = lastWire("/v1beta1/options/snapshots?").body.snapshots[OPTION];
    check("optionQuote", raw.latestQuote, "snapshot.latestQuote");
    check("optionGreeks", raw.greeks, "snapshot.greeks");
    const snap = snaps.snapshots[OPTION];
    out.snapshot = { greeks: snap.greeks, impliedVolatility: snap.impliedVolatility, quote: { t: raw.latestQuote.t, bp: snap.latestQuote.bp, ap: snap.latestQuote.ap } };

    try {
        await md.options.optionTrades({ symbols: OPTION, start: TO, end: FROM });
        out.backwards = "accepted";
    } catch (e) {
        out.backwards = { status: e.status, code: e.code };
    }
    finish(out);
}

main().catch(fail);
