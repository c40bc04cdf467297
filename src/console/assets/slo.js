// The SLO panel: each [slo] objective over 5 min and 1 h, with what is left
// of its error budget at that window's rate.

import { $, h, replace, fmt, pct, ms } from './dom.js';

const NAMES = {
  latency_p50: 'Latency P50', latency_p95: 'Latency P95', latency_p99: 'Latency P99',
  error_rate: 'Error rate (5xx)', throughput: 'Throughput (requests/min)',
};

function value_text(o, v) {
  if (v === null || v === undefined) return '–';
  if (o.unit === 'ms') return ms(v);
  if (o.unit === 'ratio') return pct(v, 2);
  return fmt(v, 0);
}

function target_text(o) {
  if (o.unit === 'ms') return `< ${o.target} ms`;
  if (o.unit === 'ratio') return `< ${pct(o.target, 2)}`;
  return `${o.target.min}–${o.target.max || '∞'}`;
}

function budget_cell(o, w) {
  if (w.budget_remaining === null || w.budget_remaining === undefined) {
    return h('td', {}, h('span', { class: `tag ${w.met ? 'ok' : 'warn'}` }, w.met ? 'within band' : 'outside band'));
  }
  const left = Math.max(0, Math.min(1, w.budget_remaining));
  const bar = h('span', { class: `bar${left < 0.25 ? ' low' : ''}`, role: 'img', 'aria-label': `${pct(w.budget_remaining, 0)} left` }, h('span'));
  bar.firstChild.style.width = `${(left * 100).toFixed(1)}%`;
  return h('td', {}, bar, pct(w.budget_remaining, 0), ' ',
    h('span', { class: `tag ${w.met ? 'ok' : 'bad'}` }, w.met ? 'met' : 'missed'));
}

export function update(stats) {
  const rows = stats.slo.objectives.map((o) => {
    const w5 = o.windows['5m'];
    const w60 = o.windows['1h'];
    return h('tr', { 'data-objective': o.name },
      h('th', { scope: 'row' }, NAMES[o.name] || o.name),
      h('td', {}, target_text(o)),
      h('td', { class: 'num' }, value_text(o, w5.value), h('br'), h('span', { class: 'muted small' }, `${fmt(w5.requests, 0)} req`)),
      budget_cell(o, w5),
      h('td', { class: 'num' }, value_text(o, w60.value), h('br'), h('span', { class: 'muted small' }, `${fmt(w60.requests, 0)} req`)),
      budget_cell(o, w60));
  });
  replace($('#slo-table tbody'), rows);
}
