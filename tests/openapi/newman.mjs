// Newman against the live binary (issue 14): the Postman collection is
// generated from the OpenAPI document (`sluice openapi`, converted by
// openapi-to-postmanv2), every generated request gets a test that its status
// and Content-Type are among those the document declares for it, and a
// hand-written folder on top runs the flow a client runs: POST a record ->
// 202 -> GET its status URL until stored -> GET the row by filter and by its
// URL; then bad input (malformed JSON, an invalid record, a bad filter, a bad
// limit, an unknown field) -> 4xx application/problem+json, and nothing was
// written. `sluice serve` runs on a free loopback port, its store and queue
// in a temp dir.
//
//   node newman.mjs [CONFIG]   env: SLUICE_BINARY, SLUICE_NPM_DIR; OUT_DIR (optional):
//                              the collection and newman's JSON report are written there
// Exit 0 when newman reports no failure.

import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, rmSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const bin = process.env.SLUICE_BINARY;
const npm = process.env.SLUICE_NPM_DIR;
const config = process.argv[2] ?? join(process.env.SLUICE_SOURCE_DIR ?? '.', 'config', 'sluice.toml');
for (const m of ['newman', 'openapi-to-postmanv2']) {
  if (!npm || !existsSync(join(npm, 'node_modules', m))) {
    console.error(`FAIL: ${m} missing under SLUICE_NPM_DIR=${npm}: run make test-deps`);
    process.exit(1);
  }
}
const require = createRequire(join(npm, 'node_modules', 'index.js'));
const Converter = require('openapi-to-postmanv2');
const newman = require('newman');

const work = mkdtempSync(join(tmpdir(), 'sluice-newman-'));
const env = {
  ...process.env,
  SLUICE_HTTP_LISTEN: '127.0.0.1:0',
  SLUICE_AUTH_MODE: 'none',
  SLUICE_STORE_URL: `sqlite://${join(work, 'sluice.db')}`,
  SLUICE_BROKER_URL: `sqlite://${join(work, 'queue.db')}`,
};

let server;
function cleanup() {
  if (server && server.exitCode === null) server.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
}

function fail(why) {
  console.error(`FAIL: ${why}`);
  cleanup();
  process.exit(1);
}

// --- the server -----------------------------------------------------------

async function startServer() {
  const log = join(work, 'sluice.log');
  const { openSync } = await import('node:fs');
  const fd = openSync(log, 'w');
  server = spawn(bin, ['serve', '--config', config], { env, stdio: ['ignore', fd, fd] });
  for (let i = 0; i < 400; ++i) {  // <= 20 s
    const m = /"msg":"listening".*"port":(\d+)/.exec(readFileSync(log, 'utf8'));
    if (m) return Number(m[1]);
    if (server.exitCode !== null) fail(`sluice serve exited ${server.exitCode}:\n${readFileSync(log, 'utf8')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  fail('sluice serve did not listen within 20 s');
}

async function stopServer() {
  if (!server || server.exitCode !== null) return server?.exitCode;
  const done = new Promise((r) => server.once('exit', (code) => r(code)));
  server.kill('SIGTERM');
  const t = setTimeout(() => server.kill('SIGKILL'), 30000);
  const code = await done;
  clearTimeout(t);
  return code;
}

// --- the collection -------------------------------------------------------

function convert(doc) {
  return new Promise((resolve, reject) => {
    Converter.convertV2(
      { type: 'json', data: doc },
      {
        folderStrategy: 'Tags',
        requestNameSource: 'Fallback',
        parametersResolution: 'Example',
        enableOptionalParameters: false,  // the generated requests: required parameters only
        includeAuthInfoInExample: false,
      },
      (err, out) => {
        if (err) return reject(err);
        if (!out.result) return reject(new Error(out.reason));
        resolve(out.output[0].data);
      },
    );
  });
}

function deref(doc, v) {
  for (let i = 0; v && v.$ref && i < 10; ++i) {
    v = v.$ref.slice(2).split('/').reduce((o, k) => o?.[k], doc);
  }
  return v;
}

// The operation a generated request was made from: its method and its URL
// path (":id" for a path parameter, as openapi-to-postmanv2 writes it).
function operationOf(doc, request) {
  const method = (request.method ?? 'GET').toLowerCase();
  const segs = (request.url?.path ?? []).map((s) => (s.startsWith(':') ? '{}' : s));
  for (const [path, item] of Object.entries(doc.paths)) {
    const t = path.split('/').slice(1).map((s) => (/^\{.*\}$/.test(s) ? '{}' : s));
    if (t.length === segs.length && t.every((s, i) => s === segs[i]) && item[method]) {
      return { path, method, op: item[method] };
    }
  }
  return null;
}

function test(name, lines) {
  return { listen: 'test', script: { type: 'text/javascript', exec: [`// ${name}`, ...lines] } };
}

// Each generated request: its status is one the document declares, and its
// Content-Type one of that response's media types.
function addGeneratedTests(doc, items, count) {
  for (const item of items) {
    if (item.item) {
      addGeneratedTests(doc, item.item, count);
      continue;
    }
    const found = operationOf(doc, item.request);
    if (!found) throw new Error(`no operation for generated request ${item.name}`);
    const declared = {};
    for (const [status, r] of Object.entries(found.op.responses)) {
      declared[status] = Object.keys(deref(doc, r).content ?? {});
    }
    item.event = [
      test(`${found.method.toUpperCase()} ${found.path}: a status and Content-Type the document declares`, [
        `const declared = ${JSON.stringify(declared)};`,
        `pm.test('status ' + pm.response.code + ' is declared for ${found.method.toUpperCase()} ${found.path}', () => {`,
        `  pm.expect(Object.keys(declared)).to.include(String(pm.response.code));`,
        `});`,
        `pm.test('Content-Type is declared for the status', () => {`,
        `  const types = declared[String(pm.response.code)] || [];`,
        `  const ct = (pm.response.headers.get('Content-Type') || '').split(';')[0].trim();`,
        `  if (types.length === 0) pm.expect(pm.response.text()).to.equal('');`,
        `  else pm.expect(types).to.include(ct);`,
        `});`,
      ]),
    ];
    count.n += 1;
  }
}

function request(name, method, url, { body, type = 'application/json', tests, prerequest } = {}) {
  const item = {
    name,
    request: {
      method,
      header: body === undefined ? [] : [{ key: 'Content-Type', value: type }],
      url: `{{baseUrl}}${url}`,
    },
    event: [test(name, tests)],
  };
  if (body !== undefined) item.request.body = { mode: 'raw', raw: body };
  if (prerequest) item.event.push({ listen: 'prerequest', script: { type: 'text/javascript', exec: prerequest } });
  return item;
}

const problemTests = (status) => [
  `pm.test('${status} problem+json', () => {`,
  `  pm.response.to.have.status(${status});`,
  `  pm.expect(pm.response.headers.get('Content-Type')).to.match(/^application\\/problem\\+json/);`,
  `  const p = pm.response.json();`,
  `  pm.expect(p.status).to.equal(${status});`,
  `  pm.expect(p.title).to.be.a('string');`,
  `  pm.expect(p.detail).to.be.a('string').and.not.empty;`,
  `});`,
];

// The hand-written flow and bad input, against the first resource (its
// fields from the document's record schema: an example record, and one with
// a required field left out).
function handWritten(doc) {
  const resource = Object.keys(doc.paths)
    .map((p) => /^\/v1\/([a-z][a-z0-9_]*)$/.exec(p))
    .find((m) => m && doc.paths[m[0]].post)?.[1];
  if (!resource) throw new Error('no resource to POST to');
  const example = doc.paths[`/v1/${resource}`].post.requestBody.content['application/json'].example;
  const record = doc.components.schemas[`${resource}_record`];
  const required = record.required ?? [];
  const emailField = Object.entries(record.properties).find(([, s]) => s.format === 'email')?.[0];
  const keyField = emailField ?? required[0];
  const unique = '{{runId}}';
  const body = { ...example };
  if (emailField) body[emailField] = `newman-${unique}@example.com`;
  else body[keyField] = `newman-${unique}`;
  const filter = `${keyField}=eq.${encodeURIComponent(body[keyField]).replace('%7B%7BrunId%7D%7D', unique)}`;
  const invalid = { ...example };
  delete invalid[required[0]];

  const flow = [
    request(`POST /v1/${resource}: 202 and a status URL`, 'POST', `/v1/${resource}`, {
      body: JSON.stringify(body),
      prerequest: [`pm.collectionVariables.set('runId', String(Date.now()) + Math.floor(Math.random() * 1e6));`,
                   `pm.collectionVariables.set('polls', '0');`],
      tests: [
        `pm.test('202 accepted', () => pm.response.to.have.status(202));`,
        `const a = pm.response.json();`,
        `pm.test('an id and a status URL', () => {`,
        `  pm.expect(a.status).to.equal('accepted');`,
        `  pm.expect(a.id).to.match(/^[0-9a-f-]{36}$/);`,
        `  pm.expect(a.status_url).to.equal('/v1/messages/' + a.id);`,
        `  pm.expect(pm.response.headers.get('Location')).to.equal(a.status_url);`,
        `});`,
        `pm.collectionVariables.set('messageId', a.id);`,
      ],
    }),
    request('GET /v1/messages/{id}: until stored', 'GET', '/v1/messages/{{messageId}}', {
      tests: [
        `pm.test('200', () => pm.response.to.have.status(200));`,
        `const s = pm.response.json();`,
        `pm.test('pending or stored', () => pm.expect(['pending', 'stored']).to.include(s.status));`,
        `const polls = Number(pm.collectionVariables.get('polls')) + 1;`,
        `pm.collectionVariables.set('polls', String(polls));`,
        `if (s.status !== 'stored') {`,
        `  pm.test('stored within 200 polls', () => pm.expect(polls).to.be.below(200));`,
        `  if (polls < 200) { setTimeout(() => {}, 50); postman.setNextRequest(pm.info.requestName); }`,
        `} else {`,
        `  pm.test('stored: a row URL', () => pm.expect(s.row_url).to.match(/^\\/v1\\/${resource}\\/\\d+$/));`,
        `  pm.collectionVariables.set('rowUrl', s.row_url);`,
        `}`,
      ],
    }),
    request(`GET /v1/${resource}?${keyField}=eq.…: the row`, 'GET', `/v1/${resource}?${filter}`, {
      tests: [
        `pm.test('200 JSON', () => { pm.response.to.have.status(200); pm.response.to.be.json; });`,
        `const rows = pm.response.json();`,
        `pm.test('exactly the row posted', () => {`,
        `  pm.expect(rows).to.have.lengthOf(1);`,
        `  pm.expect(rows[0].message_id).to.equal(pm.collectionVariables.get('messageId'));`,
        `  pm.expect('/v1/${resource}/' + rows[0].id).to.equal(pm.collectionVariables.get('rowUrl'));`,
        `});`,
      ],
    }),
    request('GET the row URL: the same row', 'GET', '{{rowUrl}}', {
      tests: [
        `pm.test('200 and an ETag', () => { pm.response.to.have.status(200); pm.expect(pm.response.headers.get('ETag')).to.be.a('string'); });`,
        `pm.test('its message id', () => pm.expect(pm.response.json().message_id).to.equal(pm.collectionVariables.get('messageId')));`,
      ],
    }),
  ];
  const bad = [
    request(`POST /v1/${resource} malformed JSON: 400`, 'POST', `/v1/${resource}`, {
      body: '{"oops": ',
      tests: problemTests(400),
    }),
    request(`POST /v1/${resource} without ${required[0]}: 422 naming it`, 'POST', `/v1/${resource}`, {
      body: JSON.stringify(invalid),
      tests: [
        ...problemTests(422),
        `pm.test('errors[] points at /${required[0]}', () => {`,
        `  pm.expect(pm.response.json().errors.map((e) => e.pointer).join(' ')).to.include('/${required[0]}');`,
        `});`,
      ],
    }),
    request(`POST /v1/${resource} as text/plain: 415`, 'POST', `/v1/${resource}`, {
      body: JSON.stringify(body),
      type: 'text/plain',
      tests: problemTests(415),
    }),
    request(`GET /v1/${resource}?limit=abc: 400`, 'GET', `/v1/${resource}?limit=abc`, { tests: problemTests(400) }),
    request(`GET /v1/${resource}?id=eq.x: 400`, 'GET', `/v1/${resource}?id=eq.x`, { tests: problemTests(400) }),
    request(`GET /v1/${resource}?no_such_field=eq.1: 400`, 'GET', `/v1/${resource}?no_such_field=eq.1`, {
      tests: problemTests(400),
    }),
    request(`GET /v1/${resource}?${keyField}=eq.…: still exactly one row`, 'GET', `/v1/${resource}?${filter}`, {
      tests: [
        `pm.test('bad input changed nothing', () => {`,
        `  pm.response.to.have.status(200);`,
        `  pm.expect(pm.response.json()).to.have.lengthOf(1);`,
        `});`,
      ],
    }),
  ];
  return [
    { name: 'flow: POST -> status -> rows', item: flow },
    { name: 'bad input: 4xx problem+json, nothing changed', item: bad },
  ];
}

// --- the run --------------------------------------------------------------

const doc = JSON.parse(execFileSync(bin, ['openapi', '--config', config], { env, encoding: 'utf8' }));
let collection;
try {
  collection = await convert(doc);
} catch (e) {
  fail(`openapi-to-postmanv2: ${e.message}`);
}
const count = { n: 0 };
addGeneratedTests(doc, collection.item, count);
const generated = count.n;
if (generated === 0) fail('openapi-to-postmanv2 generated no request');
collection.item.push(...handWritten(doc));
// The server's own variable; the document's server URL is the configured listen address.
collection.variable = (collection.variable ?? []).filter((v) => v.key !== 'baseUrl');

const port = await startServer();
const out = process.env.OUT_DIR;
if (out) {
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'sluice.postman_collection.json'), JSON.stringify(collection, null, 2));
}
const summary = await new Promise((resolve, reject) => {
  newman.run(
    {
      collection,
      envVar: [{ key: 'baseUrl', value: `http://127.0.0.1:${port}` }],
      reporters: out ? ['cli', 'json'] : ['cli'],
      reporter: out ? { json: { export: join(out, 'newman-report.json') } } : {},
      timeoutRequest: 15000,
      timeout: 240000,
    },
    (err, s) => (err ? reject(err) : resolve(s)),
  );
}).catch((e) => fail(`newman: ${e.message}`));
const code = await stopServer();
const { stats, failures } = summary.run;
console.log(
  `newman: ${generated} generated requests + the hand-written flow; ${stats.requests.total} requests, ` +
    `${stats.assertions.total} assertions, ${stats.assertions.failed} failed; ${failures.length} failures; ` +
    `sluice exited ${code}`,
);
cleanup();
process.exit(failures.length === 0 && code === 0 ? 0 : 1);
