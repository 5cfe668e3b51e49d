import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PodObject } from '../common/pods.js';
import { planStatefulSet, type PlanInput } from './plan.js';

const t0 = Date.parse('2026-01-01T00:00:00Z');

function pod(ordinal: number, o: { rev?: string; phase?: string; ready?: boolean; terminating?: boolean } = {}): PodObject {
  const ready = o.ready ?? true;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `web-${ordinal}`, namespace: 'default', labels: { 'controller-revision-hash': o.rev ?? 'web-a' }, ...(o.terminating ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    spec: { containers: [] },
    status: { phase: o.phase ?? 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: '2025-12-31T00:00:00Z' }] },
  } as PodObject;
}

function input(pods: PodObject[], o: Partial<PlanInput> = {}): PlanInput {
  return { replicas: 3, startOrdinal: 0, monotonic: true, rollingUpdate: true, partition: 0, minReadySeconds: 0, pods, currentRevision: 'web-a', updateRevision: 'web-a', now: t0, ...o };
}

const summary = (p: ReturnType<typeof planStatefulSet>) => p.actions.map((a) => (a.type === 'create' ? `create ${a.ordinal}@${a.revision}` : `delete ${a.pod.metadata.name} (${a.reason})`));

test('OrderedReady creates one pod at a time, each once the previous is Running and Ready', () => {
  assert.deepEqual(summary(planStatefulSet(input([]))), ['create 0@web-a']);
  assert.deepEqual(summary(planStatefulSet(input([pod(0, { ready: false })]))), []);
  assert.deepEqual(summary(planStatefulSet(input([pod(0, { phase: 'Pending', ready: false })]))), []);
  assert.deepEqual(summary(planStatefulSet(input([pod(0)]))), ['create 1@web-a']);
  assert.deepEqual(summary(planStatefulSet(input([pod(0), pod(1)]))), ['create 2@web-a']);
  // a missing middle ordinal is recreated first
  assert.deepEqual(summary(planStatefulSet(input([pod(0), pod(2)]))), ['create 1@web-a']);
  // a terminating pod is waited for before it is recreated
  assert.deepEqual(summary(planStatefulSet(input([pod(0), pod(1, { terminating: true }), pod(2)]))), []);
});

test('Parallel creates and deletes everything at once', () => {
  assert.deepEqual(summary(planStatefulSet(input([], { monotonic: false }))), ['create 0@web-a', 'create 1@web-a', 'create 2@web-a']);
  const pods = [pod(0), pod(1, { ready: false }), pod(2), pod(3)];
  assert.deepEqual(summary(planStatefulSet(input(pods, { monotonic: false, replicas: 1 }))), ['delete web-3 (condemned)', 'delete web-2 (condemned)', 'delete web-1 (condemned)']);
});

test('OrderedReady scales down from the highest ordinal, one at a time', () => {
  const pods = [pod(0), pod(1), pod(2)];
  assert.deepEqual(summary(planStatefulSet(input(pods, { replicas: 1 }))), ['delete web-2 (condemned)']);
  assert.deepEqual(summary(planStatefulSet(input([pod(0), pod(1), pod(2, { terminating: true })], { replicas: 1 }))), []);
  // a condemned pod that is not ready is still deleted when it is the first unhealthy one
  assert.deepEqual(summary(planStatefulSet(input([pod(0), pod(1, { ready: false })], { replicas: 1 }))), ['delete web-1 (condemned)']);
});

test('failed pods are deleted to be recreated', () => {
  assert.deepEqual(summary(planStatefulSet(input([pod(0, { phase: 'Failed', ready: false })]))), ['delete web-0 (failed)']);
});

test('rolling update: reverse ordinal order, one at a time, waiting for health, down to the partition', () => {
  const upd = { updateRevision: 'web-b' };
  assert.deepEqual(summary(planStatefulSet(input([pod(0), pod(1), pod(2)], upd))), ['delete web-2 (update)']);
  // web-2 is being replaced: wait
  assert.deepEqual(summary(planStatefulSet(input([pod(0), pod(1), pod(2, { terminating: true })], upd))), []);
  // web-2 is gone: recreated at the update revision
  assert.deepEqual(summary(planStatefulSet(input([pod(0), pod(1)], upd))), ['create 2@web-b']);
  // web-2 updated but not ready yet
  assert.deepEqual(summary(planStatefulSet(input([pod(0), pod(1), pod(2, { rev: 'web-b', ready: false })], upd))), []);
  assert.deepEqual(summary(planStatefulSet(input([pod(0), pod(1), pod(2, { rev: 'web-b' })], upd))), ['delete web-1 (update)']);
  // partition 2: only ordinals >= 2 are updated; lower ones are (re)created at the current revision
  assert.deepEqual(summary(planStatefulSet(input([pod(0), pod(1), pod(2, { rev: 'web-b' })], { ...upd, partition: 2 }))), []);
  assert.deepEqual(summary(planStatefulSet(input([pod(0), pod(2, { rev: 'web-b' })], { ...upd, partition: 2 }))), ['create 1@web-a']);
  // OnDelete never deletes for an update
  assert.deepEqual(summary(planStatefulSet(input([pod(0), pod(1), pod(2)], { ...upd, rollingUpdate: false }))), []);
});

test('status counts and completing a rolling update', () => {
  const during = planStatefulSet(input([pod(0), pod(1), pod(2, { rev: 'web-b', ready: false })], { updateRevision: 'web-b' }));
  assert.deepEqual(during.status, { replicas: 3, readyReplicas: 2, availableReplicas: 2, currentReplicas: 2, updatedReplicas: 1, currentRevision: 'web-a', updateRevision: 'web-b' });
  const done = planStatefulSet(input([pod(0, { rev: 'web-b' }), pod(1, { rev: 'web-b' }), pod(2, { rev: 'web-b' })], { updateRevision: 'web-b' }));
  assert.deepEqual(done.status, { replicas: 3, readyReplicas: 3, availableReplicas: 3, currentReplicas: 3, updatedReplicas: 3, currentRevision: 'web-b', updateRevision: 'web-b' });
  // minReadySeconds: ready but not yet available
  const fresh = planStatefulSet(input([pod(0)], { minReadySeconds: 10 ** 9 }));
  assert.equal(fresh.status.availableReplicas, 0);
  assert.deepEqual(summary(fresh), []);
});

test('a set being deleted only reports status', () => {
  assert.deepEqual(summary(planStatefulSet(input([], { deleting: true }))), []);
});

test('a huge replica count is created in bursts, not all at once', () => {
  assert.equal(planStatefulSet(input([], { monotonic: false, replicas: 2 ** 31 - 1 })).actions.length, 500);
  assert.deepEqual(summary(planStatefulSet(input([], { replicas: 2 ** 31 - 1 }))), ['create 0@web-a']);
});
