import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../util/clock.js';
import { BucketRateLimiter, ItemExponentialFailureRateLimiter } from './ratelimiter.js';
import { RateLimitingQueue, WorkQueue } from './workqueue.js';
import { Controller } from './controller.js';

test('an item added twice while queued is handed out once', async () => {
  const q = new WorkQueue<string>();
  q.add('a');
  q.add('b');
  q.add('a');
  assert.equal(q.len(), 2);
  assert.equal(await q.get(), 'a');
  assert.equal(await q.get(), 'b');
  assert.equal(q.len(), 0);
});

test('an item re-added while processing is deferred until done, and never given to two workers', async () => {
  const q = new WorkQueue<string>();
  q.add('a');
  const first = await q.get();
  assert.equal(first, 'a');
  q.add('a');
  assert.equal(q.len(), 0, 'not queued while processing');
  let second: string | undefined;
  const waiting = q.get().then((v) => (second = v));
  await Promise.resolve();
  assert.equal(second, undefined);
  q.done('a');
  await waiting;
  assert.equal(second, 'a');
  q.done('a');
  assert.equal(q.len(), 0);
});

test('shutDown releases blocked getters with undefined and ignores later adds', async () => {
  const q = new WorkQueue<string>();
  const blocked = q.get();
  q.shutDown();
  assert.equal(await blocked, undefined);
  q.add('x');
  assert.equal(await q.get(), undefined);
  assert.equal(q.shuttingDown(), true);
});

test('exponential per-item backoff runs 5ms doubling to 1000s and forget resets it', () => {
  const rl = new ItemExponentialFailureRateLimiter<string>();
  assert.deepEqual([rl.when('a'), rl.when('a'), rl.when('a'), rl.when('b')], [5, 10, 20, 5]);
  assert.equal(rl.numRequeues('a'), 3);
  for (let i = 0; i < 40; i++) rl.when('a');
  assert.equal(rl.when('a'), 1_000_000);
  rl.forget('a');
  assert.equal(rl.when('a'), 5);
});

test('the bucket limiter allows a burst then spaces items at qps', () => {
  const clock = new FakeClock();
  const rl = new BucketRateLimiter<string>({ qps: 10, burst: 2, clock });
  assert.equal(rl.when('a'), 0);
  assert.equal(rl.when('b'), 0);
  assert.equal(rl.when('c'), 100);
  clock.step(1000);
  assert.equal(rl.when('d'), 0);
});

test('addRateLimited delays per item on the injected clock; addAfter keeps the earliest', async () => {
  const clock = new FakeClock();
  const q = new RateLimitingQueue<string>({ clock, bucket: false });
  q.addRateLimited('a'); // 5ms
  q.addRateLimited('a'); // 10ms, the pending 5ms wins
  assert.equal(q.len(), 0);
  clock.step(4);
  assert.equal(q.len(), 0);
  clock.step(1);
  assert.equal(q.len(), 1);
  assert.equal(q.numRequeues('a'), 2);
  q.forget('a');
  assert.equal(q.numRequeues('a'), 0);
  q.addAfter('b', 100);
  q.addAfter('b', 50);
  clock.step(50);
  assert.equal(q.len(), 2);
});

test('controller retries a failing key with backoff and forgets it on success', async () => {
  const clock = new FakeClock();
  const queue = new RateLimitingQueue<string>({ clock, bucket: false });
  const calls: string[] = [];
  const logs: string[] = [];
  let failures = 2;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const c = new Controller({
    name: 'test',
    queue,
    workers: 2,
    log: (m) => logs.push(m),
    reconcile: async (key) => {
      calls.push(key);
      if (failures-- > 0) throw new Error('boom');
      resolveDone();
    },
  });
  const ac = new AbortController();
  const running = c.run(ac.signal);
  queue.add('k');
  // Each failure parks the key on the fake clock; step until it succeeds.
  while (calls.length < 3) {
    await new Promise((r) => setImmediate(r));
    clock.step(1000);
  }
  await done;
  assert.deepEqual(calls, ['k', 'k', 'k']);
  assert.equal(logs.length, 2);
  assert.match(logs[0], /test: error syncing "k": boom/);
  await new Promise((r) => setImmediate(r));
  assert.equal(queue.numRequeues('k'), 0);
  ac.abort();
  await running;
});

test('controller honours requeueAfterMs', async () => {
  const clock = new FakeClock();
  const queue = new RateLimitingQueue<string>({ clock, bucket: false });
  let n = 0;
  const c = new Controller({ name: 't', queue, reconcile: async () => (n++ === 0 ? { requeueAfterMs: 500 } : undefined) });
  const ac = new AbortController();
  const running = c.run(ac.signal);
  queue.add('k');
  while (n < 1) await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  clock.step(499);
  await new Promise((r) => setImmediate(r));
  assert.equal(n, 1);
  clock.step(1);
  while (n < 2) await new Promise((r) => setImmediate(r));
  ac.abort();
  await running;
  assert.equal(n, 2);
});
