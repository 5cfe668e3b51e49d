import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runControllers, type ControllerDescriptor } from './manager.js';
import type { InformerFactory } from '../client/informer-factory.js';
import type { RestClient } from '../client/rest.js';
import { realClock } from '../util/clock.js';

test('many controllers on one signal: no MaxListenersExceededWarning, and all stop when it aborts', async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.name);
  process.on('warning', onWarning);
  const informers = { start: () => {}, waitForCacheSync: async () => true } as unknown as InformerFactory;
  let stopped = 0;
  const descriptors: ControllerDescriptor[] = Array.from({ length: 15 }, (_, i) => ({
    name: `c${i}`,
    init: () => ({
      // like a controller's cache sync wait: one abort listener each while it runs
      run: (signal) => new Promise<void>((resolve) => signal.addEventListener('abort', () => (stopped++, resolve()), { once: true })),
    }),
  }));
  const parent = new AbortController();
  const { done } = await runControllers({ client: {} as RestClient, informers, clock: realClock, log: () => {}, settings: { clusterDns: '', serviceCIDR: '', nodeMonitorGracePeriodMs: 0, podEvictionTimeoutMs: 0 } }, descriptors, parent.signal);
  parent.abort();
  await done;
  await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
  process.off('warning', onWarning);
  assert.equal(stopped, 15);
  assert.deepEqual(warnings.filter((w) => w === 'MaxListenersExceededWarning'), []);
});
