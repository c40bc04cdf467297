// The console's Link header parsing (src/console/assets/api.js), without a
// browser: the rows and dead-letter views page with it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { link_target } from '../../src/console/assets/api.js';

test('next and prev are found in either order', () => {
  const link = '</v1/users?cursor=b>; rel="next", </v1/users?cursor=a>; rel="prev"';
  assert.equal(link_target(link, 'next'), '/v1/users?cursor=b');
  assert.equal(link_target(link, 'prev'), '/v1/users?cursor=a');
  assert.equal(link_target('</p>; rel="prev", </n>; rel="next"', 'next'), '/n');
});

test('a target with commas is one target', () => {
  const t = '/v1/users?or=(name.eq.a,name.eq.b)&limit=2&cursor=x';
  assert.equal(link_target(`<${t}>; rel="next"`, 'next'), t);
  assert.equal(link_target(`</v1/users?or=(a,b)>; rel="prev", <${t}>; rel="next"`, 'next'), t);
});

test('no header, no such rel, unquoted rel', () => {
  assert.equal(link_target(null, 'next'), null);
  assert.equal(link_target('</p>; rel="prev"', 'next'), null);
  assert.equal(link_target('</n>; rel=next', 'next'), '/n');
  assert.equal(link_target('</n>; rel="nextpage"', 'next'), null);
});
