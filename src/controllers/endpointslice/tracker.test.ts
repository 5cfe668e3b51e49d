import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SliceTracker } from './tracker.js';

const slice = (name: string, rv: number) => ({ metadata: { name, resourceVersion: String(rv) } });

test('the tracker calls the cache stale until it shows this controller\'s own writes, then forgets them', () => {
  const t = new SliceTracker();
  assert.equal(t.stale('ns/web', []), false);
  t.wrote('ns/web', 'web-1', '10');
  assert.equal(t.stale('ns/web', []), true, 'a created slice not in the cache yet');
  assert.equal(t.stale('ns/web', [slice('web-1', 9)]), true, 'an older copy');
  assert.equal(t.stale('ns/web', [slice('web-1', 10)]), false);
  assert.equal(t.stale('ns/web', []), false, 'met expectations are forgotten');
  t.deleted('ns/web', 'web-1');
  assert.equal(t.stale('ns/web', [slice('web-1', 10)]), true, 'a deleted slice still cached');
  assert.equal(t.stale('ns/web', []), false);
  t.wrote('ns/web', 'web-2', '20');
  t.observedDeletion('ns/web', 'web-2');
  assert.equal(t.stale('ns/web', []), false, 'a slice deleted by someone else is not waited for');
});
