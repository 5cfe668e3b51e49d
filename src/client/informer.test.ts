import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findResource } from '../api/resources.js';
import { isStatusError } from '../api/status.js';
import type { KubeObject } from '../api/types.js';
import { FakeClock } from '../util/clock.js';
import { isDeletedFinalStateUnknown, SharedInformer, type DeletedFinalStateUnknown } from './informer.js';
import { RestClient } from './rest.js';
import { FakeApiServer } from './testing/fake-apiserver.js';
import { waitFor } from '../util/testing.js';
import { isResourceExpired } from './watch.js';
import { InformerFactory } from './informer-factory.js';

const pods = findResource('', 'v1', 'pods')!;
const cms = findResource('', 'v1', 'configmaps')!;

function cm(name: string, data: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'default', name }, data };
}

async function setup(t: import('node:test').TestContext) {
  const server = new FakeApiServer();
  await server.start();
  const client = new RestClient({ server: server.url, token: 'secret' });
  const ac = new AbortController();
  t.after(async () => {
    ac.abort();
    client.close();
    await server.stop();
  });
  return { server, client, ac };
}

function recorder() {
  const seen: string[] = [];
  const tombstones: DeletedFinalStateUnknown<KubeObject>[] = [];
  return {
    seen,
    tombstones,
    handler: {
      onAdd: (o: KubeObject, initial: boolean) => seen.push(`add ${o.metadata.name}${initial ? ' initial' : ''}`),
      onUpdate: (_o: KubeObject, n: KubeObject) => seen.push(`update ${n.metadata.name}`),
      onDelete: (o: KubeObject | DeletedFinalStateUnknown<KubeObject>) => {
        if (isDeletedFinalStateUnknown(o)) tombstones.push(o);
        else seen.push(`delete ${o.metadata.name}`);
      },
    },
  };
}

test('REST verbs: bearer token, paths, Status errors', async (t) => {
  const { server, client } = await setup(t);
  const created = await client.create(cms, cm('a', { k: 'v' }));
  assert.ok(created.metadata.uid);
  const got = await client.get(cms, { namespace: 'default', name: 'a' });
  assert.deepEqual(got.data, { k: 'v' });
  const patched = await client.patch(cms, { namespace: 'default', name: 'a', type: 'merge', patch: { data: { k: 'w' } } });
  assert.deepEqual(patched.data, { k: 'w' });
  const patchReq = server.requests.at(-1)!;
  assert.equal(patchReq.authorization, 'Bearer secret');
  assert.equal(patchReq.method, 'PATCH');
  assert.equal(patchReq.url, '/api/v1/namespaces/default/configmaps/a');
  await assert.rejects(client.get(cms, { namespace: 'default', name: 'nope' }), (err) => {
    assert.ok(isStatusError(err, 'NotFound'));
    assert.equal(err.status.code, 404);
    assert.equal(err.message, 'configmaps "nope" not found');
    return true;
  });
  await client.delete(cms, { namespace: 'default', name: 'a', propagationPolicy: 'Background' });
  assert.deepEqual(server.requests.at(-1)!.body, { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' });
  const list = await client.list(cms, { namespace: 'default' });
  assert.equal(list.items.length, 0);
});

test('a watch ERROR event with 410 surfaces as an expired StatusError', async (t) => {
  const { server, client, ac } = await setup(t);
  server.put(cms, cm('a'));
  server.compactedBelow = 100;
  const events = [];
  await assert.rejects(
    (async () => {
      for await (const e of client.watch(cms, { resourceVersion: '1', signal: ac.signal })) events.push(e);
    })(),
    (err) => isResourceExpired(err) && /too old resource version/.test((err as Error).message),
  );
  assert.equal(events.length, 0);
});

test('informer lists in pages, then watches adds, updates and deletes', async (t) => {
  const { server, client, ac } = await setup(t);
  for (const n of ['a', 'b', 'c']) server.put(cms, cm(n));
  const inf = new SharedInformer({ client, resource: cms, pageSize: 2 });
  const r = recorder();
  inf.addEventHandler(r.handler);
  const running = inf.run(ac.signal);
  assert.equal(await inf.waitForSync(ac.signal), true);
  assert.equal(inf.store.size, 3);
  assert.equal(inf.store.get('default/a')?.kind, 'ConfigMap', 'kind filled in from the list');
  assert.deepEqual(r.seen, ['add a initial', 'add b initial', 'add c initial']);
  const lists = server.requests.filter((x) => x.method === 'GET' && !x.url.includes('watch=true'));
  assert.equal(lists.length, 2);
  assert.match(lists[1].url, /continue=2/);

  await waitFor('watch', () => server.watcherCount() === 1);
  const watchReq = server.requests.find((x) => x.url.includes('watch=true'))!;
  assert.match(watchReq.url, /allowWatchBookmarks=true/);
  assert.match(watchReq.url, new RegExp(`resourceVersion=${inf.lastSyncResourceVersion()}`));

  await client.create(cms, cm('d'));
  await client.patch(cms, { namespace: 'default', name: 'a', type: 'merge', patch: { data: { x: '1' } } });
  await client.delete(cms, { namespace: 'default', name: 'b' });
  await waitFor('events', () => r.seen.length === 6);
  assert.deepEqual(r.seen.slice(3), ['add d', 'update a', 'delete b']);
  assert.deepEqual(inf.store.get('default/a')?.data, { x: '1' });
  assert.equal(inf.store.get('default/b'), undefined);

  const late = recorder();
  inf.addEventHandler(late.handler);
  assert.equal(late.seen.length, 3, 'a late handler gets the cache as adds');
  ac.abort();
  await running;
});

test('bookmarks advance the resourceVersion; a clean watch close re-watches from it without re-listing', async (t) => {
  const { server, client, ac } = await setup(t);
  server.put(cms, cm('a'));
  const inf = new SharedInformer({ client, resource: cms });
  const running = inf.run(ac.signal);
  await inf.waitForSync(ac.signal);
  await waitFor('watch', () => server.watcherCount() === 1);
  server.put(pods, { apiVersion: 'v1', kind: 'Pod', metadata: { namespace: 'default', name: 'p' } }); // bumps the global rv only
  const rvBefore = inf.lastSyncResourceVersion();
  server.sendBookmark();
  await waitFor('bookmark', () => inf.lastSyncResourceVersion() !== rvBefore);
  assert.equal(inf.lastSyncResourceVersion(), server.resourceVersion);
  server.closeWatches();
  await waitFor('re-watch', () => server.requests.filter((x) => x.url.includes('watch=true')).length === 2);
  const rewatch = server.requests.filter((x) => x.url.includes('watch=true'))[1];
  assert.match(rewatch.url, new RegExp(`resourceVersion=${server.resourceVersion}(&|$)`));
  assert.equal(server.requests.filter((x) => !x.url.includes('watch=true')).length, 1, 'no re-list');
  ac.abort();
  await running;
});

test('410 re-lists; objects gone meanwhile are delivered as DeletedFinalStateUnknown', async (t) => {
  const { server, client, ac } = await setup(t);
  server.put(cms, cm('a'));
  server.put(cms, cm('b'));
  const clock = new FakeClock();
  const inf = new SharedInformer({ client, resource: cms, clock, log: () => {} });
  const r = recorder();
  inf.addEventHandler(r.handler);
  const running = inf.run(ac.signal);
  await inf.waitForSync(ac.signal);
  await waitFor('watch', () => server.watcherCount() === 1);

  // The re-list after 410 fails once, so changes land while nobody watches.
  let failed = 0;
  server.failRequest = (method, url) => (method === 'GET' && !url.includes('watch') && failed++ === 0 ? [503, 'ServiceUnavailable', 'try later'] : undefined);
  server.expireWatches();
  await waitFor('failed re-list', () => failed === 1);
  server.remove(cms, 'default', 'a');
  server.put(cms, cm('c'));
  server.put(cms, cm('b', { v: '2' }));
  server.compactedBelow = Number(server.resourceVersion);
  for (let i = 0; r.tombstones.length === 0; i++) {
    assert.ok(i < 2000, 'no tombstone delivered');
    clock.step(1000); // the informer's backoff runs on the fake clock
    await new Promise((res) => setTimeout(res, 2));
  }
  assert.equal(r.tombstones[0].key, 'default/a');
  assert.equal(r.tombstones[0].obj.metadata.name, 'a');
  assert.ok(r.seen.includes('add c'));
  assert.ok(r.seen.includes('update b'));
  assert.deepEqual(inf.store.listKeys().sort(), ['default/b', 'default/c']);
  ac.abort();
  await running;
});

test('a dropped watch connection re-lists after backoff; factory shares informers', async (t) => {
  const { server, client, ac } = await setup(t);
  const factory = new InformerFactory({ client, log: () => {} });
  const inf = factory.informerFor(cms);
  assert.equal(factory.informerFor(cms), inf);
  assert.notEqual(factory.informerFor(cms, { namespace: 'x' }), inf);
  const mine = new SharedInformer({ client, resource: cms, backoff: { initialMs: 1, maxMs: 10 }, log: () => {} });
  const running = mine.run(ac.signal);
  await mine.waitForSync(ac.signal);
  await waitFor('watch', () => server.watcherCount() === 1);
  server.dropWatches();
  await waitFor('re-list', () => server.requests.filter((x) => !x.url.includes('watch=true')).length === 2);
  await waitFor('watch again', () => server.watcherCount() === 1);
  server.put(cms, cm('z'));
  await waitFor('event after reconnect', () => mine.store.get('default/z') !== undefined);
  ac.abort();
  await running;
  const stopped = new AbortController();
  stopped.abort();
  assert.equal(await factory.waitForCacheSync(stopped.signal), false);
});

test('selectors and namespace scope reach both LIST and WATCH', async (t) => {
  const { server, client, ac } = await setup(t);
  const factory = new InformerFactory({ client });
  const inf = factory.informerFor(pods, { namespace: 'shop', fieldSelector: 'spec.nodeName=n1', labelSelector: 'app=web' });
  factory.start(ac.signal);
  assert.equal(await factory.waitForCacheSync(ac.signal), true);
  assert.ok(inf.hasSynced());
  await waitFor('watch', () => server.watcherCount() === 1);
  const [list, watch] = server.requests;
  for (const r of [list, watch]) {
    assert.match(r.url, /^\/api\/v1\/namespaces\/shop\/pods\?/);
    assert.match(r.url, /fieldSelector=spec.nodeName%3Dn1/);
    assert.match(r.url, /labelSelector=app%3Dweb/);
  }
  assert.match(watch.url, /watch=true/);
  assert.match(watch.url, /timeoutSeconds=\d+/);
  ac.abort();
  await factory.stopped();
});
