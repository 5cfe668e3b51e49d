import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findResource } from '../api/resources.js';
import type { KubeObject } from '../api/types.js';
import { HostServiceExposure, type HostServiceSpec } from './host-service.js';
import { InformerFactory } from './informer-factory.js';
import { RestClient } from './rest.js';
import { FakeApiServer } from './testing/fake-apiserver.js';
import { waitFor } from '../util/testing.js';

const services = findResource('', 'v1', 'services')!;
const slices = findResource('discovery.k8s.io', 'v1', 'endpointslices')!;

const port = (s: KubeObject | undefined) => (s as { ports?: Array<{ port: number }> } | undefined)?.ports?.[0]?.port;

function spec(listenPort: number): HostServiceSpec {
  return {
    namespace: 'kube-system', serviceName: 'host', sliceName: 'host-slice', fieldManager: 'test',
    service: () => ({ apiVersion: 'v1', kind: 'Service', metadata: { namespace: 'kube-system', name: 'host' }, spec: { ports: [{ port: 53 }] } }),
    slice: (svc) => ({
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
      metadata: { namespace: 'kube-system', name: 'host-slice', labels: { 'kubernetes.io/service-name': 'host' }, ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: 'host', uid: svc.metadata.uid! }] },
      addressType: 'IPv4', endpoints: [{ addresses: ['127.0.0.1'] }], ports: [{ port: listenPort }],
    }) as KubeObject,
    sliceUpdate: (have, want) => (port(have) === port(want) ? undefined : { ...want, metadata: { ...want.metadata, resourceVersion: have.metadata.resourceVersion } }),
  };
}

test('a host service is made, repaired after edits and remade after deletion, from events alone', async (t) => {
  const server = new FakeApiServer();
  await server.start();
  const client = new RestClient({ server: server.url, token: 't' });
  const ac = new AbortController();
  const factory = new InformerFactory({ client });
  const exposure = new HostServiceExposure({ factory, spec: spec(5353), log: () => {} });
  const running = exposure.run(ac.signal);
  t.after(async () => {
    ac.abort();
    await running;
    await factory.stopped();
    client.close();
    await server.stop();
  });
  await exposure.synced(ac.signal);
  const svc = server.getObject(services, 'kube-system', 'host');
  assert.ok(svc, 'Service created');
  const slice = server.getObject(slices, 'kube-system', 'host-slice');
  assert.equal(port(slice), 5353);
  assert.equal(slice!.metadata.ownerReferences?.[0]?.uid, svc.metadata.uid, 'the slice names the Service it serves');

  server.put(slices, { ...slice!, ports: [{ port: 1 }] } as KubeObject);
  await waitFor('slice repaired', () => port(server.getObject(slices, 'kube-system', 'host-slice')) === 5353);

  server.remove(slices, 'kube-system', 'host-slice');
  await waitFor('slice remade', () => server.getObject(slices, 'kube-system', 'host-slice') !== undefined);
  server.remove(services, 'kube-system', 'host');
  await waitFor('Service remade', () => server.getObject(services, 'kube-system', 'host') !== undefined);
  const polls = server.requests.filter((r) => r.method === 'GET' && !r.url.includes('watch=true')).length;
  assert.equal(polls, 2, 'one LIST per informer, no GETs: reads come from the caches');
});
