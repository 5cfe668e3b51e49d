import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  isStorageError,
  textDecoder,
  textEncoder,
  type KeyValue,
  type Store,
  type StoreEvent,
  type Watcher,
} from './store.js';

export type StoreFactory = () => Promise<{ store: Store; cleanup: () => Promise<void> }>;

const enc = (s: string): Uint8Array => textEncoder.encode(s);
const dec = (b: Uint8Array): string => textDecoder.decode(b);

/** Upper bound for waiting on events; a failure bound, never a synchronisation sleep. */
const EVENT_DEADLINE_MS = 10_000;

/** The one behavioural contract every Store driver must meet (DESIGN.md: one suite, every driver). */
export function runStoreConformance(name: string, factory: StoreFactory): void {
  const withStore = (fn: (store: Store) => Promise<void>) => async () => {
    const { store, cleanup } = await factory();
    try {
      await fn(store);
    } finally {
      await cleanup();
    }
  };

  describe(`Store conformance: ${name}`, () => {
    it('create returns the new revision and refuses an existing key', withStore(async (store) => {
      const kv = await store.create('/registry/pods/default/a', enc('one'));
      assert.equal(kv.key, '/registry/pods/default/a');
      assert.equal(dec(kv.value), 'one');
      assert.ok(kv.modRevision > 0);
      assert.equal(kv.createRevision, kv.modRevision);
      await assert.rejects(store.create('/registry/pods/default/a', enc('two')), (err) => isStorageError(err, 'KeyExists'));
      assert.equal(dec((await store.get('/registry/pods/default/a'))!.value), 'one');
    }));

    it('get returns the latest value or undefined', withStore(async (store) => {
      assert.equal(await store.get('/k/missing'), undefined);
      const created = await store.create('/k/a', enc('v1'));
      const updated = await store.update('/k/a', enc('v2'), created.modRevision);
      const got = await store.get('/k/a');
      assert.deepEqual(normalize(got!), normalize(updated));
      assert.equal(got!.createRevision, created.createRevision);
      await store.delete('/k/a');
      assert.equal(await store.get('/k/a'), undefined);
    }));

    it('list matches the prefix exactly and sorts by key', withStore(async (store) => {
      for (const key of ['/registry/pods/b', '/registry/podsx/c', '/registry/pods/a', '/registry/pod', '/registry/pods0']) {
        await store.create(key, enc(key));
      }
      const result = await store.list('/registry/pods/');
      assert.deepEqual(result.items.map((kv) => kv.key), ['/registry/pods/a', '/registry/pods/b']);
      assert.equal(result.more, false);
      assert.equal(result.revision, await store.currentRevision());
      assert.equal(dec(result.items[0]!.value), '/registry/pods/a');
      assert.deepEqual((await store.list('/registry/nothing/')).items, []);
    }));

    it('list reads as of an older revision', withStore(async (store) => {
      const a = await store.create('/old/a', enc('a1'));
      await store.create('/old/b', enc('b1'));
      const before = await store.currentRevision();
      await store.update('/old/a', enc('a2'), a.modRevision);
      await store.delete('/old/b');
      await store.create('/old/c', enc('c1'));
      const past = await store.list('/old/', { revision: before });
      assert.equal(past.revision, before);
      assert.deepEqual(past.items.map((kv) => [kv.key, dec(kv.value)]), [['/old/a', 'a1'], ['/old/b', 'b1']]);
      const now = await store.list('/old/');
      assert.deepEqual(now.items.map((kv) => [kv.key, dec(kv.value)]), [['/old/a', 'a2'], ['/old/c', 'c1']]);
    }));

    it('pages with limit and startAfter, reporting more and remaining', withStore(async (store) => {
      for (const n of [1, 2, 3, 4, 5]) await store.create(`/page/k${n}`, enc(String(n)));
      await store.create('/pagex/other', enc('x'));
      const first = await store.list('/page/', { limit: 2 });
      assert.deepEqual(first.items.map((kv) => kv.key), ['/page/k1', '/page/k2']);
      assert.equal(first.more, true);
      assert.equal(first.remaining, 3);
      const second = await store.list('/page/', { limit: 2, startAfter: '/page/k2', revision: first.revision });
      assert.deepEqual(second.items.map((kv) => kv.key), ['/page/k3', '/page/k4']);
      assert.equal(second.more, true);
      assert.equal(second.remaining, 1);
      assert.equal(second.revision, first.revision);
      const third = await store.list('/page/', { limit: 2, startAfter: '/page/k4', revision: first.revision });
      assert.deepEqual(third.items.map((kv) => kv.key), ['/page/k5']);
      assert.equal(third.more, false);
      assert.ok(!third.remaining);
      const exact = await store.list('/page/', { limit: 5 });
      assert.equal(exact.items.length, 5);
      assert.equal(exact.more, false);
    }));

    it('update applies only at the expected revision; Conflict carries the current kv', withStore(async (store) => {
      await assert.rejects(store.update('/u/missing', enc('x'), 1), (err) => isStorageError(err, 'NotFound'));
      const created = await store.create('/u/a', enc('v1'));
      const updated = await store.update('/u/a', enc('v2'), created.modRevision);
      assert.ok(updated.modRevision > created.modRevision);
      assert.equal(updated.createRevision, created.createRevision);
      await assert.rejects(store.update('/u/a', enc('v3'), created.modRevision), (err) => {
        assert.ok(isStorageError(err, 'Conflict'));
        assert.deepEqual(normalize(err.current!), normalize(updated));
        return true;
      });
      assert.equal(dec((await store.get('/u/a'))!.value), 'v2');
    }));

    it('delete applies only at the expected revision and returns the last value', withStore(async (store) => {
      await assert.rejects(store.delete('/d/missing'), (err) => isStorageError(err, 'NotFound'));
      const created = await store.create('/d/a', enc('v1'));
      await assert.rejects(store.delete('/d/a', created.modRevision + 1000), (err) => {
        assert.ok(isStorageError(err, 'Conflict'));
        assert.equal(err.current?.modRevision, created.modRevision);
        return true;
      });
      const deleted = await store.delete('/d/a', created.modRevision);
      assert.equal(dec(deleted.value), 'v1');
      assert.ok(deleted.modRevision > created.modRevision);
      assert.equal(deleted.createRevision, created.createRevision);
      assert.equal(await store.get('/d/a'), undefined);
      await assert.rejects(store.delete('/d/a'), (err) => isStorageError(err, 'NotFound'));
      const again = await store.create('/d/a', enc('v2'));
      assert.ok(again.createRevision > deleted.modRevision, 'a re-created key starts a new incarnation');
    }));

    it('revisions strictly increase across every kind of write', withStore(async (store) => {
      const start = await store.currentRevision();
      const revs: number[] = [];
      const a = await store.create('/r/a', enc('1'));
      revs.push(a.modRevision);
      const a2 = await store.update('/r/a', enc('2'), a.modRevision);
      revs.push(a2.modRevision);
      revs.push((await store.create('/r/b', enc('1'))).modRevision);
      revs.push((await store.delete('/r/a')).modRevision);
      revs.push((await store.create('/r/a', enc('3'))).modRevision);
      assert.ok(revs[0]! > start);
      for (let i = 1; i < revs.length; i++) assert.ok(revs[i]! > revs[i - 1]!, `revisions ${revs.join(',')}`);
      assert.equal(await store.currentRevision(), revs[revs.length - 1]);
    }));

    it('watch replays history after the revision, then delivers live events', withStore(async (store) => {
      const a = await store.create('/w/a', enc('a1'));
      const from = a.modRevision;
      const a2 = await store.update('/w/a', enc('a2'), a.modRevision);
      await store.create('/other/x', enc('x'));
      const ac = new AbortController();
      const watcher = store.watch('/w/', { afterRevision: from, signal: ac.signal });
      const reader = reading(watcher);
      const replayed = await reader.take(1);
      assert.equal(replayed[0]!.type, 'update');
      assert.deepEqual(normalize(replayed[0]!.kv), normalize(a2));
      assert.equal(dec(replayed[0]!.prevKv!.value), 'a1');
      const b = await store.create('/w/b', enc('b1'));
      const live = await reader.take(1);
      assert.equal(live[0]!.type, 'create');
      assert.deepEqual(normalize(live[0]!.kv), normalize(b));
      ac.abort();
      assert.deepEqual(await reader.rest(), []);
    }));

    it('watch delivers events in revision order under concurrent writes', withStore(async (store) => {
      const from = await store.currentRevision();
      const ac = new AbortController();
      const reader = reading(store.watch('/order/', { afterRevision: from, signal: ac.signal }));
      const written = await Promise.all(Array.from({ length: 40 }, (_, i) => store.create(`/order/k${i}`, enc(String(i)))));
      const events = await reader.take(40);
      ac.abort();
      const revs = events.map((e) => e.kv.modRevision);
      for (let i = 1; i < revs.length; i++) assert.ok(revs[i]! > revs[i - 1]!);
      assert.deepEqual([...revs].sort((x, y) => x - y), written.map((kv) => kv.modRevision).sort((x, y) => x - y));
      assert.ok(events.every((e) => e.type === 'create' && e.kv.key.startsWith('/order/')));
    }));

    it('watch reports deletes with the last value and prevKv', withStore(async (store) => {
      const from = await store.currentRevision();
      const ac = new AbortController();
      const reader = reading(store.watch('/del/', { afterRevision: from, signal: ac.signal }));
      const created = await store.create('/del/a', enc('gone'));
      const deleted = await store.delete('/del/a', created.modRevision);
      const [createEvent, deleteEvent] = await reader.take(2);
      ac.abort();
      assert.equal(createEvent!.type, 'create');
      assert.equal(createEvent!.prevKv, undefined);
      assert.equal(deleteEvent!.type, 'delete');
      assert.equal(deleteEvent!.kv.key, '/del/a');
      assert.equal(deleteEvent!.kv.modRevision, deleted.modRevision);
      assert.equal(dec(deleteEvent!.kv.value), 'gone');
      assert.deepEqual(normalize(deleteEvent!.prevKv!), normalize(created));
    }));

    it('compaction drops history: older lists and watches fail with Compacted', withStore(async (store) => {
      const a = await store.create('/c/a', enc('1'));
      await store.update('/c/a', enc('2'), a.modRevision);
      const b = await store.create('/c/b', enc('1'));
      await store.delete('/c/b', b.modRevision);
      const target = await store.currentRevision();
      await store.create('/c/z', enc('after'));
      await store.compact(target);
      assert.equal(await store.compactRevision(), target);
      await assert.rejects(store.list('/c/', { revision: a.modRevision }), (err) => isStorageError(err, 'Compacted'));
      const atTarget = await store.list('/c/', { revision: target });
      assert.deepEqual(atTarget.items.map((kv) => [kv.key, dec(kv.value)]), [['/c/a', '2']]);
      await expectCompactedWatch(store, a.modRevision);
      // Watching from the compact revision itself still works and sees what followed.
      const ac = new AbortController();
      const reader = reading(store.watch('/c/', { afterRevision: target, signal: ac.signal }));
      const [next] = await reader.take(1);
      ac.abort();
      assert.equal(next!.kv.key, '/c/z');
      assert.equal(dec((await store.get('/c/a'))!.value), '2');
    }));

    it('aborting the signal ends the iterator', withStore(async (store) => {
      const ac = new AbortController();
      const watcher = store.watch('/abort/', { afterRevision: await store.currentRevision(), signal: ac.signal });
      const iterator = watcher.events[Symbol.asyncIterator]();
      const pending = iterator.next();
      ac.abort();
      const result = await withDeadline(pending, 'iterator did not end after abort');
      assert.equal(result.done, true);
      const preAborted = store.watch('/abort/', { afterRevision: 0, signal: AbortSignal.abort() });
      assert.deepEqual(await collect(preAborted), []);
    }));

    it('closing the store ends open watches', withStore(async (store) => {
      const ac = new AbortController();
      const watcher = store.watch('/closing/', { afterRevision: await store.currentRevision(), signal: ac.signal });
      const pending = watcher.events[Symbol.asyncIterator]().next();
      await store.close();
      assert.equal((await withDeadline(pending, 'iterator did not end at close')).done, true);
      await assert.rejects(store.get('/closing/a'), (err) => isStorageError(err, 'Closed'));
    }));

    it('concurrent read-modify-write loops with retries each land exactly once', withStore(async (store) => {
      await store.create('/cas/counter', enc('0'));
      const from = await store.currentRevision();
      const ac = new AbortController();
      const reader = reading(store.watch('/cas/', { afterRevision: from, signal: ac.signal }));
      const increment = async (): Promise<number> => {
        for (;;) {
          const current = (await store.get('/cas/counter'))!;
          try {
            const kv = await store.update('/cas/counter', enc(String(Number(dec(current.value)) + 1)), current.modRevision);
            return kv.modRevision;
          } catch (err) {
            if (!isStorageError(err, 'Conflict')) throw err;
          }
        }
      };
      const revs = await Promise.all(Array.from({ length: 50 }, increment));
      assert.equal(new Set(revs).size, 50);
      assert.equal(dec((await store.get('/cas/counter'))!.value), '50');
      const events = await reader.take(50);
      ac.abort();
      assert.deepEqual(events.map((e) => dec(e.kv.value)), Array.from({ length: 50 }, (_, i) => String(i + 1)));
    }));
  });
}

/** Compacted may be thrown by watch() itself or by the iterator's first pull (when the server tells). */
async function expectCompactedWatch(store: Store, afterRevision: number): Promise<void> {
  const ac = new AbortController();
  try {
    const watcher = store.watch('/c/', { afterRevision, signal: ac.signal });
    await assert.rejects(withDeadline(collect(watcher), 'watch from a compacted revision did not fail'), (err) =>
      isStorageError(err, 'Compacted'),
    );
  } catch (err) {
    assert.ok(isStorageError(err, 'Compacted'), `expected Compacted, got ${String(err)}`);
  } finally {
    ac.abort();
  }
}

function normalize(kv: KeyValue): { key: string; value: string; createRevision: number; modRevision: number } {
  return { key: kv.key, value: dec(kv.value), createRevision: kv.createRevision, modRevision: kv.modRevision };
}

async function collect(watcher: Watcher): Promise<StoreEvent[]> {
  const out: StoreEvent[] = [];
  for await (const event of watcher.events) out.push(event);
  return out;
}

function withDeadline<T>(promise: Promise<T>, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), EVENT_DEADLINE_MS);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** Pull events in order from one iterator across several take() calls. */
function reading(watcher: Watcher): { take(n: number): Promise<StoreEvent[]>; rest(): Promise<StoreEvent[]> } {
  const iterator = watcher.events[Symbol.asyncIterator]();
  const pull = async (n: number): Promise<StoreEvent[]> => {
    const out: StoreEvent[] = [];
    while (out.length < n) {
      const next = await iterator.next();
      if (next.done) break;
      out.push(next.value);
    }
    return out;
  };
  return {
    async take(n) {
      const events = await withDeadline(pull(n), `timed out waiting for ${n} events`);
      assert.equal(events.length, n, 'watch ended early');
      return events;
    },
    rest: () => withDeadline(pull(Infinity), 'watch did not end'),
  };
}
