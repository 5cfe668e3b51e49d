import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/types.js';
import { Indexer, indexByLabel, indexByNamespace, indexByNodeName, indexByOwnerUid, metaNamespaceKey, namespaceIndex, splitMetaNamespaceKey } from './store.js';

function pod(ns: string, name: string, opts: { node?: string; app?: string; owners?: string[] } = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      namespace: ns,
      name,
      labels: opts.app ? { app: opts.app } : {},
      ownerReferences: (opts.owners ?? []).map((uid) => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: uid, uid })),
    },
    spec: opts.node ? { nodeName: opts.node } : {},
  };
}

test('keys are namespace/name, or name for cluster-scoped objects', () => {
  assert.equal(metaNamespaceKey(pod('default', 'a')), 'default/a');
  assert.equal(metaNamespaceKey({ metadata: { name: 'node1' } }), 'node1');
  assert.deepEqual(splitMetaNamespaceKey('ns/x'), { namespace: 'ns', name: 'x' });
  assert.deepEqual(splitMetaNamespaceKey('x'), { namespace: '', name: 'x' });
});

test('indexes follow adds, updates and deletes', () => {
  const s = new Indexer<KubeObject>({ [namespaceIndex]: indexByNamespace, node: indexByNodeName, app: indexByLabel('app'), owner: indexByOwnerUid });
  s.add(pod('a', 'p1', { node: 'n1', app: 'web', owners: ['rs1'] }));
  s.add(pod('a', 'p2', { node: 'n2', app: 'web', owners: ['rs1', 'rs2'] }));
  s.add(pod('b', 'p1', { node: 'n1' }));
  assert.equal(s.size, 3);
  assert.deepEqual(s.byIndex('node', 'n1').map(metaNamespaceKey).sort(), ['a/p1', 'b/p1']);
  assert.deepEqual(s.byIndex(namespaceIndex, 'a').map(metaNamespaceKey).sort(), ['a/p1', 'a/p2']);
  assert.deepEqual(s.byIndex('app', 'web').length, 2);
  assert.deepEqual(s.byIndex('owner', 'rs2').map(metaNamespaceKey), ['a/p2']);

  s.update(pod('a', 'p1', { node: 'n2', app: 'db' }));
  assert.deepEqual(s.byIndex('node', 'n1').map(metaNamespaceKey), ['b/p1']);
  assert.deepEqual(s.byIndex('app', 'db').map(metaNamespaceKey), ['a/p1']);
  assert.deepEqual(s.byIndex('owner', 'rs1').map(metaNamespaceKey), ['a/p2']);

  s.delete(pod('a', 'p2'));
  assert.deepEqual(s.byIndex('owner', 'rs1'), []);
  assert.deepEqual(s.byIndex('node', 'n2').map(metaNamespaceKey), ['a/p1']);
  assert.equal(s.get('a/p2'), undefined);
  assert.ok(!s.listIndexFuncValues('owner').includes('rs1'), 'empty index values are dropped');
});

test('replace rebuilds indexes and late indexers file existing objects', () => {
  const s = new Indexer<KubeObject>({ node: indexByNodeName });
  s.add(pod('a', 'old', { node: 'n1' }));
  s.replace([pod('a', 'new', { node: 'n9', app: 'x' })]);
  assert.deepEqual(s.byIndex('node', 'n1'), []);
  assert.deepEqual(s.listKeys(), ['a/new']);
  s.addIndexers({ app: indexByLabel('app') });
  assert.deepEqual(s.byIndex('app', 'x').map(metaNamespaceKey), ['a/new']);
  assert.throws(() => s.byIndex('missing', 'x'), /does not exist/);
  assert.throws(() => s.addIndexers({ node: indexByNodeName }), /already exists/);
});
