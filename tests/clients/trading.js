"use strict";
// Trading against `streamer emulate` with Alpaca's Node SDK: account, trade_updates, market / limit / mleg orders, get / list / cancel orders, close
// one position, close all, cancel all, activities. Env: STREAMER_EMULATOR_URL, APCA_API_KEY_ID,
// APCA_API_SECRET_KEY, STOCK (a stock on the tape), LONG_CALL and SHORT_CALL (two OCC symbols on the
// tape: the spread buys the first and sells the second). Prints one JSON object (lib/emulator.js).

const { streaming, ValidationError } = require("@alpacahq/alpaca-trade-api");
const WebSocket = require("ws");
const lib = require("./lib/emulator");
const { check, sdkCheck, lastWire, until, finish, fail } = lib;

const STOCK = process.env.STOCK;
const LONG_CALL = process.env.LONG_CALL;
const SHORT_CALL = process.env.SHORT_CALL;

async function main() {
    const alpaca = lib.makeAlpaca();
    const t = alpaca.trading;
    const out = {};

    // the emulator's market clock starts at the first data subscription: a stock stream first, as a
    // trading client watching its prices would (the broker fills at the tape's quotes)
    const data = alpaca.marketData.stockStream({ feed: "iex", url: `${lib.WS}/v2/iex` });
    let firstQuote = null;
    data.onQuote((q) => { if (!firstQuote) firstQuote = q; });
    data.onConnect(() => data.subscribeForQuotes([STOCK]));
    data.connect();
    await until("a first stock quote", () => firstQuote);
    out.firstQuote = { symbol: firstQuote.symbol, bid: firstQuote.bidPrice, ask: firstQuote.askPrice };

    const account = await t.account.getAccount();
    sdkCheck("Account", account, "account");
    check("account", lastWire("/v2/account").body, "GET /v2/account");
    out.account = { cash: account.cash, status: account.status, optionsTradingLevel: account.optionsTradingLevel };

    // --- trade_updates ----------------------------------------------------------------------
    // the SDK's parsed updates, and the same frames raw from a second listener (ws, the SDK's own
    // websocket dependency) for the wire check: the SDK's models drop nulls
    const rawUpdates = [];
    const raw = new WebSocket(`${lib.WS}/stream`);
    raw.on("message", (data) => {
        const m = JSON.parse(data.toString());
        if (m.stream === "authorization") raw.send(JSON.stringify({ action: "listen", data: { streams: ["trade_updates"] } }));
        else if (m.stream === "listening") rawListening = true;
        else if (m.stream === "trade_updates") rawUpdates.push(m.data);
    });
    raw.on("open", () => raw.send(JSON.stringify({ action: "auth", key: lib.KEY, secret: lib.SECRET })));
    let rawListening = false;
    await until("the raw listener", () => rawListening);

    const updates = [];
    const stream = t.stream({ url: `${lib.WS}/stream` });
    stream.onTradeUpdate((u) => updates.push(u));
    let listening = null;
    stream.on(streaming.EVENT.SUBSCRIPTION, (s) => { listening = s; });
    stream.on(streaming.EVENT.CLIENT_ERROR, (e) => { out.streamError = String(e); });
    stream.subscribeTradeUpdates();
    stream.connect();
    await until("listening on trade_updates", () => listening);
    out.listening = listening;

    // --- orders -----------------------------------------------------------------------------
    const stockOrder = await t.orders.market({ symbol: STOCK, qty: 10, side: "buy", clientOrderId: "sdk-stock-buy" });
    sdkCheck("Order", stockOrder, "market order");
    check("order", lastWire("/v2/orders", "POST").body, "POST /v2/orders (market)");

    // what alpaca-py sends for qty=1: a JSON number with a decimal point
    const decimalRes = await fetch(`${lib.BASE}/v2/orders`, {
        method: "POST",
        headers: { "APCA-API-KEY-ID": lib.KEY, "APCA-API-SECRET-KEY": lib.SECRET, "Content-Type": "application/json" },
        body: `{"symbol":"${LONG_CALL}","qty":1.0,"side":"buy","type":"market","time_in_force":"day","position_intent":"buy_to_open","client_order_id":"sdk-decimal-qty"}`,
    });
    out.decimalQty = { status: decimalRes.status, order: check("order", await decimalRes.json(), "POST /v2/orders (qty 1.0)") };

    const limitOrder = await t.orders.limit({ symbol: LONG_CALL, qty: "2.0", side: "buy", limitPrice: 99, clientOrderId: "sdk-call-limit", positionIntent: "buy_to_open" });
    sdkCheck("Order", limitOrder, "limit order");
    check("order", lastWire("/v2/orders", "POST").body, "POST /v2/orders (limit)");

    try {
        await t.orders.limit({ symbol: LONG_CALL, qty: "1.5", side: "buy", limitPrice: 99 });
        out.fractionalOption = "accepted";
    } catch (e) {
        out.fractionalOption = { validation: e instanceof ValidationError, status: e.status, code: e.code, message: e.message };
    }

    const resting = await t.orders.limit({ symbol: LONG_CALL, qty: 1, side: "buy", limitPrice: 0.01, clientOrderId: "sdk-resting" });
    await t.orders.deleteOrderByOrderID({ orderId: resting.id });
    out.cancelStatus = lastWire(`/v2/orders/${resting.id}`, "DELETE").status;
    const canceled = await t.orders.getOrderByOrderID({ orderId: resting.id });
    out.canceled = check("order", lastWire(`/v2/orders/${resting.id}`, "GET").body, "GET /v2/orders/{id} (canceled)");
    out.canceledParsed = { status: canceled.status, canceledAt: canceled.canceledAt instanceof Date };

    const spread = await t.orders.submit({
        type: "market", orderClass: "mleg", qty: 3, timeInForce: "day", clientOrderId: "sdk-spread",
        legs: [
            { symbol: LONG_CALL, ratioQty: "1", side: "buy", positionIntent: "buy_to_open" },
            { symbol: SHORT_CALL, ratioQty: "1", side: "sell", positionIntent: "sell_to_open" },
        ],
    });
    sdkCheck("Order", spread, "mleg order");
    (spread.legs || []).forEach((leg, i) => sdkCheck("OrderLeg", leg, `mleg order legs[${i}]`));
    check("order", lastWire("/v2/orders", "POST").body, "POST /v2/orders (mleg)");

    const spreadRead = await t.orders.getOrderByOrderID({ orderId: spread.id });
    (spreadRead.legs || []).forEach((leg, i) => sdkCheck("OrderLeg", leg, `GET mleg legs[${i}]`));
    out.spread = check("order", lastWire(`/v2/orders/${spread.id}`, "GET").body, "GET /v2/orders/{id} (mleg)");
    const byClient = await t.orders.getOrderByClientOrderId({ clientOrderId: "sdk-spread" });
    out.spreadByClientId = byClient.id === spread.id;

    const all = await t.orders.getAllOrders({ status: "all", direction: "asc" });
    all.forEach((o, i) => sdkCheck("Order", o, `orders[${i}]`));
    const rawAll = lastWire("/v2/orders?", "GET").body;
    rawAll.forEach((o, i) => check("order", o, `GET /v2/orders[${i}]`));
    out.orders = rawAll.map((o) => ({ client_order_id: o.client_order_id, status: o.status, order_class: o.order_class, side: o.side, qty: o.qty, filled_qty: o.filled_qty, filled_avg_price: o.filled_avg_price, legs: o.legs ? o.legs.length : null }));
    // filters: submitted strictly after the 2nd and before the 4th; by side (an mleg order has none)
    const window = await t.orders.getAllOrders({ status: "all", direction: "asc", after: rawAll[1].submitted_at, until: rawAll[3].submitted_at, nested: true });
    out.window = window.map((o) => o.clientOrderId);
    const buys = await t.orders.getAllOrders({ status: "all", direction: "asc", side: "buy" });
    out.buys = buys.map((o) => o.clientOrderId);

    const positions = await t.positions.getAllOpenPositions();
    positions.forEach((p, i) => sdkCheck("Position", p, `positions[${i}]`));
    const rawPositions = lastWire("/v2/positions", "GET").body;
    rawPositions.forEach((p, i) => check("position", p, `GET /v2/positions[${i}]`));
    out.positions = rawPositions.map((p) => ({ symbol: p.symbol, qty: p.qty, side: p.side, avg_entry_price: p.avg_entry_price, asset_class: p.asset_class }));

    // --- closing ----------------------------------------------------------------------------
    const closeOne = await t.positions.deleteOpenPosition({ symbolOrAssetId: STOCK, qty: 4 });
    sdkCheck("Order", closeOne, "close one");
    out.closeOne = check("order", lastWire(`/v2/positions/${STOCK}`, "DELETE").body, "DELETE /v2/positions/{symbol}");
    await until("the partial close to fill", async () => (await t.orders.getOrderByOrderID({ orderId: closeOne.id })).status === "filled");
    const stockAfter = await t.positions.getOpenPosition({ symbolOrAssetId: STOCK });
    out.stockAfterClose = stockAfter.qty;

    const another = await t.orders.limit({ symbol: STOCK, qty: 1, side: "buy", limitPrice: 1, clientOrderId: "sdk-cancel-all" });
    const cancelAll = await t.orders.deleteAllOrders();
    const rawCancelAll = lastWire("/v2/orders", "DELETE");
    rawCancelAll.body.forEach((r, i) => { check("cancelResult", r, `DELETE /v2/orders[${i}]`); check("order", r.body, `DELETE /v2/orders[${i}].body`); });
    out.cancelAll = { status: rawCancelAll.status, ids: rawCancelAll.body.map((r) => r.id), expected: another.id, parsed: cancelAll.length };

    const closeAll = await t.closeAllPositions({ cancelOrders: true });
    closeAll.forEach((r, i) => sdkCheck("PositionClosedReponse", r, `close all[${i}]`));
    const rawCloseAll = lastWire("/v2/positions", "DELETE");
    rawCloseAll.body.forEach((r, i) => { check("closeResult", r, `DELETE /v2/positions[${i}]`); check("order", r.body, `DELETE /v2/positions[${i}].body`); });
    out.closeAll = { status: rawCloseAll.status, results: rawCloseAll.body.map((r) => ({ symbol: r.symbol, status: r.status, side: r.body.side, qty: r.body.qty, intent: r.body.position_intent })) };
    await until("every position closed", async () => (await t.positions.getAllOpenPositions()).length === 0);

    const activities = await t.accountActivities.getAccountActivities({});
    const rawActivities = lastWire("/v2/account/activities").body;
    rawActivities.forEach((a, i) => check(a.activity_type === "FILL" ? "fillActivity" : "activity", a, `GET /v2/account/activities[${i}]`));
    out.activities = rawActivities.map((a) => ({ activity_type: a.activity_type, symbol: a.symbol, side: a.side, qty: a.qty, price: a.price, order_id: a.order_id }));
    out.activitiesParsed = activities.length;

    // --- what the stream said -----------------------------------------------------------------
    const closingIds = out.closeAll.results.length;
    await until("the fills of the closes on trade_updates", () => updates.filter((u) => u.event === "fill").length >= 5 + closingIds);
    await lib.sleep(200);
    out.rawUpdateCount = rawUpdates.length;
    rawUpdates.forEach((u, i) => {
        check("tradeUpdate", u, `trade_updates[${i}]`);
        check("order", u.order, `trade_updates[${i}].order`);
        if (u.event === "fill" || u.event === "partial_fill") check("execution", u, `trade_updates[${i}]`);
    });
    out.updates = updates.map((u, i) => {
        sdkCheck("Order", u.order, `trade_updates[${i}].order (SDK)`);
        return {
            event: u.event, client_order_id: u.order.clientOrderId, status: u.order.status, order_class: u.order.orderClass,
            price: u.price ?? null, qty: u.qty ?? null, position_qty: u.positionQty ?? null,
            position_qtys: u.position_qtys ?? null, legs: (u.order.legs || []).map((l) => ({ symbol: l.symbol, side: l.side, filled_qty: l.filledQty, filled_avg_price: l.filledAvgPrice ?? null, client_order_id: l.clientOrderId })),
        };
    });
    stream.disconnect();
    data.disconnect();
    raw.close();
    finish(out);
}

main().catch(fail);
