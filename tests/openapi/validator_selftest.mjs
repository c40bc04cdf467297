// validator.mjs on records made up here: what matches passes, and each kind of
// mismatch (body, status, Content-Type, required header, a body where none is
// declared, an unknown path) fails it and is named. Env: SLUICE_NPM_DIR.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import assert from 'node:assert/strict';

const validator = join(dirname(fileURLToPath(import.meta.url)), 'validator.mjs');

const problem = { $ref: '#/components/schemas/Problem' };
const doc = {
  openapi: '3.1.0',
  info: { title: 't', version: '1' },
  paths: {
    '/v1/things/{id}': {
      get: {
        responses: {
          200: {
            description: 'ok',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/thing' } } },
            headers: { ETag: { required: true, schema: { type: 'string' } } },
          },
          304: { description: 'not modified' },
          404: { $ref: '#/components/responses/Problem404' },
        },
      },
    },
  },
  components: {
    schemas: {
      thing: {
        type: 'object',
        properties: { id: { type: 'integer' }, at: { type: 'string', format: 'date-time' } },
        required: ['id'],
        additionalProperties: false,
      },
      Problem: { type: 'object', required: ['status'], properties: { status: { type: 'integer' } } },
    },
    responses: {
      Problem404: { description: 'no', content: { 'application/problem+json': { schema: problem } } },
    },
  },
};

const json = { 'content-type': 'application/json', etag: '"1"' };
const good = [
  { method: 'GET', target: '/v1/things/1', status: 200, headers: json, body: '{"id":1,"at":"2026-01-01T00:00:00Z"}' },
  { method: 'HEAD', target: '/v1/things/1', status: 200, headers: json, body: '' },
  { method: 'GET', target: '/v1/things/1', status: 304, headers: { etag: '"1"' }, body: '' },
  { method: 'GET', target: '/nope', status: 404, headers: { 'content-type': 'application/problem+json' }, body: '{"status":404}' },
  { method: 'GET', target: '/v1/things/1?select=at', status: 200, headers: json, body: '{"at":"2026-01-01T00:00:00Z"}' },
  { method: 'DELETE', target: '/v1/things/1', status: 405, headers: { 'content-type': 'application/problem+json' }, body: '{"status":405}' },
];
const bad = {
  'body: /at must match format': { method: 'GET', target: '/v1/things/2', status: 200, headers: json, body: '{"id":2,"at":"yesterday"}' },
  'body: / must NOT have additional properties': { method: 'GET', target: '/v1/things/3', status: 200, headers: json, body: '{"id":3,"x":1}' },
  "body: / must have required property 'at'": { method: 'GET', target: '/v1/things/1?select=id,at', status: 200, headers: json, body: '{"id":1}' },
  'status 500 not declared': { method: 'GET', target: '/v1/things/4', status: 500, headers: json, body: '{}' },
  'Content-Type text/html not declared': { method: 'GET', target: '/v1/things/5', status: 200, headers: { ...json, 'content-type': 'text/html' }, body: '<p>' },
  'required header ETag missing': { method: 'GET', target: '/v1/things/6', status: 200, headers: { 'content-type': 'application/json' }, body: '{"id":6}' },
  'where the response declares no content': { method: 'GET', target: '/v1/things/7', status: 304, headers: {}, body: 'x' },
  'a target no path of the document matches': { method: 'GET', target: '/other', status: 200, headers: json, body: '{}' },
};

function run(records) {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-validator-'));
  try {
    mkdirSync(join(dir, 'docs'));
    writeFileSync(join(dir, 'docs', 'd1.json'), JSON.stringify(doc));
    writeFileSync(
      join(dir, '1.jsonl'),
      records.map((r, i) => JSON.stringify({ test: `t.case${i}`, doc: 'd1', via: 'selftest', ...r })).join('\n') + '\n',
    );
    try {
      return { code: 0, out: execFileSync('node', [validator, dir], { encoding: 'utf8' }) };
    } catch (e) {
      return { code: e.status, out: e.stdout };
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('responses that match the document pass', () => {
  const r = run(good);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /6 matched, 0 did not/);
});

for (const [what, rec] of Object.entries(bad)) {
  test(`a mismatch fails and is named: ${what}`, () => {
    const r = run([...good, rec]);
    assert.equal(r.code, 1, r.out);
    assert.ok(r.out.includes(what), r.out);
    assert.match(r.out, /1 did not/);
  });
}
