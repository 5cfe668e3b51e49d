import { test } from 'node:test';
import assert from 'node:assert/strict';
import { textEncoder } from '../../storage/store.js';
import { decodeObject, encodeObject, servedJSON, storedPrefix, withResourceVersion } from './codec.js';
import type { KubeObject } from '../../api/types.js';

const deployment: KubeObject = {
  // members out of the usual order, and a nested metadata before the object's own
  spec: { template: { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image: 'x', env: [{ name: 'E', value: '"metadata":{"' }] }] } } },
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default', resourceVersion: '7', labels: { 'a"b': 'c' } },
  apiVersion: 'apps/v1',
};

test('servedJSON is the JSON of the decoded object, without decoding it', () => {
  const kv = { key: '/registry/deployments/default/web', value: encodeObject(deployment), modRevision: 42, createRevision: 40 };
  const json = servedJSON(kv, storedPrefix('apps/v1', 'Deployment'));
  assert.ok(json);
  assert.deepEqual(JSON.parse(json), decodeObject(kv));
  assert.equal(JSON.parse(json).metadata.resourceVersion, '42');
  assert.equal(JSON.parse(json).spec.template.metadata.resourceVersion, undefined);
});

test('servedJSON gives up on what it cannot place the resourceVersion in', () => {
  const prefix = storedPrefix('apps/v1', 'Deployment');
  // stored before the layout: spec first, whose template has a metadata of its own
  const old = textEncoder.encode(JSON.stringify({ spec: deployment.spec, apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' } }));
  assert.equal(servedJSON({ key: 'k', value: old, modRevision: 1, createRevision: 1 }, prefix), undefined);
  // another kind or version, an encrypted value, an empty metadata
  assert.equal(servedJSON({ key: 'k', value: encodeObject(deployment), modRevision: 1, createRevision: 1 }, storedPrefix('apps/v1beta1', 'Deployment')), undefined);
  assert.equal(servedJSON({ key: 'k', value: textEncoder.encode('k8s:enc:aescbc:v1:key1:xyz'), modRevision: 1, createRevision: 1 }, prefix), undefined);
  assert.equal(withResourceVersion('{"apiVersion":"apps/v1","kind":"Deployment","metadata":{}}', prefix, 3), undefined);
});
