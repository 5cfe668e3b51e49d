import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryStore } from '../storage/memory.js';
import { textEncoder } from '../storage/store.js';
import { FakeClock } from '../util/clock.js';
import { Compactor } from './compactor.js';

describe('Compactor', () => {
  it('compacts to the revision of the previous round, keeping one interval of history', async () => {
    const store = new MemoryStore();
    const clock = new FakeClock();
    const c = new Compactor({ store, clock, intervalMs: 1000 });
    await store.create('/a', textEncoder.encode('1'));
    await c.compactOnce(); // remembers revision 1, compacts nothing
    assert.equal(await store.compactRevision(), 0);
    const kv = await store.create('/b', textEncoder.encode('2'));
    await c.compactOnce(); // compacts to 1, remembers 2
    assert.equal(await store.compactRevision(), 1);
    // a watch from revision 1 (the compacted one) is too old; from 2 still works
    assert.throws(() => store.watch('/', { afterRevision: 0, signal: AbortSignal.abort() }), /ompact/);
    assert.ok(kv.modRevision >= 2);
    await store.close();
  });
});
