import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../storage/memory.js';
import { textDecoder, textEncoder } from '../../storage/store.js';
import { waitFor } from '../../util/testing.js';
import type { KubeObject } from '../../api/types.js';
import { NamespaceLister } from './namespace-lister.js';

const prefix = '/registry/namespaces/';
const ns = (name: string, terminating = false) => textEncoder.encode(JSON.stringify({ metadata: { name, ...(terminating ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) } }));

test('the namespace lister holds Active namespaces from its list and its watch, and lets go of Terminating and deleted ones', async () => {
  const store = new MemoryStore();
  const abort = new AbortController();
  await store.create(`${prefix}old`, ns('old'));
  await store.create(`${prefix}going`, ns('going', true));
  const lister = new NamespaceLister({ store, prefix, decode: (kv) => JSON.parse(textDecoder.decode(kv.value)) as KubeObject, signal: abort.signal });
  assert.equal(lister.isActive('old'), false, 'nothing is answered before the first list');
  await waitFor('listed', () => lister.isActive('old') || undefined, 5000, 5);
  assert.equal(lister.isActive('going'), false, 'Terminating is not Active');
  const made = await store.create(`${prefix}new`, ns('new'));
  await waitFor('watched', () => lister.isActive('new') || undefined, 5000, 5);
  await store.update(`${prefix}new`, ns('new', true), made.modRevision);
  await waitFor('terminating', () => !lister.isActive('new') || undefined, 5000, 5);
  await store.delete(`${prefix}old`);
  await waitFor('deleted', () => !lister.isActive('old') || undefined, 5000, 5);
  abort.abort();
  await store.close();
});
