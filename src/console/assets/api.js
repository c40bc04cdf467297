// Calls to the Sluice API from the console. The API key (when the server
// requires one) lives in this tab's sessionStorage only and travels in the
// Authorization header, never in a URL.

const KEY = 'sluice.console.key';

export const auth = {
  key: () => sessionStorage.getItem(KEY) || '',
  set: (k) => sessionStorage.setItem(KEY, k),
  clear: () => sessionStorage.removeItem(KEY),
};

// Listeners called with no argument when the server answers 401.
const on_unauthorized = [];
export function when_unauthorized(f) { on_unauthorized.push(f); }

// A query string from URLSearchParams with spaces as %20: URLSearchParams
// writes them as '+', which Sluice reads as a plus sign (as in e-mail
// addresses), so a filter "Ada Lovelace" would not match.
export function query_string(params) {
  return new URLSearchParams(params).toString().replace(/\+/g, '%20');
}

export class api_error extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

// fetch() with the key; resolves to { status, headers, body (parsed JSON or
// text) }; rejects with api_error for 4xx/5xx.
export async function call(path, { method = 'GET', body, headers = {} } = {}) {
  const h = { Accept: 'application/json', ...headers };
  const k = auth.key();
  if (k) h.Authorization = `Bearer ${k}`;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  const res = await fetch(path, {
    method, headers: h, body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store', credentials: 'omit',
  });
  const text = await res.text();
  let parsed = text;
  if ((res.headers.get('content-type') || '').includes('json') && text) {
    try { parsed = JSON.parse(text); } catch { /* keep the text */ }
  }
  if (res.status === 401) on_unauthorized.forEach((f) => f());
  if (res.status >= 400) throw new api_error(res.status, typeof parsed === 'object' ? parsed : { detail: text });
  return { status: res.status, headers: res.headers, body: parsed };
}

// The target of the `rel` link in a Link header (`<a>; rel="next", <b>;
// rel="prev"`), or null. Split at the links' own `<…>`, not at commas: a
// target may hold one (`or=(a,b)`).
export function link_target(link, rel) {
  if (!link) return null;
  for (const m of link.matchAll(/<([^>]*)>([^<]*)/g)) {
    const params = m[2].split(/[;,]/).map((p) => p.trim().toLowerCase());
    if (params.includes(`rel="${rel}"`) || params.includes(`rel=${rel}`)) return m[1];
  }
  return null;
}

// The target of a response's `Link: <…>; rel="next"`, or null.
export function next_link(headers) {
  return link_target(headers.get('link'), 'next');
}

// The last /v1/ops/stats answer, shared by the views that need the list of
// resources and subscriptions.
let last_stats = null;
export function stats() { return last_stats; }
export async function fetch_stats() {
  const r = await call('/v1/ops/stats');
  last_stats = r.body;
  return last_stats;
}
