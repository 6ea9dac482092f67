"use strict";
// Shared by the scripts that drive a running `streamer emulate` with Alpaca's official Node SDK.
//
// The SDK is used as a user would (the `Alpaca` facade, its ergonomic order builders and streams);
// only the hosts change: REST requests to paper-api/data.alpaca.markets are sent to the emulator by
// the SDK's own `fetchApi` hook, streams get the SDK's `url` option. Every REST body is also kept
// raw and checked against Alpaca's documented wire shapes (alpaca-py's models: field present, type,
// numbers as strings where Alpaca sends strings, nulls where it sends nulls), because the SDK
// itself accepts almost anything. A script prints one JSON object on stdout; the C# tests assert
// its values against the tape.

const { Alpaca, trading } = require("@alpacahq/alpaca-trade-api");

const BASE = process.env.STREAMER_EMULATOR_URL; // http://127.0.0.1:PORT
const KEY = process.env.APCA_API_KEY_ID;
const SECRET = process.env.APCA_API_SECRET_KEY;
if (!BASE || !KEY || !SECRET) {
    console.error("set STREAMER_EMULATOR_URL, APCA_API_KEY_ID and APCA_API_SECRET_KEY");
    process.exit(2);
}
const WS = BASE.replace(/^http/, "ws");

const wire = []; // every REST exchange: { method, path, status, body }
const violations = [];

function makeAlpaca() {
    const fetchApi = async (url, init) => {
        const target = String(url).replace(/^https:\/\/[^/]+/, BASE);
        const res = await fetch(target, init);
        const text = await res.clone().text();
        let body = null;
        try { body = text.length ? JSON.parse(text) : null; } catch { body = text; }
        wire.push({ method: (init && init.method) || "GET", path: target.slice(BASE.length), status: res.status, body });
        return res;
    };
    return new Alpaca({ keyId: KEY, secret: SECRET, paper: true, retry: false, rateLimit: false, fetchApi });
}

/** The raw body of the last exchange whose path starts with `prefix` (and method, if given). */
function lastWire(prefix, method) {
    for (let i = wire.length - 1; i >= 0; i--) {
        const w = wire[i];
        if (w.path.startsWith(prefix) && (!method || w.method === method)) return w;
    }
    throw new Error(`no ${method || ""} ${prefix} on the wire`);
}

// ---- wire shapes (alpaca-py alpaca/trading/models.py; "?" = may be null) ----------------------

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const NUMSTR = /^-?\d+(\.\d+)?$/;
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/;
const DATE = /^\d{4}-\d\d-\d\d$/;

const enums = {
    asset_class: ["us_equity", "us_option", "crypto"],
    exchange: ["AMEX", "ARCA", "ASCX", "BATS", "NYSE", "NASDAQ", "NYSEARCA", "FTXU", "CBSE", "GNSS", "ERSX", "OTC", "CRYPTO", ""],
    order_class: ["simple", "bracket", "oco", "oto", "mleg", ""],
    order_type: ["market", "limit", "stop", "stop_limit", "trailing_stop"],
    side: ["buy", "sell"],
    tif: ["day", "gtc", "opg", "cls", "ioc", "fok"],
    status: ["new", "partially_filled", "filled", "done_for_day", "canceled", "expired", "replaced", "pending_cancel",
        "pending_replace", "accepted", "pending_new", "accepted_for_bidding", "stopped", "rejected", "suspended", "calculated", "held"],
    intent: ["buy_to_open", "buy_to_close", "sell_to_open", "sell_to_close"],
};

// kind: str, uuid, numstr, time, date, bool, int, num, arr, obj, enum:<name>, "" allowed with +blank
const schemas = {
    order: {
        id: "uuid", client_order_id: "str", created_at: "time", updated_at: "time", submitted_at: "time",
        filled_at: "time?", expired_at: "time?", expires_at: "time?", canceled_at: "time?", failed_at: "time?",
        replaced_at: "time?", replaced_by: "uuid?", replaces: "uuid?",
        asset_id: "uuid+blank", symbol: "str", asset_class: "enum:asset_class+blank", notional: "numstr?", qty: "numstr?",
        filled_qty: "numstr", filled_avg_price: "numstr?", order_class: "enum:order_class", order_type: "enum:order_type+blank",
        type: "enum:order_type+blank", side: "enum:side+blank", time_in_force: "enum:tif", limit_price: "numstr?",
        stop_price: "numstr?", status: "enum:status", extended_hours: "bool", legs: "arr?", trail_percent: "numstr?",
        trail_price: "numstr?", hwm: "numstr?", position_intent: "enum:intent+blank",
    },
    leg: { ratio_qty: "numstr" }, // on top of order
    position: {
        asset_id: "uuid", symbol: "str", exchange: "enum:exchange", asset_class: "enum:asset_class", asset_marginable: "bool",
        avg_entry_price: "numstr", qty: "numstr", qty_available: "numstr", side: "enum:pside", market_value: "numstr",
        cost_basis: "numstr", unrealized_pl: "numstr", unrealized_plpc: "numstr", unrealized_intraday_pl: "numstr",
        unrealized_intraday_plpc: "numstr", current_price: "numstr", lastday_price: "numstr", change_today: "numstr",
    },
    account: {
        id: "uuid", account_number: "str", status: "str", currency: "str", buying_power: "numstr", regt_buying_power: "numstr",
        daytrading_buying_power: "numstr", non_marginable_buying_power: "numstr", cash: "numstr", accrued_fees: "numstr",
        portfolio_value: "numstr", pattern_day_trader: "bool", trading_blocked: "bool", transfers_blocked: "bool",
        account_blocked: "bool", created_at: "time", trade_suspended_by_user: "bool", multiplier: "numstr",
        shorting_enabled: "bool", equity: "numstr", last_equity: "numstr", long_market_value: "numstr",
        short_market_value: "numstr", initial_margin: "numstr", maintenance_margin: "numstr",
        last_maintenance_margin: "numstr", sma: "numstr", daytrade_count: "int", options_buying_power: "numstr",
        options_approved_level: "int", options_trading_level: "int",
    },
    clock: { timestamp: "time", is_open: "bool", next_open: "time", next_close: "time" },
    calendar: { date: "date", open: "hhmm:", close: "hhmm:", session_open: "hhmm", session_close: "hhmm", settlement_date: "date" },
    asset: {
        id: "uuid", class: "enum:asset_class", exchange: "enum:exchange", symbol: "str", name: "str", status: "enum:astatus",
        tradable: "bool", marginable: "bool", shortable: "bool", easy_to_borrow: "bool", fractionable: "bool",
        attributes: "arr?",
    },
    contract: {
        id: "uuid", symbol: "str", name: "str", status: "enum:astatus", tradable: "bool", expiration_date: "date",
        root_symbol: "str", underlying_symbol: "str", underlying_asset_id: "uuid", type: "enum:ctype", style: "enum:style",
        strike_price: "numstr", multiplier: "numstr", size: "numstr", open_interest: "numstr?", open_interest_date: "date?",
        close_price: "numstr?", close_price_date: "date?",
    },
    activity: {
        id: "str", account_id: "uuid", activity_type: "str", date: "date", net_amount: "numstr", description: "str",
        symbol: "str", qty: "numstr", price: "numstr",
    },
    fillActivity: {
        id: "str", account_id: "uuid", activity_type: "str", transaction_time: "time", type: "enum:filltype", price: "numstr",
        qty: "numstr", side: "enum:side", symbol: "str", leaves_qty: "numstr", order_id: "uuid", cum_qty: "numstr", order_status: "enum:status",
    },
    tradeUpdate: { event: "str", execution_id: "uuid?", order: "obj", timestamp: "time" },
    execution: { price: "numstr", qty: "numstr" },
    // market data (alpaca-py alpaca/data/models; the SDK's StockQuote, StockTrade, StockBar, OptionQuote)
    stockQuote: { t: "time", ax: "str", ap: "num", as: "int", bx: "str", bp: "num", bs: "int", c: "arr", z: "str" },
    stockTrade: { t: "time", x: "str", p: "num", s: "int", c: "arr", i: "int", z: "str" },
    bar: { t: "time", o: "num", h: "num", l: "num", c: "num", v: "int", n: "int", vw: "num" },
    optionQuote: { t: "time", ax: "str", ap: "num", as: "int", bx: "str", bp: "num", bs: "int", c: "str" },
    optionTrade: { t: "time", x: "str", p: "num", s: "int", c: "str" },
    optionGreeks: { delta: "num", gamma: "num", rho: "num", theta: "num", vega: "num" },
    error: { code: "int", message: "str" },
    closeResult: { symbol: "str", status: "int", body: "obj" },
    cancelResult: { id: "uuid", status: "int", body: "obj" },
};
enums.pside = ["long", "short"];
enums.filltype = ["fill", "partial_fill"];
enums.astatus = ["active", "inactive"];
enums.ctype = ["call", "put"];
enums.style = ["american", "european"];

function typeOk(kind, v) {
    let k = kind;
    let nullable = false, blank = false;
    if (k.endsWith("?")) { nullable = true; k = k.slice(0, -1); }
    if (k.endsWith("+blank")) { blank = true; k = k.slice(0, -6); }
    if (v === null) return nullable;
    if (blank && v === "") return true;
    if (k.startsWith("enum:")) return enums[k.slice(5)].includes(v);
    switch (k) {
        case "str": return typeof v === "string";
        case "uuid": return typeof v === "string" && UUID.test(v);
        case "numstr": return typeof v === "string" && NUMSTR.test(v);
        case "time": return typeof v === "string" && TIME.test(v) && !isNaN(Date.parse(v));
        case "date": return typeof v === "string" && DATE.test(v);
        case "hhmm:": return typeof v === "string" && /^\d\d:\d\d$/.test(v);
        case "hhmm": return typeof v === "string" && /^\d{4}$/.test(v);
        case "bool": return typeof v === "boolean";
        case "int": return Number.isInteger(v);
        case "num": return typeof v === "number";
        case "arr": return Array.isArray(v);
        case "obj": return typeof v === "object" && !Array.isArray(v);
        default: throw new Error(`unknown kind ${kind}`);
    }
}

/** Records every missing or mistyped field of `obj` against schema `name`; returns obj. */
function check(name, obj, where) {
    const schema = schemas[name];
    if (typeof obj !== "object" || obj === null) {
        violations.push(`${where}: ${name} is not an object: ${JSON.stringify(obj)}`);
        return obj;
    }
    for (const [field, kind] of Object.entries(schema)) {
        if (!(field in obj)) violations.push(`${where}: ${name}.${field} missing`);
        else if (!typeOk(kind, obj[field])) violations.push(`${where}: ${name}.${field} = ${JSON.stringify(obj[field])} is not ${kind}`);
    }
    if (name === "order" && Array.isArray(obj.legs)) {
        obj.legs.forEach((leg, i) => {
            check("order", leg, `${where}.legs[${i}]`);
            check("leg", leg, `${where}.legs[${i}]`);
        });
    }
    return obj;
}

/** The SDK's own required-field check (generated from Alpaca's OpenAPI spec) on a parsed model. */
function sdkCheck(name, model, where) {
    const fn = trading[`instanceOf${name}`];
    if (typeof fn !== "function") throw new Error(`no trading.instanceOf${name}`);
    if (!fn(model)) violations.push(`${where}: SDK instanceOf${name} is false`);
    return model;
}

function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }

/** Resolves with fn() once it returns a truthy value; rejects after `ms`. */
async function until(what, fn, ms = 15000) {
    const deadline = Date.now() + ms;
    for (;;) {
        const v = await fn();
        if (v) return v;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await sleep(50);
    }
}

/** Prints the result object (with the schema violations and the REST exchanges seen) and exits. */
function finish(result) {
    process.stdout.write(JSON.stringify({ ...result, violations, exchanges: wire.length }) + "\n");
    process.exit(0);
}

function fail(e) {
    process.stdout.write(JSON.stringify({ error: String(e && e.stack || e), violations, wire: wire.slice(-5) }) + "\n");
    process.exit(1);
}

module.exports = { BASE, WS, KEY, SECRET, makeAlpaca, lastWire, check, sdkCheck, until, sleep, finish, fail, wire, violations };
