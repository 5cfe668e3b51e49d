import { test } from 'node:test';
import assert from 'node:assert/strict';
import { categorizeEndpoints } from './topology.js';
import type { Endpoint, ServicePortInfo } from './types.js';

function svc(over: Partial<ServicePortInfo> = {}): ServicePortInfo {
  return {
    clusterIP: '127.77.0.1', port: 80, protocol: 'TCP', nodePort: 0, externalIPs: [], loadBalancerIPs: [],
    sessionAffinity: { type: 'None', timeoutSeconds: 0 }, externalTrafficPolicy: 'Cluster',
    internalTrafficPolicy: 'Cluster', healthCheckNodePort: 0, ...over,
  };
}
function ep(ip: string, over: Partial<Endpoint> = {}): Endpoint {
  return { ip, port: 80, ready: true, serving: true, terminating: false, nodeName: 'n1', isLocal: false, ...over };
}
const ips = (eps: Endpoint[]) => eps.map((e) => e.ip).sort();

test('cluster policy: ready endpoints only, no local list', () => {
  const r = categorizeEndpoints([ep('10.0.0.1'), ep('10.0.0.2', { ready: false, serving: false })], svc());
  assert.deepEqual(ips(r.clusterEndpoints), ['10.0.0.1']);
  assert.deepEqual(r.localEndpoints, []);
  assert.deepEqual(ips(r.allReachableEndpoints), ['10.0.0.1']);
  assert.equal(r.hasAnyEndpoints, true);
});

test('serving-terminating endpoints are the fallback when none is ready', () => {
  const eps = [
    ep('10.0.0.1', { ready: false, serving: true, terminating: true }),
    ep('10.0.0.2', { ready: false, serving: false, terminating: true }),
  ];
  const r = categorizeEndpoints(eps, svc());
  assert.deepEqual(ips(r.clusterEndpoints), ['10.0.0.1']);
  assert.equal(r.hasAnyEndpoints, true);
  const ready = categorizeEndpoints([...eps, ep('10.0.0.3')], svc());
  assert.deepEqual(ips(ready.clusterEndpoints), ['10.0.0.3']);
});

test('no usable endpoints: hasAnyEndpoints false', () => {
  const r = categorizeEndpoints([ep('10.0.0.1', { ready: false, serving: false })], svc());
  assert.equal(r.hasAnyEndpoints, false);
  assert.deepEqual(r.allReachableEndpoints, []);
});

test('internalTrafficPolicy Local without external access uses only local endpoints', () => {
  const eps = [ep('10.0.0.1', { isLocal: true }), ep('10.0.0.2')];
  const r = categorizeEndpoints(eps, svc({ internalTrafficPolicy: 'Local' }));
  assert.deepEqual(r.clusterEndpoints, []);
  assert.deepEqual(ips(r.localEndpoints), ['10.0.0.1']);
  assert.deepEqual(ips(r.allReachableEndpoints), ['10.0.0.1']);
  // Remote endpoints still count for hasAnyEndpoints (traffic is dropped, not rejected).
  const remote = categorizeEndpoints([ep('10.0.0.2')], svc({ internalTrafficPolicy: 'Local' }));
  assert.equal(remote.hasAnyEndpoints, true);
  assert.deepEqual(remote.localEndpoints, []);
});

test('externalTrafficPolicy Local with a NodePort: cluster and local lists, union reachable', () => {
  const eps = [ep('10.0.0.1', { isLocal: true }), ep('10.0.0.2')];
  const r = categorizeEndpoints(eps, svc({ nodePort: 30080, externalTrafficPolicy: 'Local' }));
  assert.deepEqual(ips(r.clusterEndpoints), ['10.0.0.1', '10.0.0.2']);
  assert.deepEqual(ips(r.localEndpoints), ['10.0.0.1']);
  assert.deepEqual(ips(r.allReachableEndpoints), ['10.0.0.1', '10.0.0.2']);
});

test('externalTrafficPolicy Local is ignored without external access', () => {
  const r = categorizeEndpoints([ep('10.0.0.1', { isLocal: true })], svc({ externalTrafficPolicy: 'Local' }));
  assert.deepEqual(r.localEndpoints, []);
});

test('local serving-terminating fallback only when no local endpoint is ready', () => {
  const eps = [
    ep('10.0.0.1', { isLocal: true, ready: false, serving: true, terminating: true }),
    ep('10.0.0.2', { isLocal: false }),
  ];
  const r = categorizeEndpoints(eps, svc({ nodePort: 30080, externalTrafficPolicy: 'Local' }));
  assert.deepEqual(ips(r.localEndpoints), ['10.0.0.1']);
  assert.deepEqual(ips(r.clusterEndpoints), ['10.0.0.2']);
  const withReady = categorizeEndpoints([...eps, ep('10.0.0.3', { isLocal: true })],
    svc({ nodePort: 30080, externalTrafficPolicy: 'Local' }));
  assert.deepEqual(ips(withReady.localEndpoints), ['10.0.0.3']);
});

test('servicePortName round-trips as kube-proxy prints it', async () => {
  const { servicePortName, parseServicePortName } = await import('./types.js');
  assert.equal(servicePortName('default', 'kubernetes', 'https'), 'default/kubernetes:https');
  assert.equal(servicePortName('default', 'web'), 'default/web');
  assert.deepEqual(parseServicePortName('kube-system/kube-dns:dns'), { namespace: 'kube-system', name: 'kube-dns', port: 'dns' });
  assert.deepEqual(parseServicePortName('default/web'), { namespace: 'default', name: 'web', port: '' });
});
