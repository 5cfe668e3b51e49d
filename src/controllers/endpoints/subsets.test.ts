import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pod, svc } from '../endpointslice/testing.js';
import { desiredSubsets, truncateSubsets } from './subsets.js';

test('ready and not-ready addresses; terminating pods left out unless publishNotReadyAddresses', () => {
  const pods = [pod(1), pod(2, { ready: false }), pod(3, { terminating: true }), pod(4, { ip: null })];
  const { subsets, truncated } = desiredSubsets(svc(), pods);
  assert.equal(truncated, false);
  assert.equal(subsets.length, 1);
  assert.deepEqual(subsets[0].ports, [{ name: undefined, port: 8080, protocol: 'TCP' }]);
  assert.deepEqual(subsets[0].addresses!.map((a) => [a.ip, a.nodeName, a.targetRef?.name]), [['10.1.0.3', 'node-a', 'web-0001']]);
  assert.deepEqual(subsets[0].notReadyAddresses!.map((a) => a.ip), ['10.1.0.4']);
  const all = desiredSubsets(svc({ publishNotReadyAddresses: true }), pods).subsets;
  assert.deepEqual(all[0].addresses!.map((a) => a.ip), ['10.1.0.3', '10.1.0.4', '10.1.0.5']);
  assert.equal(all[0].notReadyAddresses, undefined);
});

test('subsets are repacked per identical port set (named ports resolving differently)', () => {
  const service = svc({ ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }, { name: 'metrics', port: 9100, protocol: 'TCP' }] });
  const { subsets } = desiredSubsets(service, [pod(1), pod(2, { port: 8081 }), pod(3)]);
  assert.equal(subsets.length, 2);
  const shapes = subsets.map((s) => [s.ports!.map((p) => `${p.name}:${p.port}`).join(','), s.addresses!.map((a) => a.ip).join(',')]).sort();
  assert.deepEqual(shapes, [['http:8080,metrics:9100', '10.1.0.3,10.1.0.5'], ['http:8081,metrics:9100', '10.1.0.4']]);
});

test('headless without ports gets an address-only subset', () => {
  const { subsets } = desiredSubsets(svc({ clusterIP: 'None', ports: [] }), [pod(1)]);
  assert.deepEqual(subsets.map((s) => [s.ports, s.addresses!.length]), [[undefined, 1]]);
});

test('over 1000 addresses: ready kept first, proportional per subset, flag set', () => {
  const ready = Array.from({ length: 900 }, (_, i) => pod(i));
  const notReady = Array.from({ length: 300 }, (_, i) => pod(1000 + i, { ready: false }));
  const { subsets, truncated } = desiredSubsets(svc(), [...ready, ...notReady]);
  assert.equal(truncated, true);
  assert.equal(subsets[0].addresses!.length, 900);
  assert.equal(subsets[0].notReadyAddresses!.length, 100);

  const two = [
    { ports: [{ port: 1 }], addresses: Array.from({ length: 700 }, (_, i) => ({ ip: `a${i}` })), notReadyAddresses: [{ ip: 'x' }] },
    { ports: [{ port: 2 }], addresses: Array.from({ length: 500 }, (_, i) => ({ ip: `b${i}` })) },
  ];
  assert.equal(truncateSubsets(two), true);
  assert.deepEqual([two[0].addresses.length, two[1].addresses.length, two[0].notReadyAddresses], [584, 416, undefined]);
  assert.equal(truncateSubsets([{ addresses: [{ ip: '1' }] }]), false);
});
