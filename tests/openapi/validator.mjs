// Checks every response an integration test binary recorded
// (tests/support/openapi_record: <dir>/<pid>.jsonl, one JSON line per
// response; <dir>/docs/<id>.json, the document of each server) against the
// OpenAPI document of the server that sent it:
//   - the route: the document's path template the target matches (literal
//     segments before {parameters}), the method's operation (HEAD: GET's);
//   - the status: declared for that operation (exact, NXX or default);
//   - the content type: one of the response's declared media types, and no
//     body where the response declares no content;
//   - the body: JSON bodies validated with ajv (JSON Schema 2020-12, the
//     dialect of OpenAPI 3.1) against the response's schema and the
//     document's component schemas, formats from ajv-formats;
//   - the headers: those declared required are present; declared ones that
//     are present match their schema.
// A target no path matches may only be answered 404, a method the path has
// no operation for 405 (the document cannot declare either), and a request
// whose line could not be told (a raw framing test) only by a status some
// shared problem response declares; all three as the Problem schema says.
//
//   node validator.mjs RECORDS_DIR        (SLUICE_NPM_DIR: the npm test tools)
// Exit 0 when every response matches (also when there is none), 1 otherwise.

import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: validator.mjs RECORDS_DIR');
  process.exit(2);
}
const npm = process.env.SLUICE_NPM_DIR;
if (!npm || !existsSync(join(npm, 'node_modules', 'ajv'))) {
  console.error(`FAIL: ajv missing under SLUICE_NPM_DIR=${npm}: run make test-deps`);
  process.exit(1);
}
const require = createRequire(join(npm, 'node_modules', 'index.js'));
const Ajv2020 = require('ajv/dist/2020').default;
const addFormats = require('ajv-formats').default;

if (!existsSync(dir)) {
  console.log(`openapi: no responses recorded (${dir} absent): nothing to check`);
  process.exit(0);
}

// --- the documents --------------------------------------------------------

// Component schema refs point into the one schema that holds them all.
const DEFS = 'urn:sluice:openapi';

const docs = new Map();  // id -> checker
const docDir = join(dir, 'docs');
if (existsSync(docDir)) {
  for (const f of readdirSync(docDir)) {
    if (!f.endsWith('.json')) continue;
    docs.set(f.slice(0, -5), makeChecker(JSON.parse(readFileSync(join(docDir, f), 'utf8'))));
  }
}

function pointer(doc, ref) {
  if (!ref.startsWith('#/')) throw new Error(`external $ref ${ref}`);
  let v = doc;
  for (const part of ref.slice(2).split('/')) {
    v = v?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  if (v === undefined) throw new Error(`unresolved $ref ${ref}`);
  return v;
}

function deref(doc, v) {
  for (let i = 0; v && v.$ref && i < 10; ++i) v = pointer(doc, v.$ref);
  return v;
}

function rewrite(schema) {
  if (Array.isArray(schema)) return schema.map(rewrite);
  if (schema && typeof schema === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(schema)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith('#/components/schemas/')) {
        out[k] = `${DEFS}#/$defs/${v.slice('#/components/schemas/'.length)}`;
      } else {
        out[k] = rewrite(v);
      }
    }
    return out;
  }
  return schema;
}

function makeChecker(doc) {
  // strict: a keyword ajv does not know in the document's schemas is an
  // error of the document, except OpenAPI's own annotations.
  const ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true });
  addFormats(ajv);
  ajv.addVocabulary(['example', 'xml', 'externalDocs', 'discriminator']);
  ajv.addSchema({ $id: DEFS, $defs: rewrite(doc.components?.schemas ?? {}) });
  const compiled = new Map();
  const validator = (key, schema) => {
    if (!compiled.has(key)) compiled.set(key, ajv.compile(rewrite(schema)));
    return compiled.get(key);
  };
  const paths = Object.keys(doc.paths ?? {}).map((p) => {
    const segs = p.split('/').slice(1);
    return { path: p, segs, literals: segs.filter((s) => !/^\{.*\}$/.test(s)).length };
  });
  paths.sort((a, b) => b.literals - a.literals);
  const problemStatuses = new Set(
    Object.keys(doc.components?.responses ?? {})
      .map((k) => /^Problem(\d{3})$/.exec(k))
      .filter(Boolean)
      .map((m) => Number(m[1])),
  );
  return { doc, ajv, validator, paths, problemStatuses };
}

// --- matching -------------------------------------------------------------

function decode(seg) {
  try {
    return decodeURIComponent(seg);
  } catch {
    return seg;
  }
}

function matchPath(checker, target) {
  // absolute-form (RFC 9112 3.2.2) is served as its path
  const path = target.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '').split('?')[0].split('#')[0] || '/';
  if (!path.startsWith('/')) return null;
  const segs = path.split('/').slice(1).map(decode);
  for (const p of checker.paths) {
    if (p.segs.length !== segs.length) continue;
    if (p.segs.every((s, i) => /^\{.*\}$/.test(s) || s === segs[i])) return p.path;
  }
  return null;
}

function mediaType(headers) {
  const ct = headers['content-type'];
  return ct ? ct.split(';')[0].trim().toLowerCase() : '';
}

function contentFor(content, type) {
  if (content[type]) return [type, content[type]];
  const [major] = type.split('/');
  for (const k of Object.keys(content)) {
    const kl = k.toLowerCase();
    if (kl === type || kl === `${major}/*` || kl === '*/*') return [k, content[k]];
  }
  return null;
}

function ajvErrors(errors) {
  return (errors ?? [])
    .slice(0, 5)
    .map((e) => `${e.instancePath || '/'} ${e.message}${e.params && Object.keys(e.params).length ? ' ' + JSON.stringify(e.params) : ''}`)
    .join('; ');
}

// `select=a,b` of a GET's query (PostgREST's column list), or null.
function selectedFields(target) {
  const q = (target ?? '').split('?')[1];
  if (!q) return null;
  for (const part of q.split('&')) {
    const [k, v] = part.split('=');
    if (decode(k) === 'select' && v !== undefined) return decode(v.replace(/\+/g, ' '));
  }
  return null;
}

// A row schema (or an array of them) narrowed to the fields of `select=`:
// those fields required, no other one allowed (the document's row schema
// says what a full row holds; a select= answer holds the selected subset).
function narrowed(doc, schema, selected) {
  const fields = selected.split(',').map((f) => f.trim()).filter(Boolean);
  const narrowRow = (s) => {
    const row = deref(doc, s);
    if (!row || row.type !== 'object' || !row.properties) return s;
    const properties = {};
    for (const f of fields) if (row.properties[f]) properties[f] = row.properties[f];
    return { ...row, properties, required: fields.filter((f) => row.properties[f]) };
  };
  const s = deref(doc, schema);
  if (s?.type === 'array' && s.items) return { ...s, items: narrowRow(s.items) };
  return narrowRow(schema);
}

// Whether the declared response `resp` (its key `key` under responses)
// describes the recorded one; a list of what does not match.
function checkResponse(checker, where, resp, rec) {
  const problems = [];
  const { doc } = checker;
  resp = deref(doc, resp);
  const headers = rec.headers ?? {};
  const head = rec.method === 'HEAD';
  const body = rec.body ?? '';
  const type = mediaType(headers);
  if (resp.content && Object.keys(resp.content).length > 0) {
    const found = type ? contentFor(resp.content, type) : null;
    if (!type) {
      problems.push(`no Content-Type (declared: ${Object.keys(resp.content).join(', ')})`);
    } else if (!found) {
      problems.push(`Content-Type ${type} not declared (declared: ${Object.keys(resp.content).join(', ')})`);
    } else if (!head && rec.body !== undefined) {
      const [mt, media] = found;
      const json = mt === 'application/json' || mt.endsWith('+json');
      if (json && media.schema) {
        let value;
        try {
          value = JSON.parse(body);
        } catch (e) {
          problems.push(`body is not JSON (${e.message}): ${body.slice(0, 120)}`);
        }
        if (value !== undefined) {
          const selected = selectedFields(rec.target);
          const schema = selected ? narrowed(doc, media.schema, selected) : media.schema;
          const v = checker.validator(`${where} ${mt} ${selected ?? ''}`, schema);
          if (!v(value)) problems.push(`body: ${ajvErrors(v.errors)}: ${body.slice(0, 200)}`);
        }
      }
    }
  } else if (!head && body.length > 0) {
    problems.push(`a body (${type || 'no type'}, ${body.length} bytes) where the response declares no content`);
  }
  for (const [name, h0] of Object.entries(resp.headers ?? {})) {
    const h = deref(doc, h0);
    const value = headers[name.toLowerCase()];
    if (value === undefined) {
      if (h.required) problems.push(`required header ${name} missing`);
      continue;
    }
    if (h.schema) {
      const s = deref(doc, h.schema);
      let v = value;
      const t = Array.isArray(s.type) ? s.type : [s.type];
      if ((t.includes('integer') || t.includes('number')) && /^-?\d+(\.\d+)?$/.test(value)) v = Number(value);
      const validate = checker.validator(`${where} header ${name}`, h.schema);
      if (!validate(v)) problems.push(`header ${name}: ${JSON.stringify(value)} ${ajvErrors(validate.errors)}`);
    }
  }
  return problems;
}

// A refusal outside any operation: status `allowed` or a shared problem
// response's, body as the Problem schema says.
function checkOutside(checker, rec, allowed, why) {
  const { doc } = checker;
  const name = `Problem${rec.status}`;
  if (!allowed.includes(rec.status) && !checker.problemStatuses.has(rec.status)) {
    return [`${why}, and ${rec.status} is no status the document's problem responses declare`];
  }
  const resp = doc.components?.responses?.[name] ?? {
    description: why,
    content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
  };
  return checkResponse(checker, `outside ${rec.status}`, resp, rec);
}

function check(rec) {
  const checker = docs.get(rec.doc);
  if (!checker) return [`no document ${rec.doc}`];
  if (!rec.method) return checkOutside(checker, rec, [], 'a request line the test made unreadable');
  const path = matchPath(checker, rec.target);
  if (!path) return checkOutside(checker, rec, [404], 'a target no path of the document matches');
  const item = checker.doc.paths[path];
  const method = rec.method.toLowerCase();
  const op = item[method] ?? (method === 'head' ? item.get : undefined);
  if (!op) return checkOutside(checker, rec, [405], `${rec.method} on ${path}, which has no such operation`);
  const responses = op.responses ?? {};
  const s = String(rec.status);
  const key = responses[s] ? s : responses[`${s[0]}XX`] ? `${s[0]}XX` : responses.default ? 'default' : null;
  if (!key) {
    return [`status ${s} not declared for ${rec.method} ${path} (declared: ${Object.keys(responses).join(' ')})`];
  }
  return checkResponse(checker, `${method} ${path} ${key}`, responses[key], rec);
}

// --- the records ----------------------------------------------------------

let total = 0;
const tests = new Set();
const failures = new Map();  // a mismatch's text -> { count, tests, example }
for (const f of readdirSync(dir)) {
  if (!f.endsWith('.jsonl')) continue;
  for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const rec = JSON.parse(line);
    ++total;
    tests.add(rec.test);
    let problems;
    try {
      problems = check(rec);
    } catch (e) {
      problems = [`validator error: ${e.message}`];
    }
    if (problems.length === 0) continue;
    const checker = docs.get(rec.doc);
    const route = checker ? matchPath(checker, rec.target ?? '') ?? rec.target : rec.target;
    const text = `${rec.method || '(unreadable request)'} ${route} -> ${rec.status}: ${problems.join(' | ')}`;
    const entry = failures.get(text) ?? { count: 0, tests: new Set(), example: rec };
    entry.count += 1;
    entry.tests.add(rec.test);
    failures.set(text, entry);
  }
}

let failed = 0;
for (const [text, e] of failures) {
  failed += e.count;
  console.log(`MISMATCH ×${e.count} ${text}`);
  console.log(`  in ${[...e.tests].slice(0, 5).join(', ')}${e.tests.size > 5 ? ` and ${e.tests.size - 5} more` : ''}`);
  console.log(`  e.g. ${e.example.via}: ${e.example.method} ${e.example.target}`);
}
console.log(
  `openapi: ${total} responses of ${tests.size} tests checked against ${docs.size} documents: ` +
    `${total - failed} matched, ${failed} did not`,
);
process.exit(failed === 0 ? 0 : 1);
