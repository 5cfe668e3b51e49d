// Issue 14 item 2 (kubelet half): a pod whose spec the kubelet cannot run is still deleted for good.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { RestClient } from '../../client/rest.js';
import { realClock } from '../../util/clock.js';
import { Kubelet } from './kubelet.js';
import { ProcessContainerRuntime } from '../sandbox/containers.js';
import { LoopbackSandboxRuntime } from '../sandbox/loopback.js';
import { tempDir, waitFor } from '../../util/testing.js';

function kubeletWithFakeClient(): { kubelet: Kubelet; deletes: Array<Record<string, unknown>> } {
  const deletes: Array<Record<string, unknown>> = [];
  const client = {
    delete: async (_res: unknown, o: Record<string, unknown>) => {
      deletes.push(o);
      return {};
    },
    patch: async () => ({}),
    create: async () => ({}),
  } as unknown as RestClient;
  const kubelet = new Kubelet({
    client,
    nodeName: 'skad-node',
    nodeIP: '127.0.0.1',
    podCIDR: '127.99.0.0/24',
    dataDir: tempDir(),
    clock: realClock,
    log: () => {},
    runtime: { network: 'loopback', sandboxes: new LoopbackSandboxRuntime(), containers: new ProcessContainerRuntime({ mode: 'none' }), description: 'test' },
  });
  return { kubelet, deletes };
}

const badPod = (deleting: boolean): Pod =>
  ({
    metadata: { name: 'bad', namespace: 'default', uid: 'u-bad', ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z', deletionGracePeriodSeconds: 30 } : {}) },
    spec: { nodeName: 'skad-node', containers: [{ name: 'c', image: [1] as unknown as string }] },
  }) as Pod;

test('a pod being deleted whose spec cannot be run (image not a string) gets its final delete', async () => {
  const { kubelet, deletes } = kubeletWithFakeClient();
  const updated = (kubelet as unknown as { podUpdated(p: Pod): void }).podUpdated.bind(kubelet);
  updated(badPod(false)); // not deleting yet: nothing runs, nothing is deleted, no crash
  assert.deepEqual(deletes, []);
  updated(badPod(true));
  await waitFor('the final delete', () => deletes.length > 0);
  assert.deepEqual(deletes[0], { namespace: 'default', name: 'bad', gracePeriodSeconds: 0, preconditions: { uid: 'u-bad' } });
  await kubelet.stop();
});
