import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findResource } from '../../api/resources.js';
import type { KubeObject } from '../../api/types.js';
import { startFakeApiServer } from '../../client/testing/fake-apiserver.js';
import { claimObjects } from './claim-objects.js';
import { controllerRefOf, newControllerRef } from './pods.js';

const pods = findResource('', 'v1', 'pods')!;
const owner: KubeObject = {
  apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { namespace: 'default', name: 'web', uid: 'rs-uid' },
  spec: { selector: { matchLabels: { app: 'web' } } },
};

function pod(name: string, app: string, owned = false): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { namespace: 'default', name, labels: { app }, ownerReferences: owned ? [newControllerRef(owner)] : undefined } };
}

test('claimObjects keeps owned matches, adopts matching orphans and releases owned pods that stopped matching', async (t) => {
  const { client } = await startFakeApiServer(t);
  const created = await Promise.all([pod('kept', 'web', true), pod('orphan', 'web'), pod('moved', 'db', true), pod('other', 'db')].map((p) => client.create(pods, p)));
  const owned = await claimObjects({ client, resource: pods, owner, candidates: created });
  assert.deepEqual(owned.map((p) => p.metadata.name).sort(), ['kept', 'orphan']);
  const stored = async (name: string) => controllerRefOf(await client.get(pods, { namespace: 'default', name }))?.uid;
  assert.equal(await stored('orphan'), 'rs-uid');
  assert.equal(await stored('moved'), undefined);
  assert.equal(await stored('other'), undefined);
});

test('claimObjects leaves out what fails the filter, and a pod whose write lost a race', async (t) => {
  const { client } = await startFakeApiServer(t);
  const member = await client.create(pods, pod('member', 'web'));
  const outsider = await client.create(pods, pod('outsider', 'web'));
  const ownedOutsider = await client.create(pods, pod('owned-outsider', 'web', true));
  const stale = await client.create(pods, pod('stale', 'web'));
  await client.update(pods, { ...stale, metadata: { ...stale.metadata, annotations: { touched: 'yes' } } });
  const gone = { ...pod('gone', 'web'), metadata: { ...pod('gone', 'web').metadata, resourceVersion: '1' } };
  const owned = await claimObjects({
    client, resource: pods, owner, candidates: [member, outsider, ownedOutsider, stale, gone],
    filter: (p) => p.metadata.name !== 'outsider' && p.metadata.name !== 'owned-outsider',
  });
  assert.deepEqual(owned.map((p) => p.metadata.name), ['member']);
  assert.equal(controllerRefOf(await client.get(pods, { namespace: 'default', name: 'outsider' })), undefined);
  assert.equal(controllerRefOf(await client.get(pods, { namespace: 'default', name: 'owned-outsider' }))?.uid, 'rs-uid');
});
