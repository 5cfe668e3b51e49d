import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../../api/types.js';
import { findEqualRevisions, hashRevision, newControllerRevision, nextRevision, revisionsToPrune, templateOf, templatePatch, type RevisionObject } from './revision.js';

const parent = { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'web', namespace: 'default', uid: 'u' } } as KubeObject;
const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx', ports: [{ containerPort: 80 }] }] } };

test('the revision data is the template patch as Go encodes it: sorted keys, $patch replace, null creationTimestamp', () => {
  const data = templatePatch(template);
  assert.equal(
    JSON.stringify(data),
    '{"spec":{"template":{"$patch":"replace","metadata":{"creationTimestamp":null,"labels":{"app":"web"}},"spec":{"containers":[{"image":"nginx","name":"web","ports":[{"containerPort":80}]}]}}}}',
  );
  const rev = newControllerRevision({ parent, templateLabels: template.metadata.labels, data, revision: 1, collisionCount: 0 });
  assert.deepEqual(templateOf(rev), template);
  assert.match(rev.metadata.name!, /^web-[bcdfghjklmnpqrstvwxz2456789]+$/);
  assert.equal(rev.metadata.labels!['controller-revision-hash'], rev.metadata.name!.slice(4));
  assert.equal(rev.metadata.labels!.app, 'web');
  assert.equal(rev.metadata.ownerReferences![0]!.uid, 'u');
  // the hash depends on the data and the collision count, and only on them
  assert.equal(hashRevision(data, 0), hashRevision(templatePatch(structuredClone(template)), 0));
  assert.notEqual(hashRevision(data, 0), hashRevision(data, 1));
  assert.notEqual(hashRevision(data, 0), hashRevision(templatePatch({ ...template, metadata: { labels: { app: 'x' } } }), 0));
});

test('ordering, equality and pruning', () => {
  const mk = (name: string, revision: number, image: string) => ({ ...newControllerRevision({ parent, templateLabels: {}, data: templatePatch({ spec: { containers: [{ name: 'c', image }] } }), revision }), metadata: { name, creationTimestamp: '2026-01-01T00:00:00Z' } }) as RevisionObject;
  const revs = [mk('c', 3, 'v1'), mk('a', 1, 'v1'), mk('b', 2, 'v2')];
  assert.equal(nextRevision(revs), 4);
  assert.deepEqual(findEqualRevisions(revs, mk('x', 9, 'v1')).map((r) => r.metadata.name), ['a', 'c']);
  assert.deepEqual(revisionsToPrune(revs, new Set(['c']), 1).map((r) => r.metadata.name), ['a']);
  assert.deepEqual(revisionsToPrune(revs, new Set(['c']), 2), []);
  assert.deepEqual(revisionsToPrune(revs, new Set(), 0).map((r) => r.metadata.name), ['a', 'b', 'c']);
});
