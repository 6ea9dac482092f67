"use strict";
// An independent reader of the feed gateway (docs/cluster.md "Feed gateway"), with the official nats.js
// client: declares demand on streamer.demand.<ENGINE> as a request, reads streamer.ticks.<UNDERLYING>
// and decodes each record from the documented byte layout with a DataView (no Streamer code), then
// withdraws. Env: NATS_URL, ENGINE, UNDERLYING, SYMBOLS (comma-separated), COUNT (ticks per symbol, default 3).
// Prints one JSON object: { reply, withdrawn, ticks: [{subject, symbol, fields, time, bid, ask, last}], violations: [] }.

const { connect, StringCodec } = require("nats");

const ENGINE = process.env.ENGINE;
const UNDERLYING = process.env.UNDERLYING;
const SYMBOLS = process.env.SYMBOLS.split(",");
const COUNT = Number(process.env.COUNT || 3);
const sc = StringCodec();

// the record: u8 'T' | i64 time ns | u8 fields | f64 bid | f64 ask | f64 last | u8 n | n bytes symbol (little-endian)
function decode(subject, data, out, violations) {
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    let at = 0;
    while (at < data.byteLength) {
        if (data.byteLength - at < 35) { violations.push(`${subject}: record at ${at} cut short (${data.byteLength - at} bytes)`); return; }
        if (view.getUint8(at) !== 0x54) { violations.push(`${subject}: record at ${at}: tag ${view.getUint8(at)}`); return; }
        const fields = view.getUint8(at + 9);
        const n = view.getUint8(at + 34);
        if (fields < 1 || fields > 3) violations.push(`${subject}: fields ${fields}`);
        if (n < 1 || n > 64 || data.byteLength - at < 35 + n) { violations.push(`${subject}: symbol length ${n}`); return; }
        const symbol = Buffer.from(data.subarray(at + 35, at + 35 + n)).toString("ascii");
        out.push({
            subject, symbol, fields,
            time: view.getBigInt64(at + 1, true).toString(),
            bid: view.getFloat64(at + 10, true), ask: view.getFloat64(at + 18, true), last: view.getFloat64(at + 26, true),
        });
        at += 35 + n;
    }
}

async function main() {
    const nc = await connect({ servers: process.env.NATS_URL, name: "gateway-ticks.js" });
    const out = { ticks: [], violations: [] };
    const subject = `streamer.ticks.${UNDERLYING.replaceAll(".", "_")}`;
    const sub = nc.subscribe(subject);
    const reading = (async () => {
        for await (const m of sub) {
            decode(m.subject, m.data, out.ticks, out.violations);
            if (SYMBOLS.every((s) => out.ticks.filter((t) => t.symbol === s).length >= COUNT)) break;
        }
    })();
    const demand = { engine: ENGINE, lease_ms: 10000, underlyings: { [UNDERLYING]: SYMBOLS } };
    out.reply = JSON.parse(sc.decode((await nc.request(`streamer.demand.${ENGINE}`, sc.encode(JSON.stringify(demand)), { timeout: 5000 })).data));
    const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error(`fewer than ${COUNT} ticks of each of ${SYMBOLS} within 30 s`)), 30000));
    await Promise.race([reading, timeout]);
    sub.unsubscribe();
    for (const t of out.ticks) {
        if (!SYMBOLS.includes(t.symbol)) out.violations.push(`${t.symbol}: never demanded`);
        if (t.subject !== subject) out.violations.push(`${t.symbol} on ${t.subject}`);
    }
    out.withdrawn = JSON.parse(sc.decode((await nc.request(`streamer.demand.${ENGINE}`, sc.encode(JSON.stringify({ lease_ms: 10000, underlyings: {} })), { timeout: 5000 })).data));
    await nc.drain();
    process.stdout.write(JSON.stringify(out));
}

main().catch((e) => { process.stderr.write(String(e.stack || e)); process.exit(1); });
