// The console in a real browser (issue 18; ctest label `ui`): Debian's
// Chromium, headless, driven by playwright-core. Starts `sluice serve` on
// loopback with a second, deliberately strict subscription, sends traffic,
// and checks each view; screenshots of every view go to OUT_DIR on every run.
//
//   node console_ui.mjs   (env: SLUICE_BINARY, SLUICE_SOURCE_DIR, SLUICE_NPM_DIR, OUT_DIR)
//
// Bounded: every wait has a limit, the whole run is killed after 240 s, and
// only the processes started here are stopped (by PID).

import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';

const BIN = process.env.SLUICE_BINARY;
const SRC = process.env.SLUICE_SOURCE_DIR;
const OUT = process.env.OUT_DIR;
const require = createRequire(join(process.env.SLUICE_NPM_DIR, 'node_modules', 'index.js'));
const { chromium } = require('playwright-core');

const hard_stop = setTimeout(() => { console.error('console_ui: over 240 s, giving up'); cleanup(); process.exit(1); }, 240_000);
hard_stop.unref();

const dir = mkdtempSync(join(tmpdir(), 'sluice-ui-'));
mkdirSync(OUT, { recursive: true });
let server = null;
let browser = null;
let base = '';
const PEPPER = 'ui-test-pepper-0123456789abcdef';

function cleanup() {
  if (server && server.exitCode === null) server.kill('SIGKILL');
}

// The shipped config plus a second resource whose only subscription is the
// strict one: its table gets a CHECK the API does not know of (tighten()).
const config = `${readFileSync(join(SRC, 'config', 'sluice.toml'), 'utf8')}
[[resources]]
name = "orders"
  [[resources.fields]]
  name = "item"
  type = "string"
  required = true
  [[resources.fields]]
  name = "qty"
  type = "integer"
  required = true

[[subscriptions]]
name = "users"
resource = "users"

[[subscriptions]]
name = "orders-strict"
resource = "orders"
table = "orders"
`;
writeFileSync(join(dir, 'sluice.toml'), config);
const DB = join(dir, 'sluice.db');

function sqlite(sql) {
  return execFileSync('sqlite3', ['-cmd', '.timeout 5000', DB, sql], { encoding: 'utf8' }).trim();
}

// Changes the orders table's CHECK constraints in place (SQLite's documented
// writable_schema procedure for CHECK changes; the schema_version bump makes
// the running server's connections reload the schema).
function alter_orders_sql(expr) {
  const version = Number(sqlite('PRAGMA schema_version;'));
  sqlite(`PRAGMA writable_schema = ON; UPDATE sqlite_schema SET sql = ${expr} WHERE name = 'orders'; PRAGMA schema_version = ${version + 1}; PRAGMA writable_schema = OFF;`);
}
const STRICT = ', CHECK (qty <= 10)';
const tighten = () => alter_orders_sql(`substr(sql, 1, length(sql) - 1) || '${STRICT})'`);
const relax = () => alter_orders_sql(`replace(sql, '${STRICT}', '')`);

async function start(env = {}) {
  const log = join(dir, `sluice-${Date.now()}.log`);
  server = spawn(BIN, ['serve', '--config', join(dir, 'sluice.toml')], {
    env: {
      ...process.env, SLUICE_HTTP_LISTEN: '127.0.0.1:0', SLUICE_AUTH_MODE: 'none',
      SLUICE_STORE_URL: `sqlite://${DB}`, SLUICE_BROKER_URL: `sqlite://${join(dir, 'queue.db')}`,
      SLUICE_LOG_ACCESS_LOG: 'false', SLUICE_PIPELINE_RETRY_MIN_MS: '50', ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const port = await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`sluice did not start:\n${text}`)), 20_000);
    const on = (b) => {
      text += b;
      const m = text.match(/"msg":"listening".*"port":(\d+)/);
      if (m) { clearTimeout(t); resolve(Number(m[1])); }
    };
    server.stdout.on('data', on);
    server.stderr.on('data', on);
    server.on('exit', () => reject(new Error(`sluice exited:\n${text}`)));
  });
  server.stdout.on('data', (b) => writeFileSync(log, b, { flag: 'a' }));
  base = `http://127.0.0.1:${port}`;
}

async function stop() {
  if (!server || server.exitCode !== null) return;
  const exited = new Promise((r) => server.once('exit', r));
  server.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
  cleanup();
}

async function api(method, path, body, headers = {}) {
  const res = await fetch(base + path, {
    method, headers: { 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, headers: res.headers, text, json };
}

async function eventually(what, f, ms = 20_000) {
  const until = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function metric_sum(text, name, label_filter = () => true) {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labels = Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (label_filter(labels)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

const num = (s) => Number(String(s).replace(/[^0-9.\-]/g, ''));
const shot = (page, name) => page.screenshot({ path: join(OUT, `console-${name}.png`), fullPage: true });

const ids = { users: [], good_orders: [], bad_orders: [] };
// The trace id each accepted message's 202 named (its traceparent), by message id.
const traces = {};
const remember_trace = (r) => { traces[r.json.id] = r.headers.get('traceparent').split('-')[1]; return r.json.id; };
let page = null;

before(async () => {
  await start();
  await eventually('orders table', () => sqlite("SELECT count(*) FROM sqlite_schema WHERE name = 'orders';") === '1');
  tighten();
  for (let i = 0; i < 30; i += 1) {
    const r = await api('POST', '/v1/users', { name: `User ${String(i).padStart(2, '0')}`, email: `u${i}@ui.test` });
    assert.equal(r.status, 202, r.text);
    ids.users.push(remember_trace(r));
  }
  const keyed = await api('POST', '/v1/users', { name: 'Keyed', email: 'keyed@ui.test' }, { 'Idempotency-Key': 'ui-key-1' });
  assert.equal(keyed.status, 202, keyed.text);
  ids.keyed = keyed.json.id;
  for (let i = 0; i < 3; i += 1) {
    ids.good_orders.push(remember_trace(await api('POST', '/v1/orders', { item: `ok-${i}`, qty: 2 })));
    ids.bad_orders.push(remember_trace(await api('POST', '/v1/orders', { item: `too-many-${i}`, qty: 50 + i })));
  }
  assert.equal((await api('POST', '/v1/users', { name: '' })).status, 422);
  await eventually('rows and dead letters', () => Number(sqlite('SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM orders) + (SELECT count(*) FROM sluice_dead_letters);')) === 37);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('pageerror', (e) => console.error('page error:', e.message));
});

after(async () => {
  if (browser) await browser.close();
  await stop();
  rmSync(dir, { recursive: true, force: true });
  clearTimeout(hard_stop);
});

test('the console is served compressed, cached by ETag, under a strict CSP', async () => {
  const r = await fetch(`${base}/console`, { headers: { 'Accept-Encoding': 'gzip' } });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-security-policy'), /script-src 'self'/);
  assert.equal(r.headers.get('cache-control'), 'no-cache');
  const etag = r.headers.get('etag');
  const html = await r.text();
  const again = await fetch(`${base}/console`, { headers: { 'If-None-Match': etag } });
  assert.equal(again.status, 304);
  const js = html.match(/src="(\/console\/[^"]+\/app\.js)"/)[1];
  const asset = await fetch(base + js);
  assert.equal(asset.status, 200);
  assert.match(asset.headers.get('cache-control'), /immutable/);
  assert.match(asset.headers.get('content-type'), /javascript/);
});

test('overview: numbers move and agree with /metrics', async () => {
  await page.goto(`${base}/console#overview`);
  const total = async () => num((await page.locator('#card-accepted .sub').textContent()).split(' ')[0]);
  await eventually('overview numbers', async () => (await total()) >= 37);
  // Traffic while watching: the numbers move.
  const before_moves = await total();
  for (let i = 0; i < 20; i += 1) await api('POST', '/v1/users', { name: `Live ${i}`, email: `live${i}@ui.test` });
  await eventually('accepted to move', async () => (await total()) >= before_moves + 20, 10_000);
  await eventually('stored to catch up', async () => Number(sqlite('SELECT count(*) FROM users;')) === 51);
  // Quiet now: the page's totals and rates against /metrics.
  const metrics = (await api('GET', '/metrics')).text;
  const accepted = metric_sum(metrics, 'sluice_published_messages_total', (l) => l.outcome === 'accepted');
  const stored = metric_sum(metrics, 'sluice_deliveries_total', (l) => l.outcome === 'stored');
  const dead = metric_sum(metrics, 'sluice_dead_letters_total');
  assert.equal(accepted, 57);
  await eventually('the page to show the /metrics totals', async () => (await total()) === accepted
    && num((await page.locator('#card-stored .sub').textContent()).split(' ')[0]) === stored
    && num((await page.locator('#card-dead .sub').textContent()).split(' ')[0]) === dead, 10_000);
  // The rate shown is the last minute's, as the server measured it: all of
  // this run's records while the process is younger than that window.
  const stats = (await api('GET', '/v1/ops/stats')).json;
  const shown_rate = num(await page.locator('#card-accepted .value').textContent());
  const w = stats.windows['60s'];
  if (w.seconds < 58) assert.equal(w.accepted, accepted);
  else assert.ok(w.accepted <= accepted);
  assert.ok(Math.abs(shown_rate - w.accepted / w.seconds) <= Math.max(0.15, 0.1 * shown_rate),
    `${shown_rate} vs ${w.accepted}/${w.seconds}`);
  const p99 = await page.locator('#card-post .value').textContent();
  assert.match(p99, /ms$/);
  assert.equal(await page.locator('#card-health .value').textContent(), 'up · up');
  const subs = await page.locator('#subs-table tbody tr').allTextContents();
  assert.ok(subs.some((s) => s.startsWith('orders-strict')), subs.join('|'));
  await shot(page, 'overview');
  // Phone width: nothing overflows sideways.
  await page.setViewportSize({ width: 390, height: 844 });
  try {
    await page.waitForTimeout(1200);
    const [overflow, culprit] = await page.evaluate(() => {
      const wide = [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1);
      const last = wide.pop();
      return [document.documentElement.scrollWidth - window.innerWidth, last ? `${last.tagName}#${last.id}.${last.className}` : ''];
    });
    assert.ok(overflow <= 1, `page is ${overflow}px wider than the phone (${culprit})`);
    await shot(page, 'overview-phone');
  } finally {
    await page.setViewportSize({ width: 1280, height: 800 });
  }
});

test('overview: no layout shift while numbers update', async () => {
  await page.goto(`${base}/console#overview`);
  await page.waitForSelector('#card-accepted .value:not(:empty)');
  await page.waitForTimeout(1500);
  const cls = await page.evaluate(() => new Promise((resolve) => {
    let total = 0;
    new PerformanceObserver((list) => { for (const e of list.getEntries()) if (!e.hadRecentInput) total += e.value; })
      .observe({ type: 'layout-shift', buffered: false });
    setTimeout(() => resolve(total), 3500);
  }));
  assert.ok(cls < 0.01, `cumulative layout shift ${cls}`);
  // And directly: the boxes of the cards, charts and the subscriptions table
  // stay put across updates while traffic changes the numbers.
  const boxes = () => page.evaluate(() => [...document.querySelectorAll('.card, .card .value, .chart, #subs-table')]
    .map((e) => { const r = e.getBoundingClientRect(); return [r.x, r.y, r.width, r.height].map(Math.round).join(','); }));
  const text_before = await page.locator('#cards').textContent();
  const first = await boxes();
  for (let i = 0; i < 10; i += 1) await api('POST', '/v1/users', { name: `Shift ${i}`, email: `shift${i}@ui.test` });
  await eventually('the numbers to change', async () => (await page.locator('#cards').textContent()) !== text_before, 5_000);
  await page.waitForTimeout(1100);
  assert.deepEqual(await boxes(), first);
});

// The latency cards are compared with all three latency objectives, not only
// P99's: /v1/ops/stats is answered with the server's own figures but
// objectives chosen for the case (GET has traffic every second: the
// console's own polling), so the outcome does not hang on this machine's speed.
test('overview: P50, P95 and P99 are each compared with their own objective', async () => {
  const with_targets = (targets) => async (route) => {
    const res = await route.fetch();
    const body = await res.json();
    for (const o of body.slo.objectives) if (o.name in targets) o.target = targets[o.name];
    await route.fulfill({ response: res, json: body });
  };
  await page.route('**/v1/ops/stats', with_targets({ latency_p50: 0.000001, latency_p95: 1e9, latency_p99: 1e9 }));
  try {
    await page.goto(`${base}/console#overview`);
    await page.waitForSelector('#card-get.bad');
    assert.equal(await page.locator('#card-get .sub .over').count(), 1);
    assert.equal(await page.locator('#card-get .sub .over').getAttribute('data-pct'), 'p50');
    assert.match(await page.locator('#card-get .sub').textContent(), /P50 .* over its objective of 0\.000001 ms/);
    await page.unroute('**/v1/ops/stats');
    await page.route('**/v1/ops/stats', with_targets({ latency_p50: 1e9, latency_p95: 1e9, latency_p99: 1e9 }));
    await page.waitForSelector('#card-get.ok');
    assert.equal(await page.locator('#card-get .sub .over').count(), 0);
    await page.unroute('**/v1/ops/stats');
    await page.route('**/v1/ops/stats', with_targets({ latency_p50: 1e9, latency_p95: 0.000001, latency_p99: 1e9 }));
    await page.waitForSelector('#card-get.bad .sub .over[data-pct="p95"]');
  } finally {
    await page.unroute('**/v1/ops/stats');
  }
  // The chart draws the percentile picked, against that percentile's SLO line.
  const legend = () => page.locator('#chart-latency .legend').textContent();
  assert.match(await legend(), /POST P99.*GET P99.*SLO P99/s);
  await page.locator('#latency-pct').selectOption('p95');
  // (The first redraw may still use the last intercepted answer.)
  await page.waitForFunction(() => /SLO P95 300 ms/.test(document.querySelector('#chart-latency .legend').textContent));
  assert.match(await legend(), /POST P95.*GET P95.*SLO P95 300 ms/s);
  assert.equal(await page.locator('#chart-latency .legend').count(), 1);
  await page.locator('#latency-pct').selectOption('p50');
  await page.waitForFunction(() => /SLO P50 100 ms/.test(document.querySelector('#chart-latency .legend').textContent));
  const stats = (await api('GET', '/v1/ops/stats')).json;
  for (const k of ['post_p50_ms', 'post_p95_ms', 'post_p99_ms', 'get_p50_ms', 'get_p95_ms', 'get_p99_ms']) {
    assert.ok(Array.isArray(stats.series[k]) && stats.series[k].length > 0, k);
  }
  await shot(page, 'overview-latency-p50');
});

test('tracer: a stored and a dead-lettered message, and an Idempotency-Key', async () => {
  await page.goto(`${base}/console#tracer`);
  await page.getByLabel('Message id or Idempotency-Key').fill(ids.users[3]);
  await page.getByRole('button', { name: 'Trace' }).click();
  await page.waitForSelector('.trace[data-status="stored"]');
  assert.match(await page.locator(".trace").textContent(), /stored.*\/v1\/users\/\d+/is);
  // The trace id of the POST that accepted it (issue 18: the status carries it).
  assert.match(traces[ids.users[3]], /^[0-9a-f]{32}$/);
  assert.equal(await page.locator('.trace .trace-id').textContent(), traces[ids.users[3]]);
  await shot(page, 'tracer-stored');
  // Its row link opens the rows browser on that row.
  const row_url = (await api('GET', `/v1/messages/${ids.users[3]}`)).json.row_url;
  await page.locator('.trace a', { hasText: row_url }).click();
  await page.waitForSelector('#view-rows:not([hidden])');
  await eventually('the rows browser on the row', async () => (await page.locator('#rows-url').textContent()) === row_url);
  await page.waitForFunction(() => /User 03/.test(document.querySelector('#rows-out')?.textContent || ''));
  assert.match(await page.locator('#rows-out').textContent(), /u3@ui\.test/);
  await page.goto(`${base}/console#tracer`);

  await page.getByLabel('Message id or Idempotency-Key').fill(ids.bad_orders[0]);
  await page.getByRole('button', { name: 'Trace' }).click();
  await page.waitForSelector('.trace[data-status="dead_lettered"]');
  const text = await page.locator('.trace').textContent();
  assert.match(text, /orders-strict/);
  assert.match(text, /CHECK constraint failed|rejected by the store/);
  assert.equal(await page.locator('.trace .trace-id').textContent(), traces[ids.bad_orders[0]]);
  await shot(page, 'tracer-dead-lettered');

  await page.getByLabel('Message id or Idempotency-Key').fill('ui-key-1');
  await page.getByLabel('Resource (for a key)').selectOption('users');
  await page.getByRole('button', { name: 'Trace' }).click();
  await page.waitForSelector('.trace[data-status="stored"]');
  assert.match(await page.locator('.trace h2').textContent(), new RegExp(ids.keyed));
});

test('dead letters: list, then redrive after relaxing the cause → exactly one row', async (t) => {
  const probe = await api('GET', '/v1/dead-letters?limit=1');
  await page.goto(`${base}/console#dead-letters`);
  if (probe.status === 404) {
    await page.waitForSelector('#dl-out p');
    await shot(page, 'dead-letters');
    t.skip('this build has no dead-letter API (GET /v1/dead-letters): issue 14');
    return;
  }
  await page.locator('#dl-sub').fill('orders-strict');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.waitForSelector('#dl-table tbody tr');
  assert.equal(await page.locator('#dl-table tbody tr').count(), 3);
  await shot(page, 'dead-letters');
  relax();
  const id = ids.bad_orders[1];
  await page.locator(`#dl-table tr[data-id="${id}"] button[data-action="redrive"]`).click();
  await eventually('the redriven row', () => sqlite(`SELECT count(*) FROM orders WHERE message_id = '${id}';`) === '1');
  await page.waitForTimeout(1500);  // a second delivery, if there were one, would land by now
  assert.equal(sqlite(`SELECT count(*) FROM orders WHERE message_id = '${id}';`), '1');
  assert.match(await page.locator('#dl-msg').textContent(), /Redriven/);
  await shot(page, 'dead-letters-after-redrive');

  // The other two: selected by their checkboxes, redriven in one action.
  await page.waitForFunction(() => document.querySelectorAll('#dl-table tbody tr').length === 2);
  for (const other of [ids.bad_orders[0], ids.bad_orders[2]]) {
    await page.locator(`#dl-table tr[data-id="${other}"] input[type=checkbox]`).check();
  }
  await page.getByRole('button', { name: 'Redrive selected…' }).click();
  assert.match(await page.locator('#confirm-text').textContent(), /Redrive 2 selected/);
  await page.locator('#confirm-ok').click();
  for (const other of [ids.bad_orders[0], ids.bad_orders[2]]) {
    await eventually('a row redriven as selected', () => sqlite(`SELECT count(*) FROM orders WHERE message_id = '${other}';`) === '1');
  }
  assert.match(await page.locator('#dl-msg').textContent(), /Redriven 2\./);
  await page.waitForTimeout(1500);
  assert.equal(sqlite(`SELECT count(*) FROM orders WHERE message_id IN ('${ids.bad_orders.join("','")}');`), '3');
});

test('dead letters: the reason filter is applied by the server, for the list and for redrive all', async () => {
  tighten();
  const id = (await api('POST', '/v1/orders', { item: 'reason-probe', qty: 99 })).json.id;
  await eventually('the probe dead-lettered', () => sqlite(`SELECT count(*) FROM sluice_dead_letters WHERE message_id = '${id}' AND state = 'dead';`) === '1');
  await page.goto(`${base}/console#dead-letters`);
  await page.locator('#dl-sub').fill('orders-strict');
  await page.locator('#dl-reason').fill('no such reason at all');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.waitForSelector('#dl-out p');
  assert.match(await page.locator('#dl-out').textContent(), /No dead letters match/);
  await page.getByRole('button', { name: 'Redrive all matching…' }).click();
  assert.match(await page.locator('#confirm-text').textContent(), /reason = no such reason at all/);
  await page.locator('#confirm-ok').click();
  await page.waitForFunction(() => /Redriven: 0/.test(document.querySelector('#dl-msg').textContent));
  assert.equal(sqlite(`SELECT state FROM sluice_dead_letters WHERE message_id = '${id}';`), 'dead');
  // ASCII letters without case, spaces kept (not read as '+'); the reason
  // is "rejected by the store: CHECK constraint failed: qty <= 10".
  await page.locator('#dl-reason').fill('Rejected BY the store: check');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.waitForSelector(`#dl-table tr[data-id="${id}"]`);
  assert.equal(await page.locator('#dl-table tbody tr').count(), 1);
  relax();
  await page.getByRole('button', { name: 'Redrive all matching…' }).click();
  await page.locator('#confirm-ok').click();
  await eventually('the probe stored', () => sqlite(`SELECT count(*) FROM orders WHERE message_id = '${id}';`) === '1');
  assert.match(await page.locator('#dl-msg').textContent(), /Redriven: 1/);
  // One dead letter stays for the views that follow (accessibility, phone width).
  tighten();
  const left = (await api('POST', '/v1/orders', { item: 'left-dead', qty: 77 })).json.id;
  await eventually('one dead letter left', () => sqlite(`SELECT count(*) FROM sluice_dead_letters WHERE message_id = '${left}' AND state = 'dead';`) === '1');
  relax();
});

test('dead letters: the time filter, and discard selected behind its confirmation', async () => {
  tighten();
  const id = (await api('POST', '/v1/orders', { item: 'to-discard', qty: 88 })).json.id;
  await eventually('dead-lettered', () => sqlite(`SELECT count(*) FROM sluice_dead_letters WHERE message_id = '${id}' AND state = 'dead';`) === '1');
  relax();
  await page.goto(`${base}/console#dead-letters`);
  await page.locator('#dl-sub').fill('orders-strict');
  await page.locator('#dl-reason').fill('');
  await page.locator('#dl-since').fill('2099-01-01T00:00');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.waitForSelector('#dl-out p');
  assert.match(await page.locator('#dl-out').textContent(), /No dead letters match/);
  await page.locator('#dl-since').fill('2000-01-01T00:00');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.waitForSelector(`#dl-table tr[data-id="${id}"]`);
  await page.locator(`#dl-table tr[data-id="${id}"] input[type=checkbox]`).check();
  // Cancel first: nothing changes.
  await page.getByRole('button', { name: 'Discard selected…' }).click();
  assert.match(await page.locator('#confirm-text').textContent(), /Discard 1 selected/);
  await page.getByRole('button', { name: 'Cancel' }).click();
  assert.equal(sqlite(`SELECT state FROM sluice_dead_letters WHERE message_id = '${id}';`), 'dead');
  await page.getByRole('button', { name: 'Discard selected…' }).click();
  await page.locator('#confirm-ok').click();
  await page.waitForFunction(() => /Discarded 1\./.test(document.querySelector('#dl-msg').textContent));
  assert.equal(sqlite(`SELECT state FROM sluice_dead_letters WHERE message_id = '${id}';`), 'discarded');
  assert.equal((await api('GET', `/v1/messages/${id}`)).json.status, 'discarded');
  assert.equal(await page.locator(`#dl-table tr[data-id="${id}"]`).count(), 0);
});

test('rows browser: filters and pages', async () => {
  await page.goto(`${base}/console#rows`);
  await page.locator('#rows-resource').selectOption('users');
  await page.locator('#rows-limit').fill('10');
  await page.getByRole('button', { name: 'Query' }).click();
  await page.waitForSelector('#rows-table tbody tr');
  const first = await page.locator('#rows-table tbody tr').allTextContents();
  assert.equal(first.length, 10);
  await page.locator('#rows-next').click();
  await page.waitForFunction((prev) => {
    const row = document.querySelector('#rows-table tbody tr');
    return row && row.textContent !== prev;
  }, first[0]);
  const second = await page.locator('#rows-table tbody tr').allTextContents();
  assert.equal(second.length, 10);
  assert.ok(!second.includes(first[0]));
  // A filter: one user by email.
  await page.locator('#rows-field').selectOption('email');
  await page.locator('#rows-op').selectOption('eq');
  await page.locator('#rows-value').fill('u7@ui.test');
  await page.getByRole('button', { name: 'Query' }).click();
  await page.waitForFunction(() => document.querySelectorAll('#rows-table tbody tr').length === 1);
  assert.match(await page.locator('#rows-table tbody').textContent(), /User 07/);
  // A value with a space travels as %20 (a '+' would be a plus sign).
  await page.locator('#rows-field').selectOption('name');
  await page.locator('#rows-value').fill('User 12');
  await page.getByRole('button', { name: 'Query' }).click();
  await page.waitForFunction(() => /User 12/.test(document.querySelector('#rows-table tbody')?.textContent || ''));
  assert.equal(await page.locator('#rows-table tbody tr').count(), 1);
  assert.match(await page.locator('#rows-url').textContent(), /name=eq\.User%2012/);
  await page.getByLabel('Show JSON').check();
  await shot(page, 'rows');
});

test('SLO panel: each objective over 5 min and 1 h', async () => {
  await page.goto(`${base}/console#slo`);
  await page.waitForSelector('#slo-table tbody tr[data-objective="latency_p99"]');
  const names = await page.locator('#slo-table tbody th').allTextContents();
  assert.deepEqual(names, ['Latency P50', 'Latency P95', 'Latency P99', 'Error rate (5xx)', 'Throughput (requests/min)']);
  assert.match(await page.locator('tr[data-objective="error_rate"]').textContent(), /100 %.*met/s);
  await shot(page, 'slo');
});

// Accessibility (issue 18: labels, keyboard navigation, contrast), checked by
// axe-core, the engine behind Lighthouse's and Playwright's audits, against
// WCAG 2.1 A/AA on every view with its data shown. Its source is evaluated
// through the DevTools protocol, which the console's CSP does not govern.
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const VIEW_READY = {
  overview: '#card-accepted .value:not(:empty)',
  tracer: '#tracer-form',
  'dead-letters': '#dl-table tbody tr',
  rows: '#rows-resource',
  slo: '#slo-table tbody tr',
};

test('accessibility: no WCAG 2.1 A/AA violation on any view (axe-core)', async () => {
  const found = [];
  for (const [view, ready] of Object.entries(VIEW_READY)) {
    await page.goto(`${base}/console#${view}`);
    await page.waitForSelector(ready);
    if (view === 'tracer') {  // with a result shown, not only the empty form
      await page.getByLabel('Message id or Idempotency-Key').fill(ids.users[3]);
      await page.getByRole('button', { name: 'Trace' }).click();
      await page.waitForSelector('.trace');
    }
    if (view === 'rows') {
      await page.locator('#rows-resource').selectOption('users');
      await page.getByRole('button', { name: 'Query' }).click();
      await page.waitForSelector('#rows-table tbody tr');
    }
    await page.evaluate(AXE);
    const violations = await page.evaluate(async () => {
      const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
      return {
        passes: r.passes.length,
        list: r.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`),
      };
    });
    for (const v of violations.list) found.push(`#${view}: ${v}`);
    assert.ok(violations.passes > 10, `axe ran only ${violations.passes} checks on #${view}`);
  }
  assert.deepEqual(found, []);
});

// Phone width (390 px) on every view: the page never scrolls sideways, and
// the overview's subscriptions table fits without its own scrollbar.
test('every view fits a phone (390 px wide)', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  try {
    for (const [view, ready] of Object.entries(VIEW_READY)) {
      await page.goto(`${base}/console#${view}`);
      await page.waitForSelector(ready);
      await page.waitForTimeout(300);
      const [overflow, culprit] = await page.evaluate(() => {
        // Wide elements, but not those inside a scrolling box (a wide table
        // scrolls there, as it should); the innermost one names the cause.
        const wide = [...document.querySelectorAll('body *')].filter((e) => !(e.parentElement && e.parentElement.closest('.scroll'))
          && e.getBoundingClientRect().right > window.innerWidth + 1);
        return [document.documentElement.scrollWidth - window.innerWidth,
          wide.slice(-4).map((e) => `${e.tagName}#${e.id}.${e.className} ${Math.round(e.getBoundingClientRect().right)}px`).join(' < ')];
      });
      assert.ok(overflow <= 1, `#${view} is ${overflow}px wider than the phone (${culprit})`);
      if (view === 'overview') {
        const cut = await page.evaluate(() => {
          const box = document.querySelector('#subs-table').parentElement;
          return box.scrollWidth - box.clientWidth;
        });
        assert.ok(cut <= 1, `the subscriptions table scrolls ${cut}px inside its box`);
      }
      await shot(page, `${view}-phone`);
    }
  } finally {
    await page.setViewportSize({ width: 1280, height: 800 });
  }
});

test('accessibility: the views are reached and used from the keyboard alone', async () => {
  await page.goto('about:blank');  // a fresh load: focus starts at the top of the document
  await page.goto(`${base}/console#overview`);
  await page.waitForSelector('#card-accepted .value:not(:empty)');
  // The first Tab lands on the skip link, then the navigation in order.
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.className), 'skip');
  const names = [];
  for (let i = 0; i < 5; i += 1) {
    await page.keyboard.press('Tab');
    names.push(await page.evaluate(() => document.activeElement.textContent.trim()));
  }
  assert.deepEqual(names, ['Overview', 'Tracer', 'Dead letters', 'Rows', 'SLO']);
  // Back to "Tracer" and Enter: its view opens; its form works with Tab and Enter.
  for (let i = 0; i < 3; i += 1) await page.keyboard.press('Shift+Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent.trim()), 'Tracer');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#view-tracer:not([hidden])');
  await page.focus('#tracer-form input');
  await page.keyboard.type(ids.users[5]);
  await page.keyboard.press('Enter');
  await page.waitForSelector('.trace[data-status="stored"]');
  // Focus is always visible: the focused control draws an outline.
  await page.focus('#tracer-form button');
  const outline = await page.evaluate(() => {
    const s = getComputedStyle(document.activeElement);
    return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
  });
  assert.ok(outline, 'the focused button shows no focus outline');
});

test('sign-in: with auth required the console asks for a key and keeps it out of the URL', async () => {
  await stop();
  const keys = join(dir, 'keys.json');
  const key = execFileSync(BIN, ['keys', 'create', '--keys-file', keys, '--scopes', 'admin'], {
    env: { ...process.env, SLUICE_AUTH_PEPPER: PEPPER }, encoding: 'utf8',
  }).trim().split('\n').pop();
  await start({ SLUICE_AUTH_MODE: 'required', SLUICE_AUTH_KEYS_FILE: keys, SLUICE_AUTH_PEPPER: PEPPER });
  await page.goto(`${base}/console#overview`);
  await page.waitForSelector('#login:not([hidden])');
  await shot(page, 'login');
  await page.getByLabel('API key').fill('slk_wrong_key');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForFunction(() => document.querySelector('#login-error').textContent.includes('not accepted'));
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForSelector('#view-overview:not([hidden])');
  await eventually('live numbers', async () => (await page.locator('#card-health .value').textContent()) === 'up · up');
  assert.ok(!page.url().includes(key));
  assert.equal(await page.evaluate(() => sessionStorage.getItem('sluice.console.key')), key);
});
