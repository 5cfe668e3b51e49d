import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../util/clock.js';
import type { Endpoint, ServicePortInfo } from '../types.js';
import { ServiceBalancer } from './balancer.js';
import { healthCheckBody } from './healthcheck.js';

const svc = (over: Partial<ServicePortInfo> = {}): ServicePortInfo => ({
  clusterIP: '127.77.0.1', port: 80, protocol: 'TCP', nodePort: 30080, externalIPs: [], loadBalancerIPs: [],
  sessionAffinity: { type: 'None', timeoutSeconds: 10800 }, externalTrafficPolicy: 'Cluster',
  internalTrafficPolicy: 'Cluster', healthCheckNodePort: 0, ...over,
});
const ep = (ip: string, over: Partial<Endpoint> = {}): Endpoint =>
  ({ ip, port: 8080, ready: true, serving: true, terminating: false, nodeName: 'n1', isLocal: true, ...over });
const req = (clientIP = '127.0.0.1', role: 'ClusterIP' | 'NodePort' = 'ClusterIP') => ({ role, clientIP, clientPort: 1, destIP: '127.77.0.1' });

test('affinity pins until timeoutSeconds after the last connection, then rotates', () => {
  const clock = new FakeClock();
  const b = new ServiceBalancer('ns/s:', { clock, scheduler: 'rr' });
  b.update(svc({ sessionAffinity: { type: 'ClientIP', timeoutSeconds: 10 } }), [ep('10.0.0.1'), ep('10.0.0.2')]);
  const first = b.choose(req())!.key;
  clock.step(9_000);
  assert.equal(b.choose(req())!.key, first); // refreshes the pin
  clock.step(9_000);
  assert.equal(b.choose(req())!.key, first);
  clock.step(10_000);
  assert.notEqual(b.choose(req())!.key, first);
  assert.notEqual(b.choose(req('127.0.0.2'))!.key, undefined);
});

test('a pin to a removed endpoint is dropped', () => {
  const clock = new FakeClock();
  const b = new ServiceBalancer('ns/s:', { clock, scheduler: 'rr' });
  const info = svc({ sessionAffinity: { type: 'ClientIP', timeoutSeconds: 100 } });
  b.update(info, [ep('10.0.0.1'), ep('10.0.0.2')]);
  const first = b.choose(req())!;
  b.update(info, [ep('10.0.0.1'), ep('10.0.0.2')].filter((e) => `${e.ip}:8080` !== first.key));
  assert.notEqual(b.choose(req())!.key, first.key);
});

test('roles pick their endpoint lists by traffic policy', () => {
  const b = new ServiceBalancer('ns/s:', { clock: new FakeClock(), scheduler: 'rr' });
  b.update(svc({ externalTrafficPolicy: 'Local' }), [ep('10.0.0.1'), ep('10.0.0.2', { isLocal: false })]);
  assert.equal(b.candidates('NodePort').length, 1);
  assert.equal(b.candidates('ClusterIP').length, 2);
  assert.deepEqual(b.localReadyIPs(), ['10.0.0.1']);
});

test('counters of a removed endpoint live until its connections end', () => {
  const b = new ServiceBalancer('ns/s:', { clock: new FakeClock(), scheduler: 'rr' });
  const info = svc();
  b.update(info, [ep('10.0.0.1')]);
  const c = b.choose(req())!;
  b.connectionOpened(c);
  c.bytesIn += 5;
  b.update(info, []);
  assert.equal(b.choose(req()), undefined);
  assert.deepEqual(b.stats().map((s) => [s.ip, s.activeConnections, s.totalConnections, s.bytesIn]), [['10.0.0.1', 1, 1, 5]]);
  b.connectionClosed(c);
  assert.deepEqual(b.stats(), []);
});

test('TCP bytes: open connections are read from their sockets when stats are taken, and kept when they end', () => {
  const b = new ServiceBalancer('ns/s:', { clock: new FakeClock(), scheduler: 'rr' });
  b.update(svc(), [ep('10.0.0.1')]);
  const c = b.choose(req())!;
  const sockets = { client: { bytesRead: 0 }, upstream: { bytesRead: 0 } };
  b.connectionOpened(c, sockets);
  const bytes = () => b.stats().map((s) => [s.bytesIn, s.bytesOut]);
  sockets.client.bytesRead = 40;
  sockets.upstream.bytesRead = 300;
  assert.deepEqual(bytes(), [[40, 300]]);
  b.connectionClosed(c, sockets);
  sockets.client.bytesRead = 1000; // a closed connection's sockets are no longer read
  assert.deepEqual(bytes(), [[40, 300]]);
});

test('weight 0 endpoints take no new connections', () => {
  const b = new ServiceBalancer('ns/s:', { clock: new FakeClock(), scheduler: 'wrr' });
  b.update(svc(), [ep('10.0.0.1', { weight: 0 }), ep('10.0.0.2')]);
  for (let i = 0; i < 5; i++) assert.equal(b.choose(req())!.ip, '10.0.0.2');
});

test('health check body matches kube-proxy byte for byte', () => {
  assert.equal(
    healthCheckBody({ namespace: 'default', name: 'web' }, 2, true),
    '{\n\t"service": {\n\t\t"namespace": "default",\n\t\t"name": "web"\n\t},\n\t"localEndpoints": 2,\n\t"serviceProxyHealthy": true\n}',
  );
});
