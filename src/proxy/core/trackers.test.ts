import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { FakeClock } from '../../util/clock.js';
import { BoundedFrequencyRunner } from './runner.js';
import { buildProxyState, EndpointsChangeTracker, ServiceChangeTracker } from './trackers.js';

const svc = (over: Partial<NonNullable<Service['spec']>> = {}, status?: Service['status']): Service => ({
  metadata: { namespace: 'default', name: 'web', uid: 'u' },
  spec: { clusterIP: '10.43.0.9', ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 'http' }, { name: 'dns', port: 53, protocol: 'UDP' }], ...over },
  status,
});

const slice = (name: string, eps: Array<[string, boolean, string?]>, port = 8080, labels = { 'kubernetes.io/service-name': 'web' }): EndpointSlice => ({
  metadata: { namespace: 'default', name, labels },
  addressType: 'IPv4',
  ports: [{ name: 'http', port, protocol: 'TCP' }, { name: 'dns', port: 5353, protocol: 'UDP' }],
  endpoints: eps.map(([ip, ready, node]) => ({ addresses: [ip], conditions: { ready, serving: ready, terminating: false }, nodeName: node })),
});

test('tracker → state: every port, endpoints merged from all slices and deduplicated, isLocal per node', () => {
  const services = new ServiceChangeTracker({ ownsServiceIPs: true });
  const endpoints = new EndpointsChangeTracker();
  assert.equal(services.update(undefined, svc({ type: 'LoadBalancer', externalTrafficPolicy: 'Local', healthCheckNodePort: 31000, sessionAffinity: 'ClientIP', externalIPs: ['127.50.0.1'] }, { loadBalancer: { ingress: [{ ip: '127.44.0.1', ipMode: 'VIP' }] } })), true);
  assert.equal(endpoints.endpointSliceUpdate(slice('web-a', [['127.42.0.2', true, 'n1'], ['127.42.0.3', false, 'n2']]), false), true);
  assert.equal(endpoints.endpointSliceUpdate(slice('web-b', [['127.42.0.3', true, 'n2'], ['127.42.1.2', true, 'n3']]), false), true);
  assert.equal(endpoints.endpointSliceUpdate(slice('other', [['127.42.9.9', true]], 1, { 'kubernetes.io/service-name': 'other' } as never), false), true);
  const state = buildProxyState({ services, endpoints, nodes: [{ name: 'n1', ip: '127.0.0.1' }, { name: 'n2', ip: '127.0.0.2' }] });
  assert.deepEqual([...state.services.keys()], ['default/web:http', 'default/web:dns']);
  const http = state.services.get('default/web:http')!;
  assert.deepEqual([http.clusterIP, http.port, http.loadBalancerIPs, http.externalIPs, http.healthCheckNodePort, http.sessionAffinity], ['10.43.0.9', 80, ['127.44.0.1'], ['127.50.0.1'], 31000, { type: 'ClientIP', timeoutSeconds: 10800 }]);
  assert.deepEqual(state.endpoints.get('default/web:http')!.map((e) => [e.ip, e.port, e.ready, e.isLocal]), [
    ['127.42.0.2', 8080, true, true], ['127.42.0.3', 8080, true, true], ['127.42.1.2', 8080, true, false],
  ]);
  assert.deepEqual(state.endpoints.get('default/web:dns')!.map((e) => e.port), [5353, 5353, 5353]);
  assert.deepEqual(state.nodeIPs, ['127.0.0.1', '127.0.0.2']);
  assert.equal(state.nodeNames!.get('127.0.0.2'), 'n2');

  // a status-only write that changes nothing the proxy uses needs no sync; a slice deletion does
  assert.equal(services.update(svc(), { ...svc(), metadata: { ...svc().metadata, annotations: { a: 'b' } } }), true);
  assert.equal(services.update(svc(), { ...svc(), metadata: { ...svc().metadata, annotations: { a: 'c' } } }), false);
  assert.equal(endpoints.endpointSliceUpdate(slice('web-b', []), true), true);
  assert.equal(endpoints.endpointSliceUpdate(slice('web-b', []), true), false);
});

test('headless, ExternalName and (for an agent proxy) ports without nodePorts are skipped', () => {
  const t = new ServiceChangeTracker({ ownsServiceIPs: true });
  t.update(undefined, svc({ clusterIP: 'None' }));
  assert.equal(t.servicePorts().size, 0);
  const agent = new ServiceChangeTracker({ ownsServiceIPs: false });
  agent.update(undefined, svc({ type: 'NodePort', ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }, { name: 'b', port: 81, protocol: 'TCP' }] }));
  assert.deepEqual([...agent.servicePorts().entries()].map(([k, v]) => [k, v.clusterIP, v.nodePort]), [['default/web', '', 30080]]);
});

test('BoundedFrequencyRunner batches requests within minInterval and resyncs every maxInterval', async () => {
  const clock = new FakeClock();
  const runs: number[] = [];
  const r = new BoundedFrequencyRunner({ fn: async () => void runs.push(clock.now()), minIntervalMs: 100, maxIntervalMs: 1000, clock });
  const t0 = clock.now();
  r.run();
  clock.step(0);
  await Promise.resolve();
  r.run();
  r.run();
  clock.step(50);
  await Promise.resolve();
  assert.equal(runs.length, 1);
  clock.step(50);
  await Promise.resolve();
  assert.deepEqual(runs.map((x) => x - t0), [0, 100]);
  clock.step(1000);
  await Promise.resolve();
  assert.deepEqual(runs.map((x) => x - t0), [0, 100, 1100]);
  r.stop();
});

test('a sync after changes to other Services reuses the endpoints of the unchanged ones, and recomputes a changed one', () => {
  const services = new ServiceChangeTracker({ ownsServiceIPs: true });
  const endpoints = new EndpointsChangeTracker();
  services.update(undefined, svc());
  endpoints.endpointSliceUpdate(slice('web-a', [['127.42.0.2', true, 'n1']]), false);
  const nodes = [{ name: 'n1', ip: '127.0.0.1' }];
  const first = buildProxyState({ services, endpoints, nodes });
  const other = { ...svc(), metadata: { namespace: 'default', name: 'other', uid: 'o' } };
  services.update(undefined, other);
  const second = buildProxyState({ services, endpoints, nodes });
  assert.equal(second.endpoints.get('default/web:http'), first.endpoints.get('default/web:http'));
  assert.ok(second.services.has('default/other:http'));
  // a new endpoint in web's slice, and a node change, each give new endpoints
  endpoints.endpointSliceUpdate(slice('web-a', [['127.42.0.2', true, 'n1'], ['127.42.0.4', true, 'n2']]), false);
  const third = buildProxyState({ services, endpoints, nodes });
  assert.deepEqual(third.endpoints.get('default/web:http')!.map((e) => e.ip), ['127.42.0.2', '127.42.0.4']);
  const fourth = buildProxyState({ services, endpoints, nodes: [...nodes, { name: 'n2', ip: '127.0.0.2' }] });
  assert.deepEqual(fourth.endpoints.get('default/web:http')!.map((e) => e.isLocal), [true, true]);
  // the Service gone: its slices are gone too, then nothing of it remains
  services.update(svc(), undefined);
  endpoints.endpointSliceUpdate(slice('web-a', []), true);
  assert.equal(buildProxyState({ services, endpoints, nodes }).endpoints.has('default/web:http'), false);
});
