import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findResource } from '../../api/resources.js';
import type { KubeObject } from '../../api/types.js';
import { InformerFactory } from '../../client/informer-factory.js';
import { RestClient } from '../../client/rest.js';
import { FakeApiServer } from '../../client/testing/fake-apiserver.js';
import { waitFor } from '../../util/testing.js';
import { realClock } from '../../util/clock.js';
import { OwnerWiring } from './owner-wiring.js';

const replicasets = findResource('apps', 'v1', 'replicasets')!;
const pods = findResource('', 'v1', 'pods')!;

function rs(name: string, app: string, namespace = 'default'): KubeObject {
  return { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { namespace, name }, spec: { selector: { matchLabels: { app } } } };
}

function pod(name: string, labels: Record<string, string>, owner?: KubeObject, kind = 'ReplicaSet'): KubeObject {
  const ownerReferences = owner ? [{ apiVersion: 'apps/v1', kind, name: owner.metadata.name!, uid: owner.metadata.uid!, controller: true }] : undefined;
  return { apiVersion: 'v1', kind: 'Pod', metadata: { namespace: 'default', name, labels, ownerReferences } };
}

async function setup(t: import('node:test').TestContext) {
  const server = new FakeApiServer();
  await server.start();
  const client = new RestClient({ server: server.url, token: 't' });
  const ac = new AbortController();
  const factory = new InformerFactory({ client });
  const reconciled: string[] = [];
  const deleted: string[] = [];
  const wiring = new OwnerWiring<KubeObject, KubeObject>({
    name: 'test', kind: 'ReplicaSet', owner: replicasets, owned: pods, factory, clock: realClock, workers: 1, log: () => {},
    reconcile: async (key) => void reconciled.push(key),
    onOwnerDeleted: (key) => void deleted.push(key),
  });
  t.after(async () => {
    ac.abort();
    await factory.stopped();
    client.close();
    await server.stop();
  });
  return { server, factory, wiring, reconciled, deleted, ac };
}

test('ownerOf follows a controllerRef only to a cached owner of that kind and uid', async (t) => {
  const { server, factory, wiring, ac } = await setup(t);
  const web = server.put(replicasets, rs('web', 'web'));
  factory.start(ac.signal);
  assert.equal(await factory.waitForCacheSync(ac.signal), true);
  assert.equal(wiring.ownerOf(pod('a', {}, web))?.metadata.name, 'web');
  assert.equal(wiring.ownerOf(pod('b', {}, { ...web, metadata: { ...web.metadata, uid: 'other' } })), undefined, 'a namesake with another uid is not the owner');
  assert.equal(wiring.ownerOf(pod('c', {}, web, 'Job')), undefined, 'another kind is not ours');
  assert.equal(wiring.ownerOf(pod('d', {})), undefined);
});

test('owned objects queue their owner, orphans every owner whose selector matches, in their namespace only', async (t) => {
  const { server, factory, wiring, ac } = await setup(t);
  const web = server.put(replicasets, rs('web', 'web'));
  server.put(replicasets, rs('web-too', 'web'));
  server.put(replicasets, rs('db', 'db'));
  server.put(replicasets, rs('web-elsewhere', 'web', 'other'));
  factory.start(ac.signal);
  await factory.waitForCacheSync(ac.signal);
  const queued = async () => {
    const keys: string[] = [];
    while (wiring.queue.len() > 0) {
      const k = (await wiring.queue.get())!;
      wiring.queue.done(k);
      keys.push(k);
    }
    return keys.sort();
  };
  await queued(); // the initial adds
  wiring.enqueueFor(pod('owned', { app: 'web' }, web));
  assert.deepEqual(await queued(), ['default/web']);
  wiring.enqueueFor(pod('orphan', { app: 'web' }));
  assert.deepEqual(await queued(), ['default/web', 'default/web-too']);
  wiring.enqueueFor(pod('stranger', { app: 'cache' }));
  assert.deepEqual(await queued(), []);
});

test('owner events reach reconcile; a deleted owner is announced before it is queued', async (t) => {
  const { server, factory, wiring, reconciled, deleted, ac } = await setup(t);
  server.put(replicasets, rs('web', 'web'));
  factory.start(ac.signal);
  const running = wiring.run(ac.signal);
  await waitFor('reconcile of the added owner', () => reconciled.includes('default/web'));
  server.remove(replicasets, 'default', 'web');
  await waitFor('deletion announced', () => deleted.includes('default/web'));
  await waitFor('reconcile after deletion', () => reconciled.filter((k) => k === 'default/web').length >= 2);
  ac.abort();
  await running;
});
