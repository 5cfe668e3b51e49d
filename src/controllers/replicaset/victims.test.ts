import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { podsToDelete } from './victims.js';
import { calculateReplicaSetStatus, slowStartBatches } from './status.js';

function pod(name: string, o: { node?: string; phase?: string; ready?: boolean; readySince?: string; created?: string; restarts?: number; cost?: string } = {}): Pod {
  return {
    metadata: { name, creationTimestamp: o.created ?? '2026-01-01T00:00:00Z', labels: { app: 'web' }, annotations: o.cost ? { 'controller.kubernetes.io/pod-deletion-cost': o.cost } : undefined },
    spec: { nodeName: o.node, containers: [] },
    status: {
      phase: o.phase ?? 'Running',
      conditions: o.ready === undefined ? [] : [{ type: 'Ready', status: o.ready ? 'True' : 'False', lastTransitionTime: o.readySince ?? '2026-01-01T00:00:00Z' }],
      containerStatuses: [{ name: 'c', restartCount: o.restarts ?? 0, image: '', imageID: '', ready: !!o.ready }],
    },
  };
}

const now = Date.parse('2026-01-01T01:00:00Z');
const names = (ps: Pod[]) => ps.map((p) => p.metadata!.name);

test('victims: unassigned < pending < unknown < running, not ready < ready', () => {
  const ps = [pod('ready', { node: 'n1', ready: true }), pod('unready', { node: 'n1', ready: false }), pod('unknown', { node: 'n1', phase: 'Unknown' }), pod('pending', { node: 'n1', phase: 'Pending' }), pod('unassigned', { phase: 'Pending' })];
  assert.deepEqual(names(podsToDelete(ps, ps, 5, now)), ['unassigned', 'pending', 'unknown', 'unready', 'ready']);
});

test('victims: deletion cost, doubled-up nodes, shorter readiness, restarts, newer first', () => {
  const cheap = pod('cheap', { node: 'n1', ready: true, cost: '-5' });
  const a = pod('a', { node: 'n1', ready: true });
  const b = pod('b', { node: 'n2', ready: true });
  const c = pod('c', { node: 'n2', ready: true });
  assert.deepEqual(names(podsToDelete([a, b, c, cheap], [a, b, c, cheap], 1, now)), ['cheap']);
  assert.equal(names(podsToDelete([a, b, c], [a, b, c], 1, now))[0] !== 'a', true, 'a pod on the doubled-up node n2 goes first');
  const young = pod('young', { node: 'n3', ready: true, readySince: '2026-01-01T00:59:50Z' });
  const old = pod('old', { node: 'n4', ready: true });
  assert.deepEqual(names(podsToDelete([old, young], [old, young], 1, now)), ['young']);
  const crashy = pod('crashy', { node: 'n3', ready: true, restarts: 4 });
  assert.deepEqual(names(podsToDelete([old, crashy], [old, crashy], 1, now)), ['crashy']);
  const newer = pod('newer', { node: 'n3', ready: true, created: '2026-01-01T00:00:05Z' });
  assert.deepEqual(names(podsToDelete([old, newer], [old, newer], 1, now)), ['newer']);
});

test('slow start batches 1,2,4,… and status counts with minReadySeconds', () => {
  assert.deepEqual(slowStartBatches(10), [1, 2, 4, 3]);
  assert.deepEqual(slowStartBatches(1), [1]);
  assert.deepEqual(slowStartBatches(0), []);
  const rs = { metadata: { generation: 4 }, spec: { replicas: 3, minReadySeconds: 30, selector: {}, template: { metadata: { labels: { app: 'web', tier: 'fe' } } } } };
  const ps = [pod('a', { ready: true }), pod('b', { ready: true, readySince: '2026-01-01T00:59:50Z' }), pod('c', { ready: false })];
  ps[0].metadata!.labels!.tier = 'fe';
  assert.deepEqual(calculateReplicaSetStatus(rs, ps, now), { replicas: 3, fullyLabeledReplicas: 1, readyReplicas: 2, availableReplicas: 1, observedGeneration: 4 });
});
