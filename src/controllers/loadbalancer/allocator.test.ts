import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { IPAddressPool } from '../../api/kinds/ipaddresspool.js';
import { Allocator, type ServiceRequest } from './allocator.js';
import { serviceLBConfig } from './annotations.js';
import { poolCapacity, poolFromObject } from './pool.js';

function poolObj(name: string, addresses: string[], spec: Partial<NonNullable<IPAddressPool['spec']>> = {}): IPAddressPool {
  return { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name, namespace: 'kube-system' }, spec: { addresses, ...spec } };
}

const nsLabels = new Map([['default', { env: 'dev' }], ['prod', { env: 'prod' }]]);

function req(name: string, over: Partial<ServiceRequest> = {}): ServiceRequest {
  return { key: `default/${name}`, namespace: 'default', family: 'IPv4', ports: [{ protocol: 'TCP', port: 80 }], sharingKey: '', backendKey: '', ...over };
}

test('lowest free address first; ranges and avoidBuggyIPs; release frees it', () => {
  const a = new Allocator();
  a.setPools([poolFromObject(poolObj('p', ['127.44.0.0/31', '127.44.1.250-127.44.2.1'], { avoidBuggyIPs: true }), nsLabels)]);
  assert.deepEqual(a.allocate(req('a')), { ip: '127.44.0.1', pool: 'p' });
  assert.equal(a.allocate(req('b')).ip, '127.44.1.250');
  assert.equal(a.allocate(req('a')).ip, '127.44.0.1', 'a Service keeps its address');
  for (const n of ['c', 'd', 'e', 'f', 'h']) a.allocate(req(n));
  assert.equal(a.assigned('default/f')!.ip, '127.44.1.254');
  assert.equal(a.assigned('default/h')!.ip, '127.44.2.1', '.255 and .0 skipped');
  assert.throws(() => a.allocate(req('g')), /^Error: no available IPs$/);
  a.release('default/b');
  assert.equal(a.allocate(req('g')).ip, '127.44.1.250');
  assert.deepEqual(a.usage('p'), { ipv4: 7, ipv6: 0 });
  assert.deepEqual(poolCapacity(poolFromObject(poolObj('q', ['10.0.0.0/23'], { avoidBuggyIPs: true }), nsLabels)), { ipv4: 508n, ipv6: 0n });
});

test('pinned pools by priority (0 last), then plain autoAssign pools; autoAssign false only on request', () => {
  const a = new Allocator();
  a.setPools([
    poolFromObject(poolObj('plain', ['10.0.0.0/30']), nsLabels),
    poolFromObject(poolObj('manual', ['10.9.0.0/30'], { autoAssign: false }), nsLabels),
    poolFromObject(poolObj('pin-any', ['10.1.0.0/30'], { serviceAllocation: { namespaces: ['default'] } }), nsLabels),
    poolFromObject(poolObj('pin-2', ['10.2.0.0/30'], { serviceAllocation: { priority: 2, namespaceSelectors: [{ matchLabels: { env: 'dev' } }] } }), nsLabels),
    poolFromObject(poolObj('pin-1', ['10.3.0.0/30'], { serviceAllocation: { priority: 1, serviceSelectors: [{ matchLabels: { tier: 'gold' } }] } }), nsLabels),
  ]);
  assert.equal(a.allocate(req('gold', { labels: { tier: 'gold' } })).pool, 'pin-1');
  assert.equal(a.allocate(req('x')).pool, 'pin-2');
  assert.equal(a.allocate(req('p', { namespace: 'prod', key: 'prod/p' })).pool, 'plain');
  assert.equal(a.allocateFromPool(req('m'), 'manual').ip, '10.9.0.0');
  assert.equal(a.assign(req('n'), '10.9.0.3').pool, 'manual');
  assert.throws(() => a.assign(req('o'), '192.168.0.1'), /"192.168.0.1" is not allowed in config/);
  assert.throws(() => a.allocateFromPool(req('o'), 'nope'), /unknown pool "nope"/);
  assert.throws(() => a.allocateFromPool(req('q', { namespace: 'prod', key: 'prod/q' }), 'pin-any'), /pool pin-any not compatible for ip assignment/);
});

test('sharing: same key, disjoint ports, same backends under Local', () => {
  const a = new Allocator();
  a.setPools([poolFromObject(poolObj('p', ['10.0.0.0/30']), nsLabels)]);
  a.assign(req('a', { sharingKey: 'k' }), '10.0.0.1');
  assert.equal(a.assign(req('b', { sharingKey: 'k', ports: [{ protocol: 'UDP', port: 80 }] }), '10.0.0.1').ip, '10.0.0.1');
  assert.throws(() => a.assign(req('c', { sharingKey: 'k' }), '10.0.0.1'), /port TCP\/80 is already in use on "10.0.0.1"/);
  assert.throws(() => a.assign(req('d', { sharingKey: 'other', ports: [{ protocol: 'TCP', port: 81 }] }), '10.0.0.1'), /sharing key "other" does not match existing sharing key "k"/);
  assert.throws(() => a.assign(req('e', { ports: [{ protocol: 'TCP', port: 82 }] }), '10.0.0.1'), /new service does not allow sharing/);
  a.assign(req('f'), '10.0.0.2');
  assert.throws(() => a.assign(req('g', { sharingKey: 'k', ports: [{ protocol: 'TCP', port: 83 }] }), '10.0.0.2'), /existing service does not allow sharing/);
  assert.throws(() => a.assign(req('h', { sharingKey: 'k', backendKey: 'app=x', ports: [{ protocol: 'TCP', port: 84 }] }), '10.0.0.1'), /backend key/);
  // allocation with a sharing key reuses the shared address when the ports fit
  assert.equal(a.allocate(req('i', { sharingKey: 'k', ports: [{ protocol: 'TCP', port: 85 }] })).ip, '10.0.0.0');
});

test('annotations: metallb.io wins, the deprecated prefix is read and reported; both IP sources is an error', () => {
  const svc = (annotations: Record<string, string>, loadBalancerIP?: string): Service => ({ metadata: { name: 's', namespace: 'default', annotations }, spec: { type: 'LoadBalancer', loadBalancerIP } });
  assert.deepEqual(serviceLBConfig(svc({ 'metallb.io/loadBalancerIPs': '10.0.0.1, 10.0.0.2', 'metallb.io/allow-shared-ip': 'k' })), { requestedIPs: ['10.0.0.1', '10.0.0.2'], sharingKey: 'k', deprecated: [] });
  const old = serviceLBConfig(svc({ 'metallb.universe.tf/address-pool': 'p' }));
  assert.equal(old.pool, 'p');
  assert.deepEqual(old.deprecated, ['metallb.universe.tf/address-pool']);
  assert.deepEqual(serviceLBConfig(svc({}, '10.0.0.9')).requestedIPs, ['10.0.0.9']);
  assert.equal(serviceLBConfig(svc({ 'metallb.io/loadBalancerIPs': '10.0.0.1' }, '10.0.0.9')).error, 'service can not have both metallb.io/loadBalancerIPs and svc.Spec.LoadBalancerIP');
});
