import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { KubeObject } from '../../api/types.js';
import { finalizersWithout, ownerReferencesUnblocked, ownerReferencesWithout, planDependent, planOwnerDeletion, type OwnerState } from './plan.js';

function ref(uid: string, block = false): OwnerReference {
  return { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `rs-${uid}`, uid, controller: true, blockOwnerDeletion: block };
}

function obj(name: string, opts: { uid?: string; owners?: OwnerReference[]; deleting?: boolean; finalizers?: string[] } = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      uid: opts.uid ?? `uid-${name}`,
      ownerReferences: opts.owners,
      finalizers: opts.finalizers,
      deletionTimestamp: opts.deleting ? '2026-01-01T00:00:00Z' : undefined,
    },
  };
}

const present: OwnerState = { state: 'present', deletingDependents: false };
const waiting: OwnerState = { state: 'present', deletingDependents: true };
const absent: OwnerState = { state: 'absent' };
const noDeps = { count: 0, anyDeletingDependents: false };

test('a dependent whose only owner is gone is deleted in background', () => {
  const plan = planDependent({ dependent: obj('p', { owners: [ref('a')] }), owners: new Map([['a', absent]]), dependents: noDeps });
  assert.deepEqual(plan, { action: 'delete', policy: 'Background', unblockOwnerUids: [] });
});

test('all owners must be gone: one solid owner keeps the dependent, dangling refs are removed', () => {
  const dependent = obj('p', { owners: [ref('a'), ref('b'), ref('c')] });
  assert.deepEqual(planDependent({ dependent, owners: new Map<string, OwnerState>([['a', absent], ['b', present], ['c', waiting]]), dependents: noDeps }), { action: 'removeOwnerReferences', uids: ['a', 'c'] });
  assert.deepEqual(planDependent({ dependent, owners: new Map([['a', present], ['b', present], ['c', present]]), dependents: noDeps }), { action: 'none' });
});

test('unknown kinds count as solid owners; objects without owners or being deleted are left alone', () => {
  assert.deepEqual(planDependent({ dependent: obj('p', { owners: [ref('x')] }), owners: new Map([['x', { state: 'unresolvable' }]]), dependents: noDeps }), { action: 'none' });
  assert.deepEqual(planDependent({ dependent: obj('p', { owners: [ref('x')] }), owners: new Map(), dependents: noDeps }), { action: 'none' });
  assert.deepEqual(planDependent({ dependent: obj('p'), owners: new Map(), dependents: noDeps }), { action: 'none' });
  assert.deepEqual(planDependent({ dependent: obj('p', { owners: [ref('a')], deleting: true }), owners: new Map([['a', absent]]), dependents: noDeps }), { action: 'none' });
});

test('owner waiting in foreground: leaf dependents go in background, dependents with dependents in foreground', () => {
  const dependent = obj('rs', { owners: [ref('d', true)] });
  assert.deepEqual(planDependent({ dependent, owners: new Map([['d', waiting]]), dependents: noDeps }), { action: 'delete', policy: 'Background', unblockOwnerUids: [] });
  assert.deepEqual(planDependent({ dependent, owners: new Map([['d', waiting]]), dependents: { count: 2, anyDeletingDependents: false } }), { action: 'delete', policy: 'Foreground', unblockOwnerUids: [] });
  // A cycle (a dependent of ours is itself waiting): unblock the owner first.
  assert.deepEqual(planDependent({ dependent, owners: new Map([['d', waiting]]), dependents: { count: 1, anyDeletingDependents: true } }), { action: 'delete', policy: 'Foreground', unblockOwnerUids: ['d'] });
});

test('the dependent\'s own GC finalizers pick the propagation policy', () => {
  const owners = new Map([['a', absent]]);
  assert.equal((planDependent({ dependent: obj('p', { owners: [ref('a')], finalizers: ['orphan'] }), owners, dependents: noDeps }) as { policy: string }).policy, 'Orphan');
  assert.equal((planDependent({ dependent: obj('p', { owners: [ref('a')], finalizers: ['foregroundDeletion'] }), owners, dependents: noDeps }) as { policy: string }).policy, 'Foreground');
});

test('foreground owner: waits for blocking dependents only, then drops its finalizer', () => {
  const owner = obj('rs', { uid: 'o', deleting: true, finalizers: ['foregroundDeletion'] });
  const blocking = obj('p1', { owners: [ref('o', true)] });
  const nonBlocking = obj('p2', { owners: [ref('o', false)] });
  const goingAway = obj('p3', { owners: [ref('o', true)], deleting: true });
  const stranger = obj('p4', { owners: [ref('zzz', true)] });
  const plan = planOwnerDeletion(owner, [blocking, nonBlocking, goingAway, stranger]);
  assert.deepEqual(plan.blocking.map((d) => d.metadata.name), ['p1', 'p3']);
  assert.deepEqual(plan.attemptToDelete.map((d) => d.metadata.name), ['p1', 'p2']);
  assert.deepEqual(plan.removeFinalizers, []);
  assert.deepEqual(plan.orphan, []);
  const done = planOwnerDeletion(owner, [nonBlocking]);
  assert.deepEqual(done.removeFinalizers, ['foregroundDeletion']);
});

test('orphan owner: every dependent loses its reference, then the finalizer goes', () => {
  const owner = obj('rs', { uid: 'o', deleting: true, finalizers: ['orphan', 'example.com/keep'] });
  const p1 = obj('p1', { owners: [ref('o', true), ref('other')] });
  const plan = planOwnerDeletion(owner, [p1]);
  assert.deepEqual(plan.orphan, [p1]);
  assert.deepEqual(plan.removeFinalizers, ['orphan']);
  assert.deepEqual(ownerReferencesWithout(p1, ['o'])?.map((r) => r.uid), ['other']);
  assert.equal(ownerReferencesWithout(obj('x', { owners: [ref('o')] }), ['o']), null);
  assert.deepEqual(finalizersWithout(owner, plan.removeFinalizers), ['example.com/keep']);
  assert.equal(finalizersWithout(obj('x', { finalizers: ['orphan'] }), ['orphan']), null);
  assert.deepEqual(ownerReferencesUnblocked(p1, ['o']).map((r) => r.blockOwnerDeletion), [false, false]);
  assert.deepEqual(planOwnerDeletion(obj('live', { uid: 'o', finalizers: ['orphan'] }), [p1]).removeFinalizers, [], 'not deleting: nothing to do');
});

test('graphChanged: only owners, finalizers and deletion state wake the collector', async () => {
  const { graphChanged } = await import('./garbagecollector.js');
  const base = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', uid: 'u', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'o' }] }, status: { phase: 'Pending' } };
  assert.equal(graphChanged(base, { ...base, status: { phase: 'Running' } }), false, 'a status write');
  assert.equal(graphChanged(base, { ...base, metadata: { ...base.metadata, labels: { a: 'b' } } }), false, 'a label');
  assert.equal(graphChanged(base, { ...base, metadata: { ...base.metadata, ownerReferences: [] } }), true, 'an owner gone');
  assert.equal(graphChanged(base, { ...base, metadata: { ...base.metadata, finalizers: ['x'] } }), true, 'a finalizer');
  assert.equal(graphChanged(base, { ...base, metadata: { ...base.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } }), true, 'deletion started');
});
