import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Event, Service } from 'kubernetes-types/core/v1.js';
import { findResource } from '../../api/resources.js';
import type { KubeObject } from '../../api/types.js';
import { EventRecorder } from '../../client/events.js';
import { InformerFactory } from '../../client/informer-factory.js';
import { RestClient } from '../../client/rest.js';
import { FakeApiServer, runUntilTestEnds } from '../../client/testing/fake-apiserver.js';
import { waitFor } from '../../util/testing.js';
import { LoadBalancerController } from './controller.js';

const services = findResource('', 'v1', 'services')!;
const events = findResource('', 'v1', 'events')!;
const pools = findResource('metallb.io', 'v1beta1', 'ipaddresspools')!;

const lbService = (name: string, annotations: Record<string, string> = {}, type = 'LoadBalancer'): KubeObject & Service => ({
  apiVersion: 'v1', kind: 'Service',
  metadata: { name, namespace: 'default', annotations },
  spec: { type: type as 'LoadBalancer', clusterIP: '10.43.0.5', ports: [{ port: 80, protocol: 'TCP' }] },
});

test('allocates, writes status and annotation, records events, keeps pool status; releases on type change', async (t) => {
  const server = new FakeApiServer();
  await server.start();
  const client = new RestClient({ server: server.url, token: 't' });
  server.put(pools, { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'pool', namespace: 'kube-system' }, spec: { addresses: ['127.60.0.0/30'], autoAssign: true } } as KubeObject);
  server.put(services, lbService('a', { 'metallb.universe.tf/allow-shared-ip': 'k' }));
  server.put(services, lbService('b', { 'metallb.io/loadBalancerIPs': '127.60.0.3' }));
  server.put(services, lbService('c', { 'metallb.io/loadBalancerIPs': '127.99.0.1' }));
  const recorder = new EventRecorder({ client, component: 'metallb-controller', log: () => {} });
  const ctrl = new LoadBalancerController({ factory: new InformerFactory({ client, log: () => {} }), recorder, log: () => {} });
  runUntilTestEnds(t, { server, recorder, run: (signal) => ctrl.run(signal) });
  const get = (name: string) => client.get<KubeObject & Service>(services, { namespace: 'default', name });
  const ingressOf = async (name: string) => (await get(name)).status?.loadBalancer?.ingress?.[0]?.ip;
  const [a, b] = await waitFor('both addresses', async () => {
    const got = [await ingressOf('a'), await ingressOf('b')];
    return got.every(Boolean) ? got : undefined;
  });
  assert.equal(b, '127.60.0.3', 'the requested address');
  assert.equal(a, '127.60.0.0', 'the lowest free address');
  const svcA = await get('a');
  assert.deepEqual(svcA.status?.loadBalancer?.ingress, [{ ip: '127.60.0.0', ipMode: 'VIP' }]);
  assert.equal(svcA.metadata.annotations?.['metallb.io/ip-allocated-from-pool'], 'pool');
  const eventsFor = async () => (await client.list<KubeObject & Event>(events, { namespace: 'default' })).items.map((e) => `${e.involvedObject.name} ${e.type} ${e.reason}: ${e.message}`).sort();
  const evs = await waitFor('4 events', async () => {
    await recorder.flush();
    const e = await eventsFor();
    return e.length >= 4 ? e : undefined;
  });
  assert.deepEqual(evs, [
    'a Normal IPAllocated: Assigned IP ["127.60.0.0"]',
    'a Warning DeprecatedAnnotation: Service uses deprecated annotation metallb.universe.tf/allow-shared-ip',
    'b Normal IPAllocated: Assigned IP ["127.60.0.3"]',
    'c Warning AllocationFailed: Failed to allocate IP for "default/c": "127.99.0.1" is not allowed in config',
  ]);
  const status = await waitFor('pool status', async () => {
    const st = ((await client.get(pools, { namespace: 'kube-system', name: 'pool' })) as { status?: Record<string, number> }).status;
    return st?.assignedIPv4 === 2 ? st : undefined;
  });
  assert.deepEqual(status, { assignedIPv4: 2, assignedIPv6: 0, availableIPv4: 2, availableIPv6: 0 });

  // No longer a LoadBalancer: the address and the annotation go.
  await client.update(services, { ...svcA, spec: { ...svcA.spec, type: 'ClusterIP' }, status: {} });
  await waitFor('release', async () => (ctrl.allocator.assigned('default/a') === undefined ? true : undefined));
  await waitFor('annotation removed', async () => ((await get('a')).metadata.annotations?.['metallb.io/ip-allocated-from-pool'] === undefined ? true : undefined));
  assert.equal(ctrl.allocator.assigned('default/b')?.ip, '127.60.0.3');
});
