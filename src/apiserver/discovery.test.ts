import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resources } from '../api/resources.js';
import { aggregatedDiscovery, apiGroup, apiGroupList, apiResourceList, apiVersions, wantsAggregatedDiscovery } from './discovery.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

test('aggregated core discovery has one group "" with every core resource', () => {
  const d = aggregatedDiscovery(true) as Obj;
  assert.equal(d.kind, 'APIGroupDiscoveryList');
  assert.equal(d.apiVersion, 'apidiscovery.k8s.io/v2');
  assert.equal(d.items.length, 1);
  assert.equal(d.items[0].metadata.name, '');
  const v1 = d.items[0].versions[0];
  assert.equal(v1.version, 'v1');
  assert.equal(v1.freshness, 'Current');
  const svc = v1.resources.find((r: Obj) => r.resource === 'services');
  assert.deepEqual(svc.responseKind, { group: '', version: 'v1', kind: 'Service' });
  assert.equal(svc.scope, 'Namespaced');
  assert.equal(svc.singularResource, 'service');
  assert.deepEqual(svc.shortNames, ['svc']);
  assert.deepEqual(svc.categories, ['all']);
  assert.deepEqual(svc.subresources.map((s: Obj) => s.subresource), ['status', 'proxy']);
  const ns = v1.resources.find((r: Obj) => r.resource === 'namespaces');
  assert.equal(ns.scope, 'Cluster');
  assert.equal(v1.resources.length, resources.filter((r) => r.group === '').length);
});

test('aggregated /apis names every group; scale answers autoscaling/v1 Scale', () => {
  const d = aggregatedDiscovery(false) as Obj;
  assert.deepEqual(d.items.map((i: Obj) => i.metadata.name), ['apps', 'batch', 'discovery.k8s.io', 'networking.k8s.io', 'coordination.k8s.io', 'storage.k8s.io', 'metallb.io']);
  const deploy = d.items[0].versions[0].resources.find((r: Obj) => r.resource === 'deployments');
  const scale = deploy.subresources.find((s: Obj) => s.subresource === 'scale');
  assert.deepEqual(scale.responseKind, { group: 'autoscaling', version: 'v1', kind: 'Scale' });
  assert.deepEqual(scale.verbs, ['get', 'patch', 'update']);
});

test('Accept negotiation for aggregated discovery', () => {
  assert.ok(wantsAggregatedDiscovery('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json'));
  assert.ok(!wantsAggregatedDiscovery('application/json, */*'));
  assert.ok(!wantsAggregatedDiscovery(undefined));
});

test('legacy discovery documents', () => {
  assert.deepEqual(apiVersions({ serverAddress: '127.0.0.1:6443' }), { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1:6443' }] });
  const groups = (apiGroupList() as Obj).groups;
  assert.deepEqual(groups[0], { name: 'apps', versions: [{ groupVersion: 'apps/v1', version: 'v1' }], preferredVersion: { groupVersion: 'apps/v1', version: 'v1' } });
  assert.equal((apiGroup('metallb.io') as Obj).preferredVersion.groupVersion, 'metallb.io/v1beta1');
  assert.equal(apiGroup('nope.io'), undefined);
  assert.equal(apiResourceList('apps', 'v2'), undefined);

  const apps = apiResourceList('apps', 'v1') as Obj;
  assert.equal(apps.groupVersion, 'apps/v1');
  const names = apps.resources.map((r: Obj) => r.name);
  assert.deepEqual(names, ['deployments', 'deployments/status', 'deployments/scale', 'replicasets', 'replicasets/status', 'replicasets/scale', 'statefulsets', 'statefulsets/status', 'statefulsets/scale', 'daemonsets', 'daemonsets/status', 'controllerrevisions']);
  assert.deepEqual(apps.resources[0], { name: 'deployments', singularName: 'deployment', namespaced: true, kind: 'Deployment', verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'], shortNames: ['deploy'], categories: ['all'] });
  assert.deepEqual(apps.resources[2], { name: 'deployments/scale', singularName: '', namespaced: true, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] });
  assert.deepEqual(apps.resources[1], { name: 'deployments/status', singularName: '', namespaced: true, kind: 'Deployment', verbs: ['get', 'patch', 'update'] });

  const core = apiResourceList('', 'v1') as Obj;
  assert.equal(core.groupVersion, 'v1');
  assert.ok(core.resources.some((r: Obj) => r.name === 'pods/status' && r.kind === 'Pod'));
  assert.ok(core.resources.some((r: Obj) => r.name === 'pods/exec' && r.kind === 'PodExecOptions'));
  assert.ok(core.resources.some((r: Obj) => r.name === 'pods/eviction' && r.group === 'policy' && r.kind === 'Eviction'));
});
