import assert from 'node:assert/strict';
import { test } from 'node:test';
import { claimsFor, isMemberOf, newStatefulSetPod, ordinalOf, type StatefulSetObject } from './identity.js';
import type { PodObject } from '../common/pods.js';

const set = {
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'web', namespace: 'ns', uid: 'u1' },
  spec: {
    serviceName: 'nginx',
    selector: { matchLabels: { app: 'nginx' } },
    template: { metadata: { labels: { app: 'nginx' } }, spec: { containers: [{ name: 'c', image: 'nginx' }], volumes: [{ name: 'www', emptyDir: {} }, { name: 'other', emptyDir: {} }] } },
    volumeClaimTemplates: [{ metadata: { name: 'www', labels: { tier: 'data' } }, spec: { accessModes: ['ReadWriteOnce'] }, status: { phase: 'Pending' } }],
  },
} as unknown as StatefulSetObject;

test('a pod has a stable identity: name, hostname, subdomain, labels, owner, claims', () => {
  const pod = newStatefulSetPod(set, set.spec!.template, 2, 'web-abc');
  assert.equal(pod.metadata.name, 'web-2');
  assert.equal(pod.metadata.generateName, undefined);
  assert.deepEqual(pod.metadata.labels, { app: 'nginx', 'statefulset.kubernetes.io/pod-name': 'web-2', 'apps.kubernetes.io/pod-index': '2', 'controller-revision-hash': 'web-abc' });
  assert.equal(pod.spec!.hostname, 'web-2');
  assert.equal(pod.spec!.subdomain, 'nginx');
  assert.deepEqual(pod.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'u1', controller: true, blockOwnerDeletion: true }]);
  // the claim volume replaces the template volume of the same name
  assert.deepEqual(pod.spec!.volumes, [{ name: 'www', persistentVolumeClaim: { claimName: 'www-web-2' } }, { name: 'other', emptyDir: {} }]);
  assert.equal(ordinalOf(pod), 2);
  assert.ok(isMemberOf(set, pod));
  assert.ok(!isMemberOf(set, { metadata: { name: 'webx-1' } } as PodObject));
  assert.equal(ordinalOf({ metadata: { name: 'web' } }), -1);
});

test('claims are named <template>-<set>-<ordinal> and carry the selector labels', () => {
  const [claim] = claimsFor(set, 0);
  assert.equal(claim!.metadata.name, 'www-web-0');
  assert.equal(claim!.metadata.namespace, 'ns');
  assert.deepEqual(claim!.metadata.labels, { tier: 'data', app: 'nginx' });
  assert.equal(claim!.kind, 'PersistentVolumeClaim');
  assert.equal((claim as { status?: unknown }).status, undefined);
});
