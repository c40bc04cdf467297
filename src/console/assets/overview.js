// The live overview: throughput, latency against the SLO lines, error rate
// against its budget, freshness, lag per subscription, health. Fed once a
// second by app.js with /v1/ops/stats. Latency is compared with every
// latency objective: a card is red when P50, P95 or P99 is over its own;
// the chart draws the percentile picked beside its title (P99 first).

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
  $('#latency-pct').addEventListener('change', () => {
    charts.latency = latency_chart();
    if (last) draw_latency(last);
  });
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
    latency: latency_chart(),
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

const PCTS = ['p50', 'p95', 'p99'];
let last = null;  // the stats drawn last, to redraw when the percentile changes

// The latency chart of the percentile picked in #latency-pct, in a <div>
// of its own inside the figure so that it can be drawn anew.
function latency_chart() {
  const fig = $('#chart-latency');
  let box = fig.querySelector('.plot');
  if (box) box.remove();
  box = h('div', { class: 'plot' });
  fig.append(box);
  const P = $('#latency-pct').value.toUpperCase();
  return new line_chart(box, {
    series: [{ name: `POST ${P}`, color: '#0b5cad' }, { name: `GET ${P}`, color: '#6b3fa0', dash: '2 2' }],
    lines: [{ name: `SLO ${P}`, color: '#a8071a' }],
    format: ms,
  });
}

function draw_latency(stats) {
  const p = $('#latency-pct').value;
  const o = objective(stats, `latency_${p}`);
  charts.latency.update([stats.series[`post_${p}_ms`], stats.series[`get_${p}_ms`]], [o ? o.target : null]);
}

// A latency card: the P99 large, P50 and P95 under it; red when any of
// the three is over its objective (each one says so), green when none is,
// plain when nothing was measured.
function latency_card(id, stats, lat) {
  const pct = Object.fromEntries(PCTS.map((p) => {
    const o = objective(stats, `latency_${p}`);
    const v = lat[`${p}_ms`];
    const known = Boolean(o) && v !== null && v !== undefined;
    return [p, { known, over: known && v > o.target, target: o && o.target }];
  }));
  // Compact (the line does not wrap): a percentile over its objective is
  // red and bold, and says so to a screen reader (P99's, the large value's, too).
  const note = (p) => (pct[p].over ? h('span', { class: 'sr-only' }, ` ${p.toUpperCase()} over its objective of ${pct[p].target} ms`) : '');
  const part = (p) => h('span', { class: pct[p].over ? 'over' : '', 'data-pct': p }, `${p.toUpperCase()} ${ms(lat[`${p}_ms`])}`, note(p));
  const all = Object.values(pct);
  set(id, ms(lat.p99_ms), [part('p50'), ' · ', part('p95'), note('p99')],
    !all.some((x) => x.known) ? '' : all.some((x) => x.over) ? 'bad' : 'ok');
}

function set(id, value, sub = '', state = '') {
  const c = cards[id];
  c.value.textContent = value;
  if (Array.isArray(sub)) replace(c.sub, ...sub);
  else c.sub.textContent = sub;
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
  last = stats;
  set('accepted', fmt(w.accepted_per_s, 1), `${fmt(stats.totals.accepted, 0)} total`);
  set('stored', fmt(w.stored_per_s, 1), `${fmt(stats.totals.stored, 0)} total`);
  set('dead', fmt(w.dead_lettered_per_s, 1), `${fmt(stats.totals.dead_lettered, 0)} total`,
    w.dead_lettered > 0 ? 'bad' : '');
  latency_card('post', stats, w.post);
  latency_card('get', stats, w.get);
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
  draw_latency(stats);
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
