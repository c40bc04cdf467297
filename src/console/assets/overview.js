// The live overview: throughput, latency against the SLO lines, error rate
// against its budget, freshness, lag per subscription, health. Fed once a
// second by app.js with /v1/ops/stats.

import { $, h, replace, fmt, pct, ms } from './dom.js';
import { line_chart } from './chart.js';

const CARDS = [
  ['accepted', 'Accepted/s'], ['stored', 'Stored/s'], ['dead', 'Dead-lettered/s'],
  ['post', 'POST latency P99'], ['get', 'GET latency P99'], ['errors', 'Error rate (5 min)'],
  ['freshness', 'Freshness P99'], ['health', 'Store · broker'],
];

let cards = null;
let charts = null;

function build() {
  cards = {};
  const root = $('#cards');
  for (const [id, label] of CARDS) {
    const value = h('span', { class: 'value', 'data-testid': `card-${id}` }, '–');
    const sub = h('span', { class: 'sub' }, '');
    const card = h('div', { class: 'card', id: `card-${id}` }, h('span', { class: 'label' }, label), value, sub);
    cards[id] = { card, value, sub };
    root.append(card);
  }
  charts = {
    throughput: new line_chart($('#chart-throughput'), {
      series: [
        { name: 'accepted', color: '#0b5cad' },
        { name: 'stored', color: '#17662e', dash: '2 2' },
        { name: 'dead-lettered', color: '#a8071a' },
      ],
      format: (v) => fmt(v, 1),
    }),
    latency: new line_chart($('#chart-latency'), {
      series: [{ name: 'POST P99', color: '#0b5cad' }, { name: 'GET P99', color: '#6b3fa0', dash: '2 2' }],
      lines: [{ name: 'SLO P99', color: '#a8071a' }],
      format: ms,
    }),
    errors: new line_chart($('#chart-errors'), {
      series: [{ name: '5xx share', color: '#a8071a' }],
      lines: [{ name: 'budget', color: '#17662e' }],
      format: (v) => pct(v, 2),
      floor: 0.0001,
    }),
    freshness: new line_chart($('#chart-freshness'), {
      series: [{ name: 'P99', color: '#17662e' }],
      format: ms,
    }),
  };
}

function set(id, value, sub = '', state = '') {
  const c = cards[id];
  c.value.textContent = value;
  c.sub.textContent = sub;
  c.card.classList.toggle('ok', state === 'ok');
  c.card.classList.toggle('bad', state === 'bad');
}

function objective(stats, name) {
  return (stats.slo.objectives || []).find((o) => o.name === name);
}

export function update(stats) {
  if (!cards) build();
  const w = stats.windows['60s'];
  const w5 = stats.windows['5m'];
  const p99 = objective(stats, 'latency_p99');
  const slo_ms = p99 ? p99.target : null;
  set('accepted', fmt(w.accepted_per_s, 1), `${fmt(stats.totals.accepted, 0)} total`);
  set('stored', fmt(w.stored_per_s, 1), `${fmt(stats.totals.stored, 0)} total`);
  set('dead', fmt(w.dead_lettered_per_s, 1), `${fmt(stats.totals.dead_lettered, 0)} total`,
    w.dead_lettered > 0 ? 'bad' : '');
  const lat_state = (v) => (v === null || slo_ms === null ? '' : v <= slo_ms ? 'ok' : 'bad');
  set('post', ms(w.post.p99_ms), `P50 ${ms(w.post.p50_ms)} · P95 ${ms(w.post.p95_ms)}`, lat_state(w.post.p99_ms));
  set('get', ms(w.get.p99_ms), `P50 ${ms(w.get.p50_ms)} · P95 ${ms(w.get.p95_ms)}`, lat_state(w.get.p99_ms));
  const budget = stats.slo.error_rate_budget;
  set('errors', pct(w5.error_rate, 2), `budget ${pct(budget, 2)} · ${fmt(w5.errors, 0)} of ${fmt(w5.requests, 0)}`,
    w5.error_rate <= budget ? 'ok' : 'bad');
  set('freshness', ms(w.freshness_p99_ms), 'POST accepted → row committed');
  const up = (s) => s === 'up';
  const hs = stats.health;
  set('health', `${up(hs.store) ? 'up' : 'DOWN'} · ${up(hs.broker) ? 'up' : 'DOWN'}`,
    up(hs.store) && up(hs.broker) ? (hs.stopping ? 'stopping' : 'ready') : [hs.store, hs.broker].filter((s) => !up(s)).join('; '),
    hs.ready ? 'ok' : 'bad');

  const s = stats.series;
  charts.throughput.update([s.accepted_per_s, s.stored_per_s, s.dead_lettered_per_s]);
  charts.latency.update([s.post_p99_ms, s.get_p99_ms], [slo_ms]);
  charts.errors.update([s.error_rate], [budget]);
  charts.freshness.update([s.freshness_p99_ms]);

  const body = $('#subs-table tbody');
  const rows = stats.subscriptions.map((sub) => h('tr', {},
    h('th', { scope: 'row' }, sub.name),
    h('td', { class: 'num' }, fmt(sub.lag, 0)),
    h('td', { class: 'num' }, fmt(sub.stored_per_s, 1)),
    h('td', { class: 'num' }, fmt(sub.dead_lettered_per_s, 1))));
  replace(body, rows.length ? rows : [h('tr', {}, h('td', { colspan: 4 }, 'No subscription has run a batch yet.'))]);
}
