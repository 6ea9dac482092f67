"use strict";
// Reference data from `streamer emulate` through Alpaca's Node SDK: account, clock, calendar,
// assets (list, by symbol, by id, a missing one), option contracts (filters, paging, by symbol).
// Env: STREAMER_EMULATOR_URL, APCA_API_KEY_ID, APCA_API_SECRET_KEY, STOCK, LONG_CALL (an OCC symbol
// on the tape). Prints one JSON object (lib/emulator.js).

const { NotFoundError } = require("@alpacahq/alpaca-trade-api");
const lib = require("./lib/emulator");
const { check, sdkCheck, lastWire, finish, fail } = lib;

const STOCK = process.env.STOCK;
const LONG_CALL = process.env.LONG_CALL;

async function main() {
    const alpaca = lib.makeAlpaca();
    const t = alpaca.trading;
    const out = {};

    out.validate = await t.validateConnection();
    const account = await t.account.getAccount();
    sdkCheck("Account", account, "account");
    check("account", lastWire("/v2/account").body, "GET /v2/account");
    out.account = { cash: account.cash, status: account.status, optionsTradingLevel: account.optionsTradingLevel };

    const clock = await t.clock.legacyClock();
    sdkCheck("LegacyClock", clock, "clock");
    const rawClock = check("clock", lastWire("/v2/clock").body, "GET /v2/clock");
    out.clock = { ...rawClock, parsedTimestamp: clock.timestamp.toISOString(), parsedNextClose: clock.nextClose.toISOString() };

    const days = await t.calendar.legacyCalendar({ start: new Date("2026-01-01T00:00:00Z"), end: new Date("2026-01-31T00:00:00Z") });
    days.forEach((d, i) => sdkCheck("LegacyCalendarDay", d, `calendar[${i}]`));
    const rawDays = lastWire("/v2/calendar").body;
    rawDays.forEach((d, i) => check("calendar", d, `GET /v2/calendar[${i}]`));
    out.calendar = rawDays;

    // v3: the clock per market (NYSE with its pre/post phases, OPRA core only) and a market's calendar
    const clocks = await t.clock.clock({ markets: "NYSE,OPRA" });
    sdkCheck("ClockResp", clocks, "v3 clock");
    clocks.clocks.forEach((c, i) => sdkCheck("Clock", c, `v3 clock[${i}]`));
    out.clocksV3 = lastWire("/v3/clock").body.clocks;
    out.clocksV3Parsed = clocks.clocks.map((c) => ({ market: c.market.acronym, phase: c.phase, phaseUntil: c.phaseUntil.toISOString(), nextOpen: c.nextMarketOpen.toISOString() }));
    const cal = await t.calendar.calendar({ market: "NYSE", start: new Date("2026-11-25T00:00:00Z"), end: new Date("2026-11-30T00:00:00Z") });
    sdkCheck("PublicCalendarResp", cal, "v3 calendar");
    cal.calendar.forEach((d, i) => sdkCheck("CalendarDay", d, `v3 calendar[${i}]`));
    out.calendarV3 = cal.calendar.map((d) => ({ date: d.date.toISOString().slice(0, 10), preStart: d.preStart.toISOString(), coreStart: d.coreStart.toISOString(), coreEnd: d.coreEnd.toISOString(), postEnd: d.postEnd.toISOString() }));
    const opra = await t.calendar.calendar({ market: "OPRA", start: new Date("2026-11-27T00:00:00Z"), end: new Date("2026-11-27T00:00:00Z"), timezone: "UTC" });
    out.calendarOpra = lastWire("/v3/calendar/OPRA").body.calendar;
    try {
        await t.calendar.calendar({ market: "LSE" });
        out.calendarLse = "served";
    } catch (e) {
        out.calendarLse = { status: e.status, code: e.code };
    }

    const assets = await t.assets.getV2Assets({});
    assets.forEach((a, i) => sdkCheck("Assets", a, `assets[${i}]`));
    lastWire("/v2/assets").body.forEach((a, i) => check("asset", a, `GET /v2/assets[${i}]`));
    out.assets = lastWire("/v2/assets").body.map((a) => ({ symbol: a.symbol, class: a.class, attributes: a.attributes }));
    const stockAsset = await t.assets.getV2AssetsSymbolOrAssetId({ symbolOrAssetId: STOCK });
    sdkCheck("Assets", stockAsset, "asset");
    out.asset = check("asset", lastWire(`/v2/assets/${STOCK}`).body, `GET /v2/assets/${STOCK}`);
    const byId = await t.assets.getV2AssetsSymbolOrAssetId({ symbolOrAssetId: stockAsset.id });
    out.assetById = byId.symbol;
    try {
        await t.assets.getV2AssetsSymbolOrAssetId({ symbolOrAssetId: "NOSUCH" });
        out.missingAsset = "found";
    } catch (e) {
        out.missingAsset = { notFound: e instanceof NotFoundError, status: e.status, code: e.code, message: e.message };
        check("error", lastWire("/v2/assets/NOSUCH").body, "GET /v2/assets/NOSUCH");
    }

    const root = LONG_CALL.replace(/\d{6}[CP]\d{8}$/, "");
    const contracts = await t.assets.getOptionsContracts({ underlyingSymbols: root, expirationDateGte: new Date("2026-01-01T00:00:00Z") });
    sdkCheck("GetOptionsContracts200Response", contracts, "contracts");
    const rawContracts = lastWire("/v2/options/contracts").body;
    rawContracts.option_contracts.forEach((c, i) => check("contract", c, `GET /v2/options/contracts[${i}]`));
    out.contracts = rawContracts.option_contracts;
    out.contractsNext = rawContracts.next_page_token;
    const onePage = await t.assets.getOptionsContracts({ underlyingSymbols: root, expirationDateGte: new Date("2026-01-01T00:00:00Z"), limit: 1 });
    const secondPage = await t.assets.getOptionsContracts({ underlyingSymbols: root, expirationDateGte: new Date("2026-01-01T00:00:00Z"), limit: 1, pageToken: onePage.nextPageToken });
    out.contractPages = [onePage.optionContracts.map((c) => c.symbol), onePage.nextPageToken ?? null, secondPage.optionContracts.map((c) => c.symbol)];
    const contract = await t.assets.getOptionContractSymbolOrId({ symbolOrId: LONG_CALL });
    sdkCheck("OptionContract", contract, "contract");
    out.contract = check("contract", lastWire(`/v2/options/contracts/${LONG_CALL}`).body, `GET /v2/options/contracts/${LONG_CALL}`);

    finish(out);
}

main().catch(fail);
