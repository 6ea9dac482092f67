"use strict";
// An expiration day at `streamer emulate --assign SHORT_PUT@T` (pin-risk liquidation on, the default), through Alpaca's
// Node SDK: two put spreads opened as mleg orders; the first's short put is assigned (shares appear, an OPASN
// activity, nothing on trade_updates); at 15:30 ET the risk desk closes the second's short put alone with a simple
// market order of its own (listed, on trade_updates, a FILL activity). Env: STREAMER_EMULATOR_URL, APCA_API_KEY_ID,
// APCA_API_SECRET_KEY, STOCK, SHORT_PUT, LONG_PUT, PIN_SHORT, PIN_LONG. Prints one JSON object (lib/emulator.js).

const lib = require("./lib/emulator");
const { check, sdkCheck, lastWire, until, finish, fail } = lib;

const { STOCK, SHORT_PUT, LONG_PUT, PIN_SHORT, PIN_LONG } = process.env;

async function main() {
    const alpaca = lib.makeAlpaca();
    const t = alpaca.trading;
    const out = {};

    // the market clock starts at the first data subscription
    const data = alpaca.marketData.stockStream({ feed: "iex", url: `${lib.WS}/v2/iex` });
    let lastQuote = null;
    data.onQuote((q) => { lastQuote = q; });
    data.onConnect(() => data.subscribeForQuotes([STOCK]));
    data.connect();
    await until("a first stock quote", () => lastQuote);

    const updates = [];
    const stream = t.stream({ url: `${lib.WS}/stream` });
    stream.onTradeUpdate((u) => updates.push(u));
    let listening = null;
    stream.on("subscription", (s) => { listening = s; });
    stream.subscribeTradeUpdates();
    stream.connect();
    await until("listening on trade_updates", () => listening);

    const spread = (id, shortPut, longPut, qty) => t.orders.submit({
        type: "market", orderClass: "mleg", qty, timeInForce: "day", clientOrderId: id,
        legs: [
            { symbol: shortPut, ratioQty: "1", side: "sell", positionIntent: "sell_to_open" },
            { symbol: longPut, ratioQty: "1", side: "buy", positionIntent: "buy_to_open" },
        ],
    });
    await spread("sdk-assigned", SHORT_PUT, LONG_PUT, 2);
    await spread("sdk-pinned", PIN_SHORT, PIN_LONG, 1);
    out.opened = (await t.positions.getAllOpenPositions()).map((p) => ({ symbol: p.symbol, qty: p.qty }));

    // after the assignment and the 15:30 liquidation: both short puts gone, the shares there
    await until("the assignment and the liquidation", async () => {
        const held = await t.positions.getAllOpenPositions();
        return !held.some((p) => p.symbol === SHORT_PUT || p.symbol === PIN_SHORT) && held.some((p) => p.symbol === STOCK);
    }, 60000);
    const positions = await t.positions.getAllOpenPositions();
    positions.forEach((p, i) => sdkCheck("Position", p, `positions[${i}]`));
    const rawPositions = lastWire("/v2/positions", "GET").body;
    rawPositions.forEach((p, i) => check("position", p, `GET /v2/positions[${i}]`));
    out.positions = rawPositions.map((p) => ({ symbol: p.symbol, qty: p.qty, side: p.side, avg_entry_price: p.avg_entry_price, asset_class: p.asset_class }));

    const assignments = await t.accountActivities.getAccountActivitiesByActivityType({ activityType: "OPASN" });
    const rawAssignments = lastWire("/v2/account/activities/OPASN").body;
    rawAssignments.forEach((a, i) => check("activity", a, `GET /v2/account/activities/OPASN[${i}]`));
    out.assignments = rawAssignments.map((a) => ({ activity_type: a.activity_type, symbol: a.symbol, qty: a.qty, price: a.price, net_amount: a.net_amount, description: a.description }));
    out.assignmentsParsed = assignments.length;

    const activities = await t.accountActivities.getAccountActivities({});
    const rawActivities = lastWire("/v2/account/activities").body;
    rawActivities.forEach((a, i) => check(a.activity_type === "FILL" ? "fillActivity" : "activity", a, `GET /v2/account/activities[${i}]`));
    out.activities = rawActivities.map((a) => ({ activity_type: a.activity_type, symbol: a.symbol, side: a.side ?? null, qty: a.qty, price: a.price, order_id: a.order_id ?? null }));
    out.activitiesParsed = activities.length;

    const closed = await t.orders.getAllOrders({ status: "closed", direction: "asc" });
    closed.forEach((o, i) => sdkCheck("Order", o, `orders[${i}]`));
    const rawClosed = lastWire("/v2/orders?", "GET").body;
    rawClosed.forEach((o, i) => check("order", o, `GET /v2/orders[${i}]`));
    out.orders = rawClosed.map((o) => ({ id: o.id, client_order_id: o.client_order_id, order_class: o.order_class, symbol: o.symbol, side: o.side, position_intent: o.position_intent, type: o.type, status: o.status, qty: o.qty, filled_qty: o.filled_qty, filled_avg_price: o.filled_avg_price }));

    await lib.sleep(300);
    out.updates = updates.map((u, i) => {
        sdkCheck("Order", u.order, `trade_updates[${i}].order (SDK)`);
        return { event: u.event, client_order_id: u.order.clientOrderId, symbol: u.order.symbol ?? "", order_class: u.order.orderClass };
    });
    stream.disconnect();
    data.disconnect();
    finish(out);
}

main().catch(fail);
