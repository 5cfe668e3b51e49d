import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../util/clock.js';
import { RestartBackoff, backOffEventMessage, crashLoopBackOffMessage, doBackOff } from './backoff.js';
import { formatGoDuration, parseGoDuration } from '../duration.js';

const pod = { name: 'web-5d8f', namespace: 'default', uid: '0b1c-42' };

test('Go durations', () => {
  assert.deepEqual([10_000, 40_000, 80_000, 160_000, 300_000, 3_600_000 + 1000, 500].map(formatGoDuration), ['10s', '40s', '1m20s', '2m40s', '5m0s', '1h0m1s', '500ms']);
  assert.deepEqual(['5s', '1m30s', '250ms', '2', '1h', 'x', ''].map(parseGoDuration), [5000, 90_000, 250, 2000, 3_600_000, undefined, undefined]);
});

test('message formats', () => {
  assert.equal(
    crashLoopBackOffMessage({ backoffMs: 40_000, container: 'app', pod }),
    'back-off 40s restarting failed container=app pod=web-5d8f_default(0b1c-42)',
  );
  assert.equal(backOffEventMessage({ container: 'app', pod }), 'Back-off restarting failed container app in pod web-5d8f_default(0b1c-42)');
});

test('kubelet restart sequence: immediate first restart, then 10s doubling to 5m', () => {
  const clock = new FakeClock();
  const backoff = new RestartBackoff({ clock });
  const waits: number[] = [];
  const messages: string[] = [];
  for (let crash = 0; crash < 8; crash++) {
    const finishedAt = clock.now(); // the container dies as soon as it starts
    let waited = 0;
    for (;;) {
      const d = doBackOff(backoff, { pod, container: 'app', finishedAt });
      if (!d.inBackOff) break;
      if (waited === 0) messages.push(d.message!);
      assert.ok(d.retryAfterMs! > 0);
      clock.step(d.retryAfterMs!);
      waited += d.retryAfterMs!;
    }
    waits.push(waited);
  }
  assert.deepEqual(waits, [0, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
  assert.equal(messages[2], 'back-off 40s restarting failed container=app pod=web-5d8f_default(0b1c-42)');
  assert.equal(messages.at(-1), 'back-off 5m0s restarting failed container=app pod=web-5d8f_default(0b1c-42)');
});

test('back-off resets after 10 minutes without a failure and is per container', () => {
  const clock = new FakeClock();
  const backoff = new RestartBackoff({ clock });
  const key = 'k';
  backoff.next(key, clock.now());
  backoff.next(key, clock.now());
  assert.equal(backoff.get(key), 20_000);
  assert.equal(backoff.isInBackOffSince(key, clock.now()), true);
  assert.equal(backoff.isInBackOffSince('other', clock.now()), false);
  clock.step(600_000);
  backoff.next(key, clock.now()); // exactly 2× max: not yet expired
  assert.equal(backoff.get(key), 40_000);
  clock.step(600_001);
  assert.equal(backoff.isInBackOffSince(key, clock.now()), false);
  backoff.next(key, clock.now());
  assert.equal(backoff.get(key), 10_000);
  clock.step(600_001);
  backoff.gc();
  assert.equal(backoff.get(key), 0);
});
