// Dead letters: the list from GET /v1/dead-letters (filters: subscription,
// topic, reason, since; all applied by the server, so "Redrive all
// matching" redrives exactly what the filters select), the body
// pretty-printed, redrive and discard per row, for a selection and for
// everything matching (with a confirmation).

import { $, h, replace, pretty } from './dom.js';
import { call, next_link, query_string } from './api.js';

let next = null;     // the Link rel="next" of the page shown
let current = null;  // the URL of the page shown (reloaded after an action)
let items = [];

function items_of(body) {
  if (Array.isArray(body)) return body;
  return body.items || body.dead_letters || body.data || [];
}

function when(d) { return d.last_failed_at || d.first_failed_at || ''; }

function query() {
  const f = $('#dl-form').elements;
  const p = new URLSearchParams();
  if (f.subscription.value.trim()) p.set('subscription', f.subscription.value.trim());
  if (f.topic.value.trim()) p.set('topic', f.topic.value.trim());
  if (f.reason.value.trim()) p.set('reason', f.reason.value.trim());
  if (f.since.value) p.set('since', new Date(`${f.since.value}Z`).toISOString());
  p.set('limit', '50');
  return p;
}

function say(text, error = false) {
  const m = $('#dl-msg');
  m.textContent = text;
  m.className = error ? 'error' : '';
}

async function confirm_dialog(text, ok_label) {
  const d = $('#confirm');
  $('#confirm-text').textContent = text;
  $('#confirm-ok').textContent = ok_label;
  d.returnValue = '';
  d.showModal();
  return new Promise((resolve) => d.addEventListener('close', () => resolve(d.returnValue === 'ok'), { once: true }));
}

async function act(label, fn) {
  try {
    const r = await fn();
    say(label(r));
    await load('again');
  } catch (e) {
    say(e.message, true);
  }
}

function row(d) {
  const id = d.message_id || d.id;
  const target = `/v1/dead-letters/${encodeURIComponent(id)}`;
  const sub = d.subscription ? `?subscription=${encodeURIComponent(d.subscription)}` : '';
  const open = !d.state || d.state === 'dead';
  const check = h('input', { type: 'checkbox', 'aria-label': `select ${id}`, 'data-id': id, 'data-subscription': d.subscription || '' });
  return h('tr', { 'data-id': id },
    h('td', {}, check),
    h('td', {}, h('code', {}, id), h('div', { class: 'muted small' }, when(d))),
    h('td', {}, d.subscription || ''),
    h('td', {}, d.topic || ''),
    h('td', {}, d.state || ''),
    h('td', { class: 'num' }, d.attempts ?? ''),
    h('td', {}, d.reason || '',
      d.body !== undefined ? h('details', {}, h('summary', {}, 'Body'), h('pre', { class: 'json' }, pretty(d.body))) : null),
    h('td', {},
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'plain', 'data-action': 'redrive',
          disabled: !open,
          onclick: () => act(() => `Redriven ${id}.`, () => call(`${target}/redrive${sub}`, { method: 'POST' })) }, 'Redrive'),
        h('button', { type: 'button', class: 'danger', 'data-action': 'discard',
          disabled: !open,
          onclick: async () => {
            if (await confirm_dialog(`Discard the dead letter ${id}? Its message will not be delivered.`, 'Discard')) {
              await act(() => `Discarded ${id}.`, () => call(`${target}${sub}`, { method: 'DELETE' }));
            }
          } }, 'Discard'))));
}

function render() {
  if (!items.length) {
    replace($('#dl-out'), h('p', {}, 'No dead letters match.'));
    return;
  }
  replace($('#dl-out'), h('div', { class: 'scroll' }, h('table', { class: 'grid', id: 'dl-table' },
    h('thead', {}, h('tr', {}, ['', 'Message', 'Subscription', 'Topic', 'State', 'Attempts', 'Reason', ''].map((t, i) =>
      h('th', { scope: 'col', class: i === 5 ? 'num' : '' }, t || h('span', { class: 'sr-only' }, i ? 'Actions' : 'Select'))))),
    h('tbody', {}, items.map(row)))));
}

// Loads the first page of the form's filters ('first'), the next page
// ('next') or the page shown again ('again', after an action).
async function load(which = 'first') {
  try {
    let target = `/v1/dead-letters?${query_string(query())}`;
    if (which === 'next' && next) target = next;
    if (which === 'again' && current) target = current;
    current = target;
    const r = await call(target);
    items = items_of(r.body);
    next = next_link(r.headers);
    $('#dl-next').hidden = !next;
    render();
  } catch (e) {
    const missing = e.status === 404 || e.status === 405;
    replace($('#dl-out'), h('p', { class: missing ? '' : 'error', role: 'alert' },
      missing ? 'This server has no dead-letter API (GET /v1/dead-letters).' : e.message));
  }
}

// Redrives or discards the checked rows, one call each, after a
// confirmation; stops at the first failure and says how far it got.
async function for_selected(verb, done, fn) {
  const picked = [...document.querySelectorAll('#dl-table input[type=checkbox]:checked')];
  if (!picked.length) { say('Select dead letters first.', true); return; }
  const note = verb === 'Discard' ? ' Their messages will not be delivered.' : '';
  if (!(await confirm_dialog(`${verb} ${picked.length} selected dead letter(s)?${note}`, verb))) return;
  let n = 0;
  try {
    for (const c of picked) {
      const sub = c.dataset.subscription ? `?subscription=${encodeURIComponent(c.dataset.subscription)}` : '';
      await fn(`/v1/dead-letters/${encodeURIComponent(c.dataset.id)}`, sub);
      n += 1;
    }
    say(`${done} ${n}.`);
  } catch (e) {
    say(`${done} ${n} of ${picked.length}; then: ${e.message}`, true);
  }
  await load('again');
}

export function init() {
  $('#dl-form').addEventListener('submit', (ev) => { ev.preventDefault(); load('first'); });
  $('#dl-next').addEventListener('click', () => load('next'));
  $('#dl-redrive-all').addEventListener('click', async () => {
    const p = query();
    p.delete('limit');
    const what = [...p.entries()].map(([k, v]) => `${k} = ${v}`).join(', ') || 'no filter: every dead letter';
    if (!(await confirm_dialog(`Redrive every dead letter matching (${what})?`, 'Redrive all'))) return;
    await act((r) => `Redriven: ${r.body && (r.body.redriven ?? r.body.count ?? JSON.stringify(r.body))}.`,
      () => call(`/v1/dead-letters:redrive?${query_string(p)}`, { method: 'POST' }));
  });
  $('#dl-redrive-sel').addEventListener('click', () => for_selected('Redrive', 'Redriven',
    (target, sub) => call(`${target}/redrive${sub}`, { method: 'POST' })));
  $('#dl-discard-sel').addEventListener('click', () => for_selected('Discard', 'Discarded',
    (target, sub) => call(`${target}${sub}`, { method: 'DELETE' })));
}

export function show() { load('first'); }
