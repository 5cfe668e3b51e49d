import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NamespaceCondition } from 'kubernetes-types/core/v1.js';
import { findResource } from '../../api/resources.js';
import { InformerFactory } from '../../client/informer-factory.js';
import { RestClient } from '../../client/rest.js';
import { FakeApiServer, runUntilTestEnds } from '../../client/testing/fake-apiserver.js';
import { waitFor } from '../../util/testing.js';
import { emptyTotals, gvrLabel, namespaceConditions } from './conditions.js';
import { NamespaceController } from './controller.js';

const namespaces = findResource('', 'v1', 'namespaces')!;
const pods = findResource('', 'v1', 'pods')!;
const configmaps = findResource('', 'v1', 'configmaps')!;
const deployments = findResource('apps', 'v1', 'deployments')!;

test('conditions: kube\'s reasons and messages, lastTransitionTime kept while unchanged', () => {
  assert.equal(gvrLabel(pods), 'pods.');
  assert.equal(gvrLabel(deployments), 'deployments.apps');
  const totals = emptyTotals();
  totals.remaining.set('pods.', 2);
  totals.remaining.set('configmaps.', 1);
  totals.finalizers.set('example.com/hold', 1);
  const first = namespaceConditions(totals, [], '2026-01-01T00:00:00Z');
  assert.deepEqual(
    first.map((c) => [c.type, c.status, c.reason]),
    [
      ['NamespaceDeletionDiscoveryFailure', 'False', 'ResourcesDiscovered'],
      ['NamespaceDeletionGroupVersionParsingFailure', 'False', 'ParsedGroupVersions'],
      ['NamespaceDeletionContentFailure', 'False', 'ContentDeleted'],
      ['NamespaceContentRemaining', 'True', 'SomeResourcesRemain'],
      ['NamespaceFinalizersRemaining', 'True', 'SomeFinalizersRemain'],
    ],
  );
  assert.equal(first[3].message, 'Some resources are remaining: configmaps. has 1 resource instances, pods. has 2 resource instances');
  assert.equal(first[4].message, 'Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances');
  assert.equal(first[2].message, 'All content successfully deleted, may be waiting on finalization');

  const again = namespaceConditions(totals, first, '2026-01-01T00:00:09Z');
  assert.ok(again.every((c: NamespaceCondition) => c.lastTransitionTime === '2026-01-01T00:00:00Z'));
  const done = namespaceConditions(emptyTotals(), first, '2026-01-01T00:00:10Z');
  assert.equal(done[3].status, 'False');
  assert.equal(done[3].message, 'All content successfully removed');
  assert.equal(done[3].lastTransitionTime, '2026-01-01T00:00:10Z');
  assert.equal(done[0].lastTransitionTime, '2026-01-01T00:00:00Z');

  const failing = emptyTotals();
  failing.deleteErrors.push('secrets.: boom');
  assert.equal(namespaceConditions(failing, [], 'x')[2].message, 'Failed to delete all resource types, 1 remaining: secrets.: boom');
});

test('a terminating namespace is emptied, reports remaining content, then is finalized', async (t) => {
  const server = new FakeApiServer();
  await server.start();
  const client = new RestClient({ server: server.url, token: 't' });
  const ctrl = new NamespaceController({ factory: new InformerFactory({ client }), recheckMs: 5, log: () => {} });
  runUntilTestEnds(t, { server, client, run: (signal) => ctrl.run(signal) });
  for (const name of ['shop', 'other']) server.put(namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } });
  server.put(configmaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'shop', name: 'a' } });
  server.put(deployments, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { namespace: 'shop', name: 'web' } });
  server.put(pods, { apiVersion: 'v1', kind: 'Pod', metadata: { namespace: 'shop', name: 'held', finalizers: ['example.com/hold'] } });
  server.put(configmaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'other', name: 'b' } });

  await client.delete(namespaces, { name: 'shop' });
  await waitFor('content-remaining condition', () => {
    const c = (server.getObject(namespaces, '', 'shop')?.status as { conditions?: NamespaceCondition[] } | undefined)?.conditions;
    return c?.find((x) => x.type === 'NamespaceContentRemaining')?.status === 'True';
  });
  const ns = server.getObject(namespaces, '', 'shop')!;
  const status = ns.status as { phase: string; conditions: NamespaceCondition[] };
  assert.equal(status.phase, 'Terminating');
  assert.equal(status.conditions.find((c) => c.type === 'NamespaceContentRemaining')!.message, 'Some resources are remaining: pods. has 1 resource instances');
  assert.equal(status.conditions.find((c) => c.type === 'NamespaceFinalizersRemaining')!.message, 'Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances');
  assert.equal(server.listObjects(configmaps, 'shop').length, 0);
  assert.equal(server.listObjects(deployments, 'shop').length, 0);
  assert.deepEqual((ns.spec as { finalizers: string[] }).finalizers, ['kubernetes'], 'not finalized while content remains');

  await client.patch(pods, { namespace: 'shop', name: 'held', type: 'merge', patch: { metadata: { finalizers: null } } });
  await waitFor('namespace gone', () => !server.getObject(namespaces, '', 'shop'));
  const finalize = server.requests.find((r) => r.method === 'PUT' && r.url === '/api/v1/namespaces/shop/finalize')!;
  assert.deepEqual((finalize.body as { spec: { finalizers: string[] } }).spec.finalizers, []);
  assert.ok(server.getObject(namespaces, '', 'other'));
  assert.equal(server.listObjects(configmaps, 'other').length, 1);
});
