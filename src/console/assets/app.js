// The console's entry: views chosen by the URL's fragment (#overview,
// #tracer, #dead-letters, #rows, #slo), /v1/ops/stats polled once a second
// while the overview or the SLO panel is shown, and the sign-in form when
// the server answers 401.

import { $ } from './dom.js';
import { auth, fetch_stats, when_unauthorized } from './api.js';
import * as overview from './overview.js';
import * as slo from './slo.js';
import * as tracer from './tracer.js';
import * as dead_letters from './deadletters.js';
import * as rows from './rows.js';

const VIEWS = { overview, tracer, 'dead-letters': dead_letters, rows, slo };
const LIVE = new Set(['overview', 'slo']);
let current = null;
let timer = null;
let signed_out = false;

function route() {
  const [name, query] = (location.hash.slice(1) || 'overview').split('?');
  return { name: VIEWS[name] ? name : 'overview', params: new URLSearchParams(query || '') };
}

function status(text, bad = false) {
  const el = $('#conn');
  el.textContent = text;
  el.classList.toggle('bad', bad);
}

async function tick() {
  clearTimeout(timer);
  try {
    const s = await fetch_stats();
    if (current === 'overview') overview.update(s);
    if (current === 'slo') slo.update(s);
    status(`updated ${new Date().toLocaleTimeString('en-GB')}`);
  } catch (e) {
    if (e.status === 401 || e.status === 403) {
      if (e.status === 403) show_login(`This key lacks the admin scope.`);
      return;
    }
    status('disconnected: retrying', true);
  }
  if (LIVE.has(current) && !signed_out) timer = setTimeout(tick, 1000);
}

function show_login(message = '') {
  signed_out = true;
  clearTimeout(timer);
  for (const v of document.querySelectorAll('.view')) v.hidden = true;
  $('#login').hidden = false;
  $('#login-error').textContent = message;
  $('#logout').hidden = true;
  status('signed out');
  $('#api-key').focus();
}

async function show() {
  if (signed_out) return;
  const { name, params } = route();
  current = name;
  for (const a of document.querySelectorAll('.top nav a')) {
    if (a.getAttribute('href') === `#${name}`) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  for (const v of document.querySelectorAll('.view')) v.hidden = v.id !== `view-${name}`;
  $('#login').hidden = true;
  $('#logout').hidden = !auth.key();
  document.title = `${$(`#view-${name} h1`).firstChild.textContent.trim()} · Sluice console`;
  // The views that list resources need one stats answer first.
  if (LIVE.has(name)) {
    tick();
  } else {
    clearTimeout(timer);
    try { await fetch_stats(); } catch { /* the view says what fails */ }
    if (!signed_out) VIEWS[name].show(params);
  }
}

when_unauthorized(() => show_login(auth.key() ? 'The key was not accepted.' : ''));

$('#login-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  auth.set($('#api-key').value.trim());
  $('#api-key').value = '';
  signed_out = false;
  show();
});
$('#logout').addEventListener('click', () => { auth.clear(); show_login(); });
window.addEventListener('hashchange', () => { signed_out = false; show(); $('#main').focus(); });

for (const v of Object.values(VIEWS)) if (v.init) v.init();
show();
