import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CidrSet } from './cidrset.js';

test('node k gets the k-th /24; occupied and released subnets are honoured', () => {
  const s = new CidrSet('127.42.0.0/16');
  assert.equal(s.allocateNext(), '127.42.0.0/24');
  assert.ok(s.occupy('127.42.2.0/24'));
  assert.equal(s.allocateNext(), '127.42.1.0/24');
  assert.equal(s.allocateNext(), '127.42.3.0/24');
  s.release('127.42.1.0/24');
  assert.equal(s.allocateNext(), '127.42.1.0/24');
  assert.ok(!s.occupy('10.0.0.0/24'));
  const tiny = new CidrSet('10.9.0.0/23');
  assert.equal(tiny.allocateNext(), '10.9.0.0/24');
  assert.equal(tiny.allocateNext(), '10.9.1.0/24');
  assert.equal(tiny.allocateNext(), undefined);
});
