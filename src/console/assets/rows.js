// The rows browser: a resource, a filter with the read API's operators
// (field=op.value), keyset pages through the Link: rel="next" header, and
// the JSON of the page.

import { $, h, replace, pretty } from './dom.js';
import { call, next_link, query_string, stats } from './api.js';

let next = null;
let first = null;

function fields_of(resource) {
  const s = stats();
  const r = s && s.config ? s.config.resources.find((x) => x.name === resource) : null;
  return r ? r.fields : [];
}

function fill_fields() {
  const sel = $('#rows-field');
  const keep = sel.value;
  const names = ['id', ...fields_of($('#rows-resource').value).map((f) => f.name), 'message_id', 'received_at'];
  replace(sel, h('option', { value: '' }, '(no filter)'), names.map((n) => h('option', {}, n)));
  if (names.includes(keep)) sel.value = keep;
}

function target() {
  const f = $('#rows-form').elements;
  const p = new URLSearchParams();
  if (f.field.value && f.value.value !== '') p.set(f.field.value, `${f.op.value}.${f.value.value}`);
  p.set('limit', f.limit.value || '20');
  return `/v1/${encodeURIComponent(f.resource.value)}?${query_string(p)}`;
}

async function load(url) {
  $('#rows-url').textContent = url;
  try {
    const r = await call(url);
    // A list is an array; one row (/v1/{resource}/{id}, the tracer's row
    // link) is the row's object.
    const one = r.body && typeof r.body === 'object' && !Array.isArray(r.body);
    const rows = Array.isArray(r.body) ? r.body : one ? [r.body] : [];
    next = next_link(r.headers);
    $('#rows-next').hidden = !next;
    $('#rows-first').hidden = url === first;
    $('#rows-raw').textContent = pretty(r.body);
    if (!rows.length) {
      replace($('#rows-out'), h('p', {}, 'No rows.'));
      return;
    }
    const cols = [...new Set(rows.flatMap((x) => Object.keys(x)))];
    replace($('#rows-out'), h('div', { class: 'scroll' }, h('table', { class: 'grid', id: 'rows-table' },
      h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, rows.map((x) => h('tr', {}, cols.map((c) => h('td', {},
        x[c] === null || x[c] === undefined ? '' : typeof x[c] === 'object' ? JSON.stringify(x[c]) : String(x[c])))))))));
  } catch (e) {
    next = null;
    $('#rows-next').hidden = true;
    replace($('#rows-out'), h('p', { class: 'error', role: 'alert' }, e.message));
  }
}

export function init() {
  $('#rows-resource').addEventListener('change', fill_fields);
  $('#rows-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    first = target();
    load(first);
  });
  $('#rows-next').addEventListener('click', () => next && load(next));
  $('#rows-first').addEventListener('click', () => first && load(first));
  $('#rows-json').addEventListener('change', (ev) => { $('#rows-raw').hidden = !ev.target.checked; });
}

export function show(params) {
  const s = stats();
  const sel = $('#rows-resource');
  if (s && s.config && sel.options.length === 0) {
    for (const r of s.config.resources) sel.append(h('option', {}, r.name));
    fill_fields();
  }
  const url = params.get('url');
  if (url && url.startsWith('/v1/')) {
    first = url;
    load(url);
  }
}
