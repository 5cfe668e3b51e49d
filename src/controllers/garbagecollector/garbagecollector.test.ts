import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { findResource } from '../../api/resources.js';
import type { KubeObject } from '../../api/types.js';
import { InformerFactory } from '../../client/informer-factory.js';
import { RestClient } from '../../client/rest.js';
import { FakeApiServer, runUntilTestEnds } from '../../client/testing/fake-apiserver.js';
import { waitFor } from '../../util/testing.js';
import { GarbageCollector } from './garbagecollector.js';

const deployments = findResource('apps', 'v1', 'deployments')!;
const replicasets = findResource('apps', 'v1', 'replicasets')!;
const pods = findResource('', 'v1', 'pods')!;
const configmaps = findResource('', 'v1', 'configmaps')!;

function owned(kind: string, name: string, owners: KubeObject[], block = true): KubeObject {
  const ownerReferences: OwnerReference[] = owners.map((o) => ({ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name!, uid: o.metadata.uid!, controller: true, blockOwnerDeletion: block }));
  return { apiVersion: kind === 'ReplicaSet' ? 'apps/v1' : 'v1', kind, metadata: { namespace: 'default', name, ownerReferences } };
}

async function setup(t: import('node:test').TestContext) {
  const server = new FakeApiServer();
  await server.start();
  const client = new RestClient({ server: server.url, token: 't' });
  const gc = new GarbageCollector({ factory: new InformerFactory({ client }), log: () => {} });
  runUntilTestEnds(t, { server, client, run: (signal) => gc.run(signal) });
  return { server, client };
}

test('background: dependents of a deleted owner are deleted, dependents with a live owner only lose the reference', async (t) => {
  const { server, client } = await setup(t);
  const rs = server.put(replicasets, { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { namespace: 'default', name: 'web' } });
  const keeper = server.put(configmaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'default', name: 'keeper' } });
  const web1 = server.put(pods, owned('Pod', 'web-1', [rs]));
  server.put(pods, owned('Pod', 'web-2', [rs, keeper]));
  server.put(pods, { apiVersion: 'v1', kind: 'Pod', metadata: { namespace: 'default', name: 'lonely' } });
  await client.delete(replicasets, { namespace: 'default', name: 'web', propagationPolicy: 'Background' });
  await waitFor('web-1 collected', () => !server.getObject(pods, 'default', 'web-1'));
  await waitFor('web-2 ref removed', () => server.getObject(pods, 'default', 'web-2')?.metadata.ownerReferences?.length === 1);
  assert.equal(server.getObject(pods, 'default', 'web-2')!.metadata.ownerReferences![0].uid, keeper.metadata.uid);
  assert.ok(server.getObject(pods, 'default', 'lonely'));
  const del = server.requests.find((r) => r.method === 'DELETE' && r.url.endsWith('/pods/web-1'))!;
  assert.deepEqual(del.body, { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background', preconditions: { uid: web1.metadata.uid } });
});

test('a reference to a namesake with another uid dangles', async (t) => {
  const { server } = await setup(t);
  server.put(replicasets, { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { namespace: 'default', name: 'web', uid: 'new-uid' } });
  const ghost = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { namespace: 'default', name: 'web', uid: 'old-uid' } };
  server.put(pods, owned('Pod', 'stale', [ghost]));
  await waitFor('stale pod collected', () => !server.getObject(pods, 'default', 'stale'));
  assert.ok(server.getObject(replicasets, 'default', 'web'));
});

test('foreground: the owner keeps its finalizer until blocking dependents are gone, through two levels', async (t) => {
  const { server, client } = await setup(t);
  const deploy = server.put(deployments, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { namespace: 'default', name: 'app' } });
  const rs = server.put(replicasets, owned('ReplicaSet', 'app-1', [deploy]));
  server.put(pods, owned('Pod', 'app-1-a', [rs]));
  server.put(pods, owned('Pod', 'app-1-b', [rs], false));
  const seenWaiting: string[] = [];
  const orig = server.failRequest;
  server.failRequest = (method, url) => {
    // Record the owners' state each time a pod is deleted: the Deployment must still exist.
    if (method === 'DELETE' && url.includes('/pods/') && server.getObject(deployments, 'default', 'app')) seenWaiting.push(url);
    return orig?.(method, url);
  };
  const res = (await client.delete(deployments, { namespace: 'default', name: 'app', propagationPolicy: 'Foreground' })) as KubeObject;
  assert.deepEqual(res.metadata.finalizers, ['foregroundDeletion']);
  await waitFor('deployment gone', () => !server.getObject(deployments, 'default', 'app'));
  assert.equal(server.getObject(replicasets, 'default', 'app-1'), undefined);
  assert.deepEqual(server.listObjects(pods), []);
  assert.equal(seenWaiting.length, 2, 'pods were deleted while the deployment still waited');
  const rsDelete = server.requests.find((r) => r.method === 'DELETE' && r.url.endsWith('/replicasets/app-1'))!;
  assert.equal((rsDelete.body as { propagationPolicy: string }).propagationPolicy, 'Foreground');
});

test('orphan: dependents lose the reference and survive, the owner goes', async (t) => {
  const { server, client } = await setup(t);
  const rs = server.put(replicasets, { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { namespace: 'default', name: 'web' } });
  const other = server.put(configmaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'default', name: 'cm' } });
  server.put(pods, owned('Pod', 'web-1', [rs]));
  server.put(pods, owned('Pod', 'web-2', [rs, other]));
  await client.delete(replicasets, { namespace: 'default', name: 'web', propagationPolicy: 'Orphan' });
  await waitFor('rs gone', () => !server.getObject(replicasets, 'default', 'web'));
  assert.equal(server.getObject(pods, 'default', 'web-1')!.metadata.ownerReferences, undefined);
  assert.deepEqual(server.getObject(pods, 'default', 'web-2')!.metadata.ownerReferences!.map((r) => r.name), ['cm']);
});

test('every served kind that can be owned is watched, except Events', async () => {
  const { collectableResources } = await import('./garbagecollector.js');
  const names = collectableResources().map((r) => r.resource);
  for (const r of ['pods', 'replicasets', 'deployments', 'endpointslices', 'services', 'configmaps', 'secrets', 'leases', 'ingresses', 'nodes', 'namespaces']) assert.ok(names.includes(r), r);
  assert.ok(!names.includes('events'));
});
