import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { desiredTaints, evictionDelayMs, observeHealth, unknownConditions } from './health.js';

const t0 = Date.parse('2026-01-01T00:00:00Z');
function node(ready: string): Node {
  return {
    metadata: { name: 'n1', creationTimestamp: '2026-01-01T00:00:00Z' },
    status: { conditions: [{ type: 'Ready', status: ready, reason: 'KubeletReady', lastHeartbeatTime: '2026-01-01T00:00:10Z' }, { type: 'MemoryPressure', status: 'False' }] },
  };
}

test('the grace period counts from when a new heartbeat or renewal is seen, not from the kubelet\'s stamp', () => {
  const lease = (renewTime: string) => ({ spec: { renewTime } });
  // first sight (a restarted controller): a full grace period from now; a node that never posted: its creation
  assert.equal(observeHealth(undefined, node('True'), undefined, t0 + 99_000).probeTimestamp, t0 + 99_000);
  assert.equal(observeHealth(undefined, { metadata: { creationTimestamp: '2026-01-01T00:00:05Z' } }, undefined, t0 + 99_000).probeTimestamp, t0 + 5_000);
  const first = observeHealth(undefined, node('True'), lease('2026-01-01T00:00:30.000000Z'), t0 + 31_000);
  // a renewal stamped 20 s before it reached the controller (a slow request or watch, a kubelet's clock behind) still counts from now
  const renewed = observeHealth(first, node('True'), lease('2026-01-01T00:00:40.000000Z'), t0 + 60_000);
  assert.equal(renewed.probeTimestamp, t0 + 60_000);
  assert.equal(observeHealth(renewed, node('True'), lease('2026-01-01T00:00:40.000000Z'), t0 + 90_000).probeTimestamp, t0 + 60_000, 'nothing new: unchanged');
  assert.equal(observeHealth(renewed, node('True'), lease('2026-01-01T00:00:35.000000Z'), t0 + 90_000).probeTimestamp, t0 + 60_000, 'an older renewal is no sign of life');
  const n = node('Unknown');
  n.status!.conditions![0].lastHeartbeatTime = '2026-01-01T00:01:00Z';
  assert.equal(observeHealth(renewed, n, undefined, t0 + 95_000).probeTimestamp, t0 + 95_000, 'a newer heartbeat');
});

test('a silent node: conditions Unknown with kube\'s message, then unreachable taints; recovery removes them', () => {
  const conds = unknownConditions(node('True'), t0 + 60_000)!;
  const ready = conds.find((c) => c.type === 'Ready')!;
  assert.deepEqual([ready.status, ready.reason, ready.message], ['Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.']);
  assert.equal(conds.find((c) => c.type === 'DiskPressure')!.reason, 'NodeStatusNeverUpdated');
  const n = node('Unknown');
  n.status!.conditions = conds;
  assert.equal(unknownConditions(n, t0 + 70_000), undefined, 'already Unknown');
  const taints = desiredTaints(n, t0 + 60_000)!;
  assert.deepEqual(taints.map((t) => `${t.key}:${t.effect}`), ['node.kubernetes.io/unreachable:NoSchedule', 'node.kubernetes.io/unreachable:NoExecute']);
  assert.equal(taints[1].timeAdded, '2026-01-01T00:01:00Z');
  n.spec = { taints: [...taints, { key: 'mine', effect: 'NoSchedule' }] };
  assert.equal(desiredTaints(n, t0 + 90_000), undefined);
  const back = { ...node('True'), spec: n.spec };
  assert.deepEqual(desiredTaints(back, t0)!.map((t) => t.key), ['mine']);
  assert.deepEqual(desiredTaints(node('False'), t0)!.map((t) => `${t.key}:${t.effect}`), ['node.kubernetes.io/not-ready:NoSchedule', 'node.kubernetes.io/not-ready:NoExecute']);
});

test('eviction waits for the shortest tolerationSeconds from when the taint was added', () => {
  const taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: '2026-01-01T00:00:00Z' };
  const pod = (tolerations: NonNullable<Pod['spec']>['tolerations']): Pod => ({ spec: { containers: [], tolerations } });
  assert.equal(evictionDelayMs(pod([{ key: taint.key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }]), [taint], t0 + 100_000), 200_000);
  assert.equal(evictionDelayMs(pod([]), [taint], t0), 0, 'not tolerated: evict now');
  assert.equal(evictionDelayMs(pod([{ operator: 'Exists' }]), [taint], t0), undefined, 'tolerated forever');
  assert.equal(evictionDelayMs(pod([{ key: taint.key, operator: 'Exists', tolerationSeconds: 5 }]), [taint], t0 + 9_000), 0);
  assert.equal(evictionDelayMs(pod([]), [{ key: 'x', effect: 'NoSchedule' }], t0), undefined);
});
