// Streamer's live dashboard: one EventSource (/api/events) carries the service's own snapshot, exit and
// alert payloads (the JSON that goes to NATS) and a health sample each second; the page only renders them.
// Actions go to /api/control/<verb>, the control API's handlers. No framework, no network but this origin.
'use strict';

const positions = new Map();   // id -> { p: snapshot entry, underlying, time, paused }
const byUnderlying = new Map(); // underlying -> Set of ids in its latest snapshot
const removed = new Set();
const exits = [];
const latencies = [];
let sortKey = 'id', sortAsc = true, renderQueued = false;

const WHAT_TO_DO = {
  unmonitored: 'A position is held (broker or fills) that no rule watches: add it (streamer.control.add or the positions file) or close it at the broker.',
  stale_feed: 'Quotes stopped for a symbol: its marks are stale and its price rules cannot fire. Check the feed subscription and the market-data status.',
  feed_down: 'Market data is disconnected: nothing can fire on prices. The service reconnects by itself; if it lasts, check network, keys and Alpaca status.',
  broken_spread: 'A spread lost a leg (one side closed or unquoted): check it at the broker and close the remaining leg, or add the spread again as it is now.',
  order_failed: 'The executor\'s closing order was refused or not filled: check the broker (buying power, halted symbol, option quotes). After "GAVE UP", close the position by hand.',
  nothing_monitored: 'The service watches no position: check Positions:File, the journal, or add positions over streamer.control.add.',
  backpressure: 'Ticks arrive faster than a shard evaluates them: raise Pipeline:Shards or reduce subscriptions; decisions are late meanwhile.',
  outbox_full: 'Many exits wait for NATS: check the NATS server and JetStream; they are journaled and go out when it is back.',
  rejected_input: 'A fill, a control request or a position was refused: fix the sender (the message names the field) and send it again.',
  nats_outage: 'NATS is unreachable: exits are journaled and published when it returns; check nats-server and Nats:Url.',
  exit_publish_failed: 'JetStream refused an exit: check the stream (limits, storage) and the server log; the exit stays journaled and is retried.',
  exit_parked: 'One exit keeps being refused: its position\'s exits wait behind it; check the stream, then the exit in the journal.',
  exit_unparked: 'The parked exit went out: nothing to do.',
  journal_error: 'The journal (SQLite) failed: check disk space and the file (Journal:Path); see docs/journal.md "Recovery".',
  position_mismatch: 'The engine and the broker disagree about a position: compare both and fix the broker side or the position.',
  clock_skew: 'The feed is stamped far from the wall clock: for a delayed feed or the emulator set Alpaca:MarketClockSpeed.',
  market_data: 'The market-data stream reported a problem: read the message; check keys and subscription limits.',
  engine_error: 'The engine failed on an input: the message names it; report it with the journal.',
  dashboard_down: 'The dashboard could not listen: pick a free port in Dashboard:Url.',
};

const $ = (s) => document.querySelector(s);
function el(tag, cls, text) { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined && text !== null) e.textContent = text; return e; }
function num(v, d) { return v === null || v === undefined || Number.isNaN(v) ? '–' : Number(v).toFixed(d); }
function money(v) { return v === null || v === undefined ? '–' : (v < 0 ? '−$' : '$') + Math.abs(v).toFixed(2); }
function pct(v) { return v === null || v === undefined ? '–' : (v * 100).toFixed(1) + '%'; }
function signCls(v) { return v > 0 ? 'pos' : v < 0 ? 'neg' : ''; }
function nsText(ns) { if (ns === null || ns === undefined) return '–'; if (ns < 1e3) return ns + ' ns'; if (ns < 1e6) return (ns / 1e3).toFixed(1) + ' µs'; if (ns < 1e9) return (ns / 1e6).toFixed(1) + ' ms'; return (ns / 1e9).toFixed(2) + ' s'; }
function ageText(s) { if (s === null || s === undefined) return 'no quote'; if (s < 60) return s.toFixed(1) + ' s'; if (s < 3600) return (s / 60).toFixed(1) + ' min'; return (s / 3600).toFixed(1) + ' h'; }
function statusOf(e) { return e.p.status === 'closed' ? 'closed' : e.paused ? 'paused' : 'open'; }
function timeOf(iso) { return iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : ''; }

// ---------------------------------------------------------------- events

function onSnapshot(s) {
  const ids = new Set();
  for (const p of s.positions) {
    if (removed.has(p.id)) continue;
    ids.add(p.id);
    const old = positions.get(p.id);
    positions.set(p.id, { p, underlying: s.underlying, time: s.time, paused: !!p.paused, changed: !old || JSON.stringify(old.p) !== JSON.stringify(p) });
  }
  for (const id of byUnderlying.get(s.underlying) || []) if (!ids.has(id)) positions.delete(id);
  byUnderlying.set(s.underlying, ids);
  $('#engine-time').textContent = 'engine clock ' + timeOf(s.time);
  queueRender();
}

function onRemoved(r) { removed.add(r.id); positions.delete(r.id); queueRender(); }

function onExit(x) {
  exits.push(x);
  if (typeof x.latency_ns === 'number') { latencies.push(x.latency_ns); drawHistogram(); }
  const tr = el('tr', 'exit');
  tr.dataset.exitId = x.id;
  tr.dataset.positionId = x.position_id;
  const cells = [timeOf(x.time), x.id, x.rule, x.reason, x.contracts_closed + ' closed, ' + x.contracts_remaining + ' left of ' + x.contracts_original, money(x.pnl), pct(x.pnl_pct), nsText(x.latency_ns)];
  cells.forEach((c, i) => { const td = el('td', i >= 5 ? 'num' : '', c); if (i === 5) td.classList.add(signCls(x.pnl)); tr.appendChild(td); });
  tr.classList.add('flash');
  $('#exits tbody').prepend(tr);
  $('#exit-count').textContent = '(' + exits.length + ')';
}

function onAlert(a) {
  const li = el('li', 'alert');
  li.dataset.kind = a.kind;
  li.appendChild(el('span', 'muted', timeOf(a.time) + ' '));
  li.appendChild(el('span', 'kind', a.kind));
  li.appendChild(el('span', 'message', a.message));
  li.appendChild(el('span', 'todo', 'What to do: ' + (WHAT_TO_DO[a.kind] || 'read the message; docs/run.md lists every alert.')));
  $('#alerts').prepend(li);
  while ($('#alerts').children.length > 200) $('#alerts').lastChild.remove();
  $('#alert-count').textContent = '(' + $('#alerts').children.length + ')';
}

function onStatus(s) {
  const set = (k, text, cls) => { for (const e of document.querySelectorAll('[data-health="' + k + '"]')) { e.textContent = text; if (cls !== undefined) e.className = 'v ' + cls; } };
  set('status', s.status, s.status === 'ok' ? 'ok' : 'bad');
  set('feed', s.feed, s.feed === 'live' ? 'ok' : s.feed === 'ended' ? 'warn' : 'bad');
  set('feed_source', (s.feed_source || '') + (s.feeds ? ': ' + Object.entries(s.feeds).map(([k, v]) => k + ' ' + v).join(', ') : ''));
  set('ticks_per_second', num(s.ticks_per_second, 1));
  set('ticks_total', s.ticks_total !== undefined ? s.ticks_total + ' total' : '');
  set('last_tick_age_s', ageText(s.last_tick_age_s));
  set('nats', s.nats, s.nats === 'connected' ? 'ok' : 'bad');
  set('journal', s.journal, s.journal === 'ok' ? 'ok' : 'bad');
  set('exit_backlog', String(s.exit_backlog), s.exit_backlog === 0 ? 'ok' : 'warn');
  set('exits_published', s.exits_published + ' published');
  set('positions_monitored', String(s.positions_monitored));
  set('monitoring', s.monitoring || '');
  set('tick_to_decision_p99_ns', nsText(s.tick_to_decision_p99_ns));
  const orders = Object.entries(s.executor_orders || {}).map(([k, v]) => k + ' ' + v).join(', ');
  set('executor_orders', orders || 'none');
}

// ---------------------------------------------------------------- positions table

function queueRender() { if (!renderQueued) { renderQueued = true; requestAnimationFrame(render); } }

function sortValue(e, key) {
  if (key === 'underlying') return e.underlying;
  if (key === 'status') return statusOf(e);
  if (key === 'quote_age') return maxAge(e.p);
  const v = e.p[key];
  return v === null || v === undefined ? -Infinity : v;
}

function maxAge(p) { let m = null; for (const l of p.legs || []) if (l.quote_age_s !== null && (m === null || l.quote_age_s > m)) m = l.quote_age_s; return m; }

function fillSelect(sel, values) {
  const have = new Set([...sel.options].map(o => o.value));
  for (const v of [...values].sort()) if (!have.has(v)) sel.appendChild(el('option', '', v));
}

function render() {
  renderQueued = false;
  const all = [...positions.entries()];
  fillSelect($('#filter-underlying'), new Set(all.map(([, e]) => e.underlying)));
  fillSelect($('#filter-book'), new Set(all.map(([, e]) => e.p.book)));
  const fu = $('#filter-underlying').value, fb = $('#filter-book').value, fs = $('#filter-status').value, ft = $('#filter-text').value.trim().toUpperCase();
  const rows = all.filter(([id, e]) => (!fu || e.underlying === fu) && (!fb || e.p.book === fb) && (!fs || statusOf(e) === fs)
    && (!ft || id.toUpperCase().includes(ft) || (e.p.legs || []).some(l => l.symbol.includes(ft))));
  rows.sort(([, a], [, b]) => { const x = sortValue(a, sortKey), y = sortValue(b, sortKey); const c = x < y ? -1 : x > y ? 1 : 0; return sortAsc ? c : -c; });
  const tbody = $('#positions tbody');
  const existing = new Map([...tbody.rows].map(r => [r.dataset.id, r]));
  const keep = new Set();
  let before = null;
  for (let i = rows.length - 1; i >= 0; i--) {
    const [id, e] = rows[i];
    keep.add(id);
    let tr = existing.get(id);
    if (!tr) {
      tr = row(id, e);
      tr.classList.add('flash');
    } else if (e.changed) {
      update(tr, row(id, e));
    }
    e.changed = false;
    // moved only when out of place: re-inserting a row in place would still detach it, and a click in progress on it would be lost
    if (tr.parentNode !== tbody || tr.nextSibling !== before) tbody.insertBefore(tr, before);
    before = tr;
  }
  for (const [id, tr] of existing) if (!keep.has(id)) tr.remove();
  $('#position-count').textContent = '(' + rows.length + ' of ' + positions.size + ')';
  $('#no-positions').style.display = positions.size ? 'none' : '';
}

// the row stays, its cells are swapped: the action buttons are kept while the status is the same, so a
// click in progress is never lost to a snapshot arriving between the press and the release
function update(tr, fresh) {
  const keepActions = tr.dataset.status === fresh.dataset.status;
  const cells = [...fresh.cells];
  [...tr.cells].forEach((old, i) => { if (!(keepActions && old.dataset.field === 'actions')) tr.replaceChild(cells[i], old); });
  tr.className = fresh.className;
  Object.assign(tr.dataset, fresh.dataset);
  tr.classList.remove('flash');
  void tr.offsetWidth; // restart the flash animation
  tr.classList.add('flash');
}

function cell(tr, field, text, cls) { const td = el('td', cls || '', text); if (field) td.dataset.field = field; tr.appendChild(td); return td; }

function row(id, e) {
  const p = e.p, tr = el('tr', 'position ' + statusOf(e));
  tr.dataset.id = id;
  tr.dataset.underlying = e.underlying;
  tr.dataset.book = p.book;
  tr.dataset.status = statusOf(e);
  cell(tr, 'id', id).title = p.strategy;
  cell(tr, 'underlying', e.underlying);
  cell(tr, 'book', p.book);
  const legs = cell(tr, 'legs', null, 'legs');
  for (const l of p.legs || []) legs.appendChild(el('div', '', (l.qty > 0 ? '+' : '') + l.qty + ' ' + l.symbol + ' @ ' + num(l.mark, 2) + (l.iv !== undefined ? ', IV ' + (l.iv === null ? '–' : (l.iv * 100).toFixed(1) + '%') : '') + ', ' + ageText(l.quote_age_s)));
  cell(tr, 'contracts', p.contracts_remaining + ' / ' + p.contracts_original, 'num');
  cell(tr, 'underlying_price', num(p.underlying_price, 2), 'num');
  cell(tr, 'value', money(p.value), 'num');
  cell(tr, 'pnl', money(p.pnl), 'num ' + signCls(p.pnl));
  cell(tr, 'pnl_pct', pct(p.pnl_pct), 'num ' + signCls(p.pnl_pct));
  cell(tr, 'pct_max_profit', pct(p.pct_max_profit), 'num');
  const g = p.greeks || {};
  // the snapshot's units are formats.md's (theta per year, vega per 1.00 of vol): shown per day and per vol point
  cell(tr, 'greeks', num(g.delta, 2) + ' / ' + num(g.gamma, 3) + ' / ' + num(g.theta / 365, 2) + ' / ' + num(g.vega / 100, 2), 'num');
  cell(tr, 'quote_age', ageText(maxAge(p)), 'num');
  const bars = cell(tr, 'triggers', null);
  for (const b of triggerBars(p, e.time)) bars.appendChild(b);
  cell(tr, 'status', null).appendChild(el('span', 'status ' + statusOf(e), statusOf(e)));
  const actions = cell(tr, 'actions', null, 'actions');
  if (p.status !== 'closed') {
    if (e.paused) actions.appendChild(button('resume', id, 'Resume the rules of ' + id + '? Its exits can fire again at the next tick.'));
    else actions.appendChild(button('pause', id, 'Pause the rules of ' + id + '? It stays priced, but no exit fires until it is resumed.'));
    actions.appendChild(button('close', id, 'Close ' + id + ' now? An exit for everything open goes out (rule manual); the executor, if it runs, sends the orders.'));
    actions.appendChild(button('remove', id, 'Stop monitoring ' + id + '? Nothing watches it afterwards (it is not closed at the broker).'));
  }
  return tr;
}

// closeness 0..1 (1 = at the trigger); the text says the distance in the rule's own unit
function bar(rule, closeness, text) {
  const c = Math.max(0, Math.min(1, Number.isFinite(closeness) ? closeness : 0));
  const d = el('div', 'bar' + (c >= 0.9 ? ' hot' : c >= 0.7 ? ' near' : ''));
  d.dataset.rule = rule;
  d.appendChild(el('span', 'muted', rule));
  const track = el('span', 'track'), fill = el('span', 'fill');
  fill.style.width = (c * 100).toFixed(0) + '%';
  fill.style.display = 'block';
  track.appendChild(fill);
  d.appendChild(track);
  d.appendChild(el('span', '', text));
  return d;
}

function triggerBars(p, time) {
  const t = p.triggers || {}, out = [], spot = p.underlying_price, now = Date.parse(time);
  const price = (k, rule) => { if (t[k] !== undefined && spot) out.push(bar(rule, 1 - t[k] / (0.05 * spot), money(t[k]) + ' away')); };
  price('underlying_to_stop', 'stop'); price('underlying_to_target', 'target');
  const gain = (k, rule) => { if (t[k] !== undefined) out.push(bar(rule, 1 - t[k] / 0.5, (t[k] * 100).toFixed(1) + ' pts away')); };
  gain('gain_to_premium_target', 'premium target'); gain('gain_to_premium_stop', 'premium stop');
  if (t.value_to_trailing_stop !== undefined) out.push(bar('trailing stop', 1 - t.value_to_trailing_stop / Math.max(1, 0.25 * Math.abs(p.value || 0)), money(t.value_to_trailing_stop) + ' above the trail'));
  if (t.debit_to_credit_stop !== undefined) out.push(bar('credit stop', 1 - t.debit_to_credit_stop / Math.max(1, Math.abs(p.value || 0) * 1.5), money(t.debit_to_credit_stop) + ' to the stop'));
  if (t.to_next_tranche !== undefined) out.push(bar('scale-out', 1 - t.to_next_tranche / Math.max(0.01, t.next_tranche_level || 1), (t.to_next_tranche * 100).toFixed(1) + ' pts to ' + pct(t.next_tranche_level)));
  if (t.max_short_delta !== undefined && t.short_delta_limit) out.push(bar('short Δ', t.max_short_delta / t.short_delta_limit, t.max_short_delta.toFixed(2) + ' of ' + t.short_delta_limit.toFixed(2)));
  const at = (k, rule, scaleS) => { if (t[k] && Number.isFinite(now)) { const s = (Date.parse(t[k]) - now) / 1000; out.push(bar(rule, 1 - s / scaleS, s >= 0 ? ageText(s) + ' to go' : 'due')); } };
  at('day_trade_close_at', 'close', 3600); at('max_hold_at', 'max hold', 4 * 3600); at('expiry_risk_at', 'expiry risk', 24 * 3600); at('dte_stop_at', 'DTE stop', 7 * 86400);
  return out;
}

// ---------------------------------------------------------------- actions

function button(verb, id, question) {
  const b = el('button', verb === 'remove' || verb === 'close' ? 'danger' : '', verb === 'close' ? 'close now' : verb);
  b.dataset.action = verb;
  b.addEventListener('click', () => confirmThen(question, () => act(verb, id)));
  return b;
}

function confirmThen(question, then) {
  const d = $('#confirm');
  $('#confirm-text').textContent = question;
  d.onclose = () => { if (d.returnValue === 'yes') then(); };
  d.returnValue = '';
  d.showModal();
}

async function act(verb, id) {
  try {
    const r = await fetch('api/control/' + verb, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Streamer-Dashboard': '1' }, body: JSON.stringify({ id }) });
    const reply = await r.json();
    if (!reply.ok) { toast(verb + ' ' + id + ': ' + reply.error, true); }
    else {
      toast(verb + ' ' + id + ': ' + (reply.exit ? 'exit ' + reply.exit : 'done'));
      const e = positions.get(id);
      if (e && (verb === 'pause' || verb === 'resume')) { e.paused = verb === 'pause'; e.changed = true; }
      if (verb === 'remove') onRemoved({ id });
      queueRender();
    }
  } catch (err) {
    toast(verb + ' ' + id + ': ' + err, true);
  }
  loadActions();
}

function toast(text, error) {
  const t = $('#toast');
  t.textContent = text;
  t.className = 'show' + (error ? ' error' : '');
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.className = ''; }, 4000);
}

async function loadActions() {
  try {
    const r = await fetch('api/actions');
    if (!r.ok) return;
    const { actions } = await r.json();
    const tbody = $('#actions tbody');
    tbody.replaceChildren();
    for (const a of actions.slice().reverse()) {
      const tr = el('tr', 'action');
      tr.dataset.verb = a.verb;
      tr.dataset.positionId = a.position_id || '';
      for (const c of [timeOf(a.time), a.actor, a.verb, a.position_id || '', a.ok ? 'done' : 'refused: ' + (a.detail || '')]) tr.appendChild(el('td', '', c));
      tbody.appendChild(tr);
    }
  } catch (err) {
    // the next action or reconnect loads it again
  }
}

// ---------------------------------------------------------------- latency histogram

function drawHistogram() {
  const edges = [1e4, 1e5, 1e6, 1e7, 1e8, Infinity], labels = ['<10µs', '<100µs', '<1ms', '<10ms', '<100ms', '≥100ms'];
  const counts = edges.map(() => 0);
  for (const v of latencies) counts[edges.findIndex(e => v < e)]++;
  const max = Math.max(1, ...counts), svg = $('#latency-histogram'), ns = 'http://www.w3.org/2000/svg';
  svg.replaceChildren();
  counts.forEach((c, i) => {
    const h = 60 * c / max, x = 8 + i * 58;
    const r = document.createElementNS(ns, 'rect');
    r.setAttribute('x', x); r.setAttribute('y', 70 - h); r.setAttribute('width', 44); r.setAttribute('height', Math.max(h, c ? 1 : 0));
    r.dataset.count = c;
    svg.appendChild(r);
    for (const [y, s] of [[84, labels[i]], [66 - h, c ? String(c) : '']]) { const t = document.createElementNS(ns, 'text'); t.setAttribute('x', x); t.setAttribute('y', y); t.textContent = s; svg.appendChild(t); }
  });
}

// ---------------------------------------------------------------- wiring

function connect() {
  const source = new EventSource('api/events');
  const conn = $('#conn');
  source.onopen = () => { conn.textContent = 'live'; conn.className = 'badge good'; };
  source.onerror = () => { conn.textContent = 'reconnecting'; conn.className = 'badge bad'; };
  source.addEventListener('hello', () => {
    // a (re)connect sends the whole state again: start from it
    positions.clear(); byUnderlying.clear(); removed.clear(); exits.length = 0; latencies.length = 0;
    $('#exits tbody').replaceChildren(); $('#alerts').replaceChildren();
    loadActions();
    queueRender();
  });
  const on = (name, f) => source.addEventListener(name, (m) => f(JSON.parse(m.data)));
  on('snapshot', onSnapshot);
  on('removed', onRemoved);
  on('exit', onExit);
  on('alert', onAlert);
  on('status', onStatus);
}

document.addEventListener('DOMContentLoaded', () => {
  for (const th of document.querySelectorAll('#positions th[data-sort]')) {
    th.addEventListener('click', () => {
      const k = th.dataset.sort;
      if (sortKey === k) sortAsc = !sortAsc; else { sortKey = k; sortAsc = true; }
      for (const o of document.querySelectorAll('#positions th')) o.classList.remove('sorted', 'asc');
      th.classList.add('sorted'); if (sortAsc) th.classList.add('asc');
      for (const e of positions.values()) e.changed = true;
      queueRender();
    });
  }
  for (const f of ['#filter-underlying', '#filter-book', '#filter-status']) $(f).addEventListener('change', queueRender);
  $('#filter-text').addEventListener('input', queueRender);
  drawHistogram();
  connect();
});
