import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { desiredTaints, evictionDelayMs, lastProbeTime, unknownConditions } from './health.js';

const t0 = Date.parse('2026-01-01T00:00:00Z');
function node(ready: string): Node {
  return {
    metadata: { name: 'n1', creationTimestamp: '2026-01-01T00:00:00Z' },
    status: { conditions: [{ type: 'Ready', status: ready, reason: 'KubeletReady', lastHeartbeatTime: '2026-01-01T00:00:10Z' }, { type: 'MemoryPressure', status: 'False' }] },
  };
}

test('probe time is the latest of lease renewal, heartbeat and creation', () => {
  assert.equal(lastProbeTime(node('True'), undefined), t0 + 10_000);
  assert.equal(lastProbeTime(node('True'), { spec: { renewTime: '2026-01-01T00:00:30.000000Z' } }), t0 + 30_000);
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
