import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import { findResource } from '../../api/resources.js';
import type { KubeObject } from '../../api/types.js';
import { InformerFactory } from '../../client/informer-factory.js';
import { RestClient } from '../../client/rest.js';
import { FakeApiServer } from '../../client/testing/fake-apiserver.js';
import { indexSelection, podsSelectedBy, servicesSelecting } from './selection.js';

const services = findResource('', 'v1', 'services')!;
const pods = findResource('', 'v1', 'pods')!;
const svc = (ns: string, name: string, selector?: Record<string, string>) => ({ apiVersion: 'v1', kind: 'Service', metadata: { namespace: ns, name }, spec: { selector } }) as KubeObject;
const pod = (ns: string, name: string, labels: Record<string, string>) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { namespace: ns, name, labels }, spec: { containers: [] } }) as KubeObject;

test('pods a Service selects and Services selecting a pod come from the indexes, namespace and every pair respected', async (t) => {
  const server = new FakeApiServer();
  await server.start();
  const client = new RestClient({ server: server.url, token: 't' });
  const ac = new AbortController();
  const factory = new InformerFactory({ client });
  t.after(async () => {
    ac.abort();
    await factory.stopped();
    client.close();
    await server.stop();
  });
  server.put(services, svc('a', 'web', { app: 'web' }));
  server.put(services, svc('a', 'web-canary', { app: 'web', track: 'canary' }));
  server.put(services, svc('a', 'manual'));
  server.put(services, svc('b', 'web', { app: 'web' }));
  server.put(pods, pod('a', 'w1', { app: 'web', track: 'canary' }));
  server.put(pods, pod('a', 'w2', { app: 'web' }));
  server.put(pods, pod('a', 'db', { app: 'db' }));
  server.put(pods, pod('b', 'w3', { app: 'web' }));
  const svcInf = factory.informerFor<Service & KubeObject>(services);
  const podInf = factory.informerFor<Pod & KubeObject>(pods);
  indexSelection(svcInf, podInf);
  factory.start(ac.signal);
  assert.equal(await factory.waitForCacheSync(ac.signal), true);
  const names = (xs: KubeObject[]) => xs.map((x) => `${x.metadata.namespace}/${x.metadata.name}`).sort();
  assert.deepEqual(names(podsSelectedBy(podInf, svcInf.store.getByNamespaceName('a', 'web')!)), ['a/w1', 'a/w2']);
  assert.deepEqual(names(podsSelectedBy(podInf, svcInf.store.getByNamespaceName('a', 'web-canary')!)), ['a/w1']);
  assert.deepEqual(names(podsSelectedBy(podInf, svcInf.store.getByNamespaceName('a', 'manual')!)), [], 'a selectorless Service selects nothing');
  assert.deepEqual(names(servicesSelecting(svcInf, podInf.store.getByNamespaceName('a', 'w1')!)), ['a/web', 'a/web-canary']);
  assert.deepEqual(names(servicesSelecting(svcInf, podInf.store.getByNamespaceName('b', 'w3')!)), ['b/web']);
  assert.deepEqual(names(servicesSelecting(svcInf, podInf.store.getByNamespaceName('a', 'db')!)), []);
});
