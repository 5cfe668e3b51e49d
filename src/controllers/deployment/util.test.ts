import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { computeHash, equalIgnoreHash, findNewReplicaSet, maxSurge, maxUnavailable, resolveFenceposts, setNewReplicaSetAnnotations } from './util.js';
import { newReplicaSetTarget, oldReplicaSetSteps, proportionalScale } from './rolling.js';
import { calculateStatus, rolloutStatus, stuckRequeueMs } from './progress.js';

const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx:1.25' }] } };

function deploy(replicas: number, extra: Partial<Deployment['spec']> = {}): Deployment {
  return { metadata: { name: 'web', generation: 1 }, spec: { replicas, selector: { matchLabels: { app: 'web' } }, template, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } }, progressDeadlineSeconds: 600, ...extra } };
}

function rs(name: string, replicas: number, available: number, created: string, image = 'nginx:1.25'): ReplicaSet {
  return {
    metadata: { name, creationTimestamp: created, annotations: {} },
    spec: { replicas, selector: {}, template: { ...template, spec: { containers: [{ name: 'c', image }] } } },
    status: { replicas, availableReplicas: available, readyReplicas: available },
  };
}

test('fenceposts: surge rounds up, unavailable down, both zero → unavailable 1', () => {
  assert.deepEqual(resolveFenceposts('25%', '25%', 3), { surge: 1, unavailable: 0 });
  assert.deepEqual(resolveFenceposts('25%', '25%', 10), { surge: 3, unavailable: 2 });
  assert.deepEqual(resolveFenceposts(0, '10%', 5), { surge: 0, unavailable: 1 });
  assert.deepEqual(resolveFenceposts(2, 0, 5), { surge: 2, unavailable: 0 });
  assert.equal(maxSurge(deploy(3)), 1);
  assert.equal(maxUnavailable(deploy(10)), 2);
  assert.equal(maxUnavailable(deploy(1, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 5 } } })), 1);
  assert.equal(maxSurge(deploy(3, { strategy: { type: 'Recreate' } })), 0);
});

test('template hash is stable, collision-sensitive, and in kube\'s alphabet; equality ignores the hash label', () => {
  const h = computeHash(template);
  assert.equal(h, computeHash(structuredClone(template)));
  assert.match(h, /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
  assert.notEqual(computeHash(template, 1), h);
  assert.notEqual(computeHash({ ...template, spec: { containers: [{ name: 'c', image: 'nginx:1.26' }] } }), h);
  const withHash = { metadata: { labels: { app: 'web', 'pod-template-hash': h }, creationTimestamp: null }, spec: { containers: [{ name: 'c', image: 'nginx:1.25', env: [] }] } };
  assert.ok(equalIgnoreHash(withHash as never, template));
  assert.ok(!equalIgnoreHash({ ...template, spec: { containers: [{ name: 'c', image: 'x' }] } }, template));
  const old = rs('web-old', 0, 0, '2026-01-01T00:00:00Z', 'nginx:1.24');
  const cur = rs('web-cur', 3, 3, '2026-01-01T00:01:00Z');
  assert.equal(findNewReplicaSet(deploy(3), [old, cur])?.metadata?.name, 'web-cur');
});

test('revision annotations: rollback to an old ReplicaSet bumps its revision and records history', () => {
  const d = deploy(3);
  d.metadata!.annotations = { 'kubernetes.io/change-cause': 'undo', 'kubectl.kubernetes.io/last-applied-configuration': '{}' };
  const r = rs('web-1', 0, 0, 'x');
  r.metadata!.annotations = { 'deployment.kubernetes.io/revision': '1' };
  assert.ok(setNewReplicaSetAnnotations(d, r, 3, true));
  assert.equal(r.metadata!.annotations!['deployment.kubernetes.io/revision'], '3');
  assert.equal(r.metadata!.annotations!['deployment.kubernetes.io/revision-history'], '1');
  assert.equal(r.metadata!.annotations!['kubernetes.io/change-cause'], 'undo');
  assert.equal(r.metadata!.annotations!['kubectl.kubernetes.io/last-applied-configuration'], undefined);
  const fresh = rs('web-2', 0, 0, 'x');
  setNewReplicaSetAnnotations(d, fresh, 1, false);
  assert.deepEqual(
    [fresh.metadata!.annotations!['deployment.kubernetes.io/revision'], fresh.metadata!.annotations!['deployment.kubernetes.io/desired-replicas'], fresh.metadata!.annotations!['deployment.kubernetes.io/max-replicas']],
    ['1', '3', '4'],
  );
});

test('rolling update of 3 replicas never exceeds 4 pods or drops below 3 available', () => {
  const d = deploy(3);
  const old = rs('web-old', 3, 3, '2026-01-01T00:00:00Z', 'nginx:1.24');
  const next = rs('web-new', 0, 0, '2026-01-01T00:01:00Z');
  assert.equal(newReplicaSetTarget(d, [old, next], next), 1, 'surge one');
  next.spec!.replicas = 1;
  assert.equal(newReplicaSetTarget(d, [old, next], next), undefined, 'at max surge');
  assert.deepEqual(oldReplicaSetSteps(d, [old], next), [], 'new pod not available yet: nothing to scale down');
  (next as { status: unknown }).status = { replicas: 1, availableReplicas: 1 };
  assert.deepEqual(oldReplicaSetSteps(d, [old], next).map((s) => [s.rs.metadata!.name, s.replicas]), [['web-old', 2]]);
});

test('rolling update of 10: surge 3, unavailable 2; unhealthy old replicas go first', () => {
  const d = deploy(10);
  const old = rs('web-old', 10, 10, '2026-01-01T00:00:00Z', 'nginx:1.24');
  const next = rs('web-new', 0, 0, '2026-01-01T00:01:00Z');
  assert.equal(newReplicaSetTarget(d, [old, next], next), 3);
  next.spec!.replicas = 3;
  assert.deepEqual(oldReplicaSetSteps(d, [old], next).map((s) => s.replicas), [8]);
  const sick = rs('web-sick', 4, 1, '2026-01-01T00:00:30Z', 'nginx:1.23');
  const steps = oldReplicaSetSteps(d, [rs('web-old', 6, 6, '2026-01-01T00:00:00Z'), sick], rs('web-new', 3, 0, '2026-01-01T00:01:00Z'));
  // maxScaledDown = 13 - 8 - 3 = 2, all taken from the unhealthy ReplicaSet; 7 available ≤ 8 so no more
  assert.deepEqual(steps.map((s) => [s.rs.metadata!.name, s.replicas]), [['web-sick', 2]]);
});

test('scaling mid-rollout is proportional; a single active ReplicaSet takes the full count', () => {
  const d = deploy(20);
  assert.deepEqual(proportionalScale(d, rs('web-new', 10, 10, 'b'), [rs('web-old', 0, 0, 'a')]).map((s) => s.replicas), [20]);
  const a = rs('web-a', 8, 8, '2026-01-01T00:00:00Z');
  const b = rs('web-b', 5, 0, '2026-01-01T00:01:00Z');
  a.metadata!.annotations!['deployment.kubernetes.io/max-replicas'] = '13';
  b.metadata!.annotations!['deployment.kubernetes.io/max-replicas'] = '13';
  const steps = proportionalScale(d, b, [a]);
  // allowed 20+5=25, 12 to add: a gets round(8*25/13)-8=7, b round(5*25/13)-5=5
  assert.deepEqual(Object.fromEntries(steps.map((s) => [s.rs.metadata!.name, s.replicas])), { 'web-a': 15, 'web-b': 10 });
});

test('status and conditions: availability, progressing messages, deadline', () => {
  const d = deploy(3);
  const now = Date.parse('2026-01-01T00:10:00Z');
  const next = rs('web-new', 3, 1, 'x');
  const s = calculateStatus(d, [next], next, now);
  assert.deepEqual([s.replicas, s.updatedReplicas, s.availableReplicas, s.unavailableReplicas], [3, 3, 1, 2]);
  assert.equal(s.conditions?.find((c) => c.type === 'Available')?.message, 'Deployment does not have minimum availability.');
  const progressing = rolloutStatus(d, [next], next, now);
  assert.equal(progressing.conditions?.find((c) => c.type === 'Progressing')?.message, 'ReplicaSet "web-new" is progressing.');
  const done = rolloutStatus({ ...d, status: progressing }, [rs('web-new', 3, 3, 'x')], rs('web-new', 3, 3, 'x'), now);
  const p = done.conditions!.find((c) => c.type === 'Progressing')!;
  assert.deepEqual([p.reason, p.message], ['NewReplicaSetAvailable', 'ReplicaSet "web-new" has successfully progressed.']);
  assert.equal(done.conditions!.find((c) => c.type === 'Available')!.reason, 'MinimumReplicasAvailable');
  const later = now + 601_000;
  const stuck = rolloutStatus({ ...d, status: progressing }, [next], next, later);
  const t = stuck.conditions!.find((c) => c.type === 'Progressing')!;
  assert.deepEqual([t.status, t.reason, t.message], ['False', 'ProgressDeadlineExceeded', 'ReplicaSet "web-new" has timed out progressing.']);
  assert.equal(stuckRequeueMs(d, progressing, now), 600_000);
});
