// Kubelet shutdown with a pod already Terminating in a long grace period: the shutdown's shorter grace
// period wins (its processes are SIGKILLed at it) and the pod stays in the API (no final delete).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { RestClient } from '../../client/rest.js';
import { realClock } from '../../util/clock.js';
import { Kubelet } from './kubelet.js';
import { ProcessContainerRuntime } from '../sandbox/containers.js';
import { LoopbackSandboxRuntime } from '../sandbox/loopback.js';
import { tempDir, waitFor } from '../../util/testing.js';
import { isProcessLive } from '../runtime/proc.js';

const pod = (deleting: boolean): Pod =>
  ({
    metadata: { name: 'stubborn', namespace: 'default', uid: 'u-stubborn', ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z', deletionGracePeriodSeconds: 300 } : {}) },
    spec: { nodeName: 'sksd-node', terminationGracePeriodSeconds: 300, containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', "trap '' TERM; while true; do sleep 1; done"] }] },
  }) as Pod;

test('kubelet stop shortens the grace period of a Terminating pod and keeps its API object', async (t) => {
  const deletes: unknown[] = [];
  const events: string[] = [];
  const client = {
    delete: async (_r: unknown, o: unknown) => void deletes.push(o),
    patch: async () => ({}),
    create: async (_r: unknown, e: { reason?: string }) => {
      if (e.reason) events.push(e.reason);
      return {};
    },
  } as unknown as RestClient;
  const sandboxes = new LoopbackSandboxRuntime();
  await sandboxes.updateRuntimeConfig({ podCIDR: '127.98.0.0/24', nodeIP: '127.0.0.1' });
  const kubelet = new Kubelet({
    client,
    nodeName: 'sksd-node',
    nodeIP: '127.0.0.1',
    podCIDR: '127.98.0.0/24',
    dataDir: tempDir(),
    clock: realClock,
    log: () => {},
    runtime: { network: 'loopback', sandboxes, containers: new ProcessContainerRuntime({ mode: 'none' }), description: 'test' },
  });
  const updated = (kubelet as unknown as { podUpdated(p: Pod): void }).podUpdated.bind(kubelet);
  updated(pod(false));
  const [main] = await waitFor('the container runs', () => (kubelet.processes().length > 0 ? kubelet.processes() : undefined), 10_000);
  t.after(() => {
    // the test's own cleanup, by PID, should the kubelet have left it running
    if (isProcessLive(main!)) process.kill(main!, 'SIGKILL');
  });
  updated(pod(true)); // SIGTERM, ignored: 300 s to go
  await waitFor('the Killing event', () => events.includes('Killing'), 10_000);
  assert.ok(isProcessLive(main!), 'in its grace period, the container still runs');
  let stopped = false;
  void kubelet.stop().then(() => (stopped = true));
  await waitFor('the shutdown returns', () => stopped, 10_000);
  assert.deepEqual(kubelet.processes(), []);
  assert.equal(isProcessLive(main!), false, 'SIGKILLed at the shutdown grace period');
  assert.deepEqual(deletes, [], 'the pod stays in the API for the next run to finish');
});
