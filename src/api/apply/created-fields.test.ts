import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createdFields } from './created-fields.js';
import { toFieldsV1 } from './fieldpath.js';
import { emptySkeleton, trackedView } from './managed-fields.js';
import { compare } from './typed.js';
import type { KubeObject } from '../types.js';
import type { KindRef } from '../patch/patch-meta.js';

/** The general walk the fast path stands in for: compare against the skeleton, added ∪ modified. */
function general(obj: KubeObject, kind: KindRef) {
  const view = trackedView(obj, kind);
  const cmp = compare(emptySkeleton(view), view, kind);
  const set = cmp.added.union(cmp.modified);
  return set.empty() ? undefined : toFieldsV1(set);
}

const cases: Array<[string, KindRef, KubeObject]> = [
  ['Deployment with containers, ports, env, volumes', { group: 'apps', kind: 'Deployment' }, {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web' }, annotations: { a: 'b' }, finalizers: ['x/y', 'a/b'] },
    spec: {
      replicas: 2, selector: { matchLabels: { app: 'web' } }, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%' } },
      template: { metadata: { labels: { app: 'web' } }, spec: {
        containers: [{ name: 'c', image: 'nginx', ports: [{ containerPort: 80, protocol: 'TCP' }, { containerPort: 53, protocol: 'UDP', name: 'dns' }], env: [{ name: 'A', value: '1' }], resources: {}, volumeMounts: [{ name: 'v', mountPath: '/v' }] }],
        volumes: [{ name: 'v', emptyDir: {} }], tolerations: [{ key: 'k', operator: 'Exists' }], securityContext: {},
      } },
    },
    status: { replicas: 2 },
  }],
  ['Service with keyed ports (protocol defaulted)', { group: '', kind: 'Service' }, {
    apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'default' },
    spec: { selector: { app: 'x' }, ports: [{ port: 80, targetPort: 8080 }, { port: 53, protocol: 'UDP' }], type: 'ClusterIP', clusterIP: '10.0.0.1', clusterIPs: ['10.0.0.1'], ipFamilies: ['IPv4'], sessionAffinity: 'None' },
    status: { loadBalancer: {} },
  }],
  ['EndpointSlice as the controller writes it', { group: 'discovery.k8s.io', kind: 'EndpointSlice' }, {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: { generateName: 's-', namespace: 'default', labels: { 'kubernetes.io/service-name': 's' }, ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: 's', uid: 'u', controller: true, blockOwnerDeletion: true }] },
    addressType: 'IPv4', endpoints: [{ addresses: ['10.1.0.2'], conditions: { ready: true }, targetRef: { kind: 'Pod', name: 'p', namespace: 'default', uid: 'v' } }], ports: [{ name: '', port: 8080, protocol: 'TCP' }],
  }],
  ['Pod with an empty container list and empty objects', { group: '', kind: 'Pod' }, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: {} }, spec: { containers: [], nodeSelector: {} },
  }],
  ['ConfigMap with data only', { group: '', kind: 'ConfigMap' }, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1', 'b.c': '2' } }],
  ['a bare Namespace', { group: '', kind: 'Namespace' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n' } }],
];

for (const [name, kind, obj] of cases) {
  test(`created fields match the general comparison: ${name}`, () => {
    const view = trackedView(obj, kind);
    const fast = createdFields(emptySkeleton(view), view, kind);
    assert.equal(JSON.stringify(fast), JSON.stringify(general(obj, kind)));
  });
}

test('created fields: a key field named in the item, an atomic map, a set list', () => {
  const kind = { group: '', kind: 'Service' };
  const obj = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', finalizers: ['f'] }, spec: { ports: [{ port: 80 }] } } as KubeObject;
  const view = trackedView(obj, kind);
  const fast = createdFields(emptySkeleton(view), view, kind)!;
  assert.deepEqual(Object.keys(fast), ['f:metadata', 'f:spec']);
  assert.deepEqual((fast['f:metadata'] as Record<string, unknown>)['f:finalizers'], { '.': {}, 'v:"f"': {} });
  assert.deepEqual(Object.keys((fast['f:spec'] as Record<string, Record<string, unknown>>)['f:ports']), ['.', 'k:{"port":80,"protocol":"TCP"}']);
});
