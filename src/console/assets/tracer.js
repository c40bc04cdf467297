// The message tracer: a message id (or an Idempotency-Key, turned into the
// ids the server derives from it) → its status timeline from
// GET /v1/messages/{id}, the stored row, and the dead letter when the
// dead-letter API has one.

import { $, h, replace, pretty, uuid7_time } from './dom.js';
import { call, stats } from './api.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// model/uuid.cpp's namespace for Idempotency-Key ids.
const KEY_NAMESPACE = [0x64, 0x91, 0x02, 0xce, 0x47, 0x41, 0x40, 0xc5, 0xa6, 0xc3, 0xbb, 0x20, 0x24, 0xb9, 0xd0, 0x17];

// SHA-1 (FIPS 180-4), for UUIDv5 (RFC 9562 §5.5). crypto.subtle would do it,
// but only in a secure context, and the console is often served over plain
// HTTP on a private address.
function sha1(bytes) {
  const ml = bytes.length * 8;
  const padded = new Uint8Array(((bytes.length + 9 + 63) >> 6) << 6);
  padded.set(bytes);
  padded[bytes.length] = 0x80;
  const dv = new DataView(padded.buffer);
  dv.setUint32(padded.length - 4, ml >>> 0);
  dv.setUint32(padded.length - 8, Math.floor(ml / 2 ** 32));
  let [a0, b0, c0, d0, e0] = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0];
  const w = new Uint32Array(80);
  const rotl = (x, n) => (x << n) | (x >>> (32 - n));
  for (let off = 0; off < padded.length; off += 64) {
    for (let i = 0; i < 16; i += 1) w[i] = dv.getUint32(off + i * 4);
    for (let i = 16; i < 80; i += 1) w[i] = rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    let [a, b, c, d, e] = [a0, b0, c0, d0, e0];
    for (let i = 0; i < 80; i += 1) {
      let f;
      let k;
      if (i < 20) { f = (b & c) | (~b & d); k = 0x5a827999; } else if (i < 40) { f = b ^ c ^ d; k = 0x6ed9eba1; } else if (i < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8f1bbcdc; } else { f = b ^ c ^ d; k = 0xca62c1d6; }
      const t = (rotl(a, 5) + f + e + k + w[i]) >>> 0;
      e = d; d = c; c = rotl(b, 30) >>> 0; b = a; a = t;
    }
    a0 = (a0 + a) >>> 0; b0 = (b0 + b) >>> 0; c0 = (c0 + c) >>> 0; d0 = (d0 + d) >>> 0; e0 = (e0 + e) >>> 0;
  }
  const out = new Uint8Array(20);
  const ov = new DataView(out.buffer);
  [a0, b0, c0, d0, e0].forEach((x, i) => ov.setUint32(i * 4, x));
  return out;
}

// The id the server gives record `index` of a POST with this key (model/uuid.cpp uuid_v5).
export function key_to_id(principal, resource, key, index) {
  let name = '';
  const enc = new TextEncoder();
  if (principal) name += `${enc.encode(principal).length}:${principal}\n`;
  name += `${resource}\n${key}\n${index}`;
  const data = enc.encode(name);
  const input = new Uint8Array(16 + data.length);
  input.set(KEY_NAMESPACE);
  input.set(data, 16);
  const d = sha1(input).slice(0, 16);
  d[6] = (d[6] & 0x0f) | 0x50;
  d[8] = (d[8] & 0x3f) | 0x80;
  const hex = [...d].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

async function try_call(path) {
  try {
    return (await call(path)).body;
  } catch (e) {
    if (e.status === 404) return null;
    throw e;
  }
}

function step(cls, title, when, ...detail) {
  return h('li', { class: cls }, h('strong', {}, title), when ? h('span', { class: 'when' }, ` ${when}`) : null,
    detail.length ? h('div', {}, ...detail) : null);
}

async function trace_one(id) {
  const status = await try_call(`/v1/messages/${encodeURIComponent(id)}`);
  if (!status) return h('div', { class: 'trace', 'data-status': 'unknown' }, h('p', {}, `No message ${id} is known to the broker or the store.`));
  const steps = [];
  const made = uuid7_time(id);
  steps.push(step('', 'Accepted', made ? made.toISOString() : '(time not in a key-derived id)'));
  let row = null;
  for (const e of status.history || []) {
    const what = [e.subscription && `subscription ${e.subscription}`, e.table && `table ${e.table}`,
      e.attempts && `after ${e.attempts} attempt(s)`, e.reason].filter(Boolean).join(', ');
    steps.push(step(e.event === 'dead_lettered' ? 'bad' : e.event === 'stored' ? 'ok' : '', e.event, e.at || '', what));
  }
  const has_history = Array.isArray(status.history) && status.history.length > 0;
  if (status.status === 'stored') {
    row = await try_call(status.row_url);
    if (row && row.received_at && !made) steps[0] = step('', 'Accepted', row.received_at);
    const link = h('span', {}, 'row ', h('a', { href: `#rows?url=${encodeURIComponent(status.row_url)}` }, status.row_url));
    if (has_history) steps.push(step('', 'Now', '', link));
    else steps.push(step('ok', 'Stored', row && row.stored_at ? row.stored_at : '', link, row && row.subscription ? ` by subscription ${row.subscription}` : ''));
  } else if (has_history) {
    // The history says it all.
  } else if (status.status === 'dead_lettered') {
    steps.push(step('bad', 'Dead-lettered', '', `subscription ${status.subscription}, after ${status.attempts} attempt(s): ${status.reason}`));
  } else {
    steps.push(step('', status.status === 'pending' ? 'Pending' : status.status, '', status.status === 'pending' ? 'in the broker: not yet stored or dead-lettered' : ''));
  }
  // A message stored by one subscription may be a dead letter in another.
  // (The history, where the server keeps one, already lists it.)
  const dead = await try_call(`/v1/dead-letters/${encodeURIComponent(id)}`).catch(() => null);
  if (dead && status.status !== 'dead_lettered' && !has_history) {
    steps.push(step('bad', 'Dead-lettered', dead.last_failed_at || '', `subscription ${dead.subscription}: ${dead.reason}`));
  }
  // The status carries the accepting request's trace id once the row or dead
  // letter is written (absent for messages published without a traceparent).
  const trace_id = status.trace_id || null;
  return h('div', { class: 'trace', 'data-status': status.status },
    h('h2', {}, h('code', {}, id), ' ', h('span', { class: `tag ${status.status === 'stored' ? 'ok' : status.status === 'dead_lettered' ? 'bad' : 'warn'}` }, status.status)),
    h('p', { class: 'muted small' }, 'Trace id: ', trace_id ? h('code', { class: 'trace-id' }, trace_id) : 'none recorded with this message'),
    h('ol', { class: 'timeline' }, steps),
    row ? h('details', {}, h('summary', {}, 'Row'), h('pre', { class: 'json' }, pretty(row))) : null,
    dead && dead.body ? h('details', {}, h('summary', {}, 'Dead-lettered body'), h('pre', { class: 'json' }, pretty(dead.body))) : null);
}

export function init() {
  const form = $('#tracer-form');
  const out = $('#tracer-out');
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const input = form.elements.id.value.trim();
    replace(out, h('p', {}, 'Looking…'));
    try {
      if (UUID.test(input)) {
        replace(out, await trace_one(input.toLowerCase()));
        return;
      }
      // An Idempotency-Key: the ids of records 0, 1, … of that request.
      const resource = form.elements.resource.value;
      const principal = form.elements.principal.value.trim();
      const found = [];
      for (let i = 0; i < 50; i += 1) {
        const id = key_to_id(principal, resource, input, i);
        const st = await try_call(`/v1/messages/${id}`);
        if (!st) break;
        found.push(await trace_one(id));
      }
      replace(out, found.length ? found : h('p', {}, `No message was published to ${resource} with that Idempotency-Key${principal ? ` by ${principal}` : ''}.`));
    } catch (e) {
      replace(out, h('p', { class: 'error', role: 'alert' }, e.message));
    }
  });
}

export function show() {
  const s = stats();
  const sel = $('#tr-resource');
  if (s && s.config && sel.options.length === 0) {
    for (const r of s.config.resources) sel.append(h('option', {}, r.name));
  }
  $('#tr-id').focus();
}
