import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Service } from 'kubernetes-types/core/v1.js';
import { applyServiceDefaults, prepareServiceForUpdate } from '../../api/kinds/service.js';
import { StatusError } from '../../api/status.js';
import { ServiceAllocator } from './service-allocator.js';

function svc(name: string, spec: Service['spec']): Service {
  const s: Service = { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: structuredClone(spec) };
  applyServiceDefaults(s);
  return s;
}

/** An update as the registry runs it: the strategy's preparation, then the allocator. */
function allocateUpdate(a: ServiceAllocator, svc: Service, old: Service) {
  prepareServiceForUpdate(svc, old);
  return a.allocateUpdate(svc, old);
}

function alloc(): ServiceAllocator {
  return new ServiceAllocator({ serviceCIDR: '10.96.0.0/12', random: () => 0 });
}

function statusMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof StatusError, String(err));
    return err.status.message ?? '';
  }
  assert.fail('expected a StatusError');
}

test('ClusterIP service gets an IP from the upper band; requested IPs are honoured', () => {
  const a = alloc();
  const s = svc('web', { ports: [{ port: 80 }] });
  a.allocateCreate(s).commit();
  assert.equal(s.spec!.clusterIP, '10.96.1.1');
  assert.deepEqual(s.spec!.clusterIPs, ['10.96.1.1']);
  assert.equal(s.spec!.ports![0]!.nodePort, undefined);
  const k = svc('kubernetes', { clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443, targetPort: 6443 }] });
  a.allocateCreate(k).commit();
  assert.deepEqual(k.spec!.clusterIPs, ['10.96.0.1']);
});

test('exact ClusterIP error messages', () => {
  const a = alloc();
  assert.equal(
    statusMessage(() => a.allocateCreate(svc('x', { clusterIP: '1.1.1.1', ports: [{ port: 80 }] }))),
    'Service "x" is invalid: spec.clusterIPs: Invalid value: []string{"1.1.1.1"}: failed to allocated ip:1.1.1.1 with error:provided IP is not in the valid range. The range of valid IPs is 10.96.0.0/12',
  );
  a.allocateCreate(svc('a', { clusterIP: '10.96.0.10', ports: [{ port: 53 }] }));
  assert.equal(
    statusMessage(() => a.allocateCreate(svc('b', { clusterIP: '10.96.0.10', ports: [{ port: 53 }] }))),
    'Service "b" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.10"}: failed to allocated ip:10.96.0.10 with error:provided IP is already allocated',
  );
  assert.equal(
    statusMessage(() => a.allocateCreate(svc('c', { clusterIP: 'bogus', ports: [{ port: 53 }] }))),
    'Service "c" is invalid: spec.clusterIPs[0]: Invalid value: "bogus": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
  );
  const tiny = new ServiceAllocator({ serviceCIDR: '10.0.0.0/30', random: () => 0 });
  tiny.allocateCreate(svc('one', { ports: [{ port: 80 }] }));
  const err = (() => {
    try {
      tiny.allocateCreate(svc('two', { ports: [{ port: 80 }] }));
    } catch (e) {
      return e as StatusError;
    }
    return undefined;
  })();
  assert.equal(err?.status.code, 500);
  assert.equal(err?.status.message, 'Internal error occurred: failed to allocate a serviceIP: range is full');
});

test('headless and ExternalName services get nothing', () => {
  const a = alloc();
  const h = svc('h', { clusterIP: 'None', type: 'ClusterIP', ports: [{ port: 80 }] });
  a.allocateCreate(h);
  assert.deepEqual(h.spec!.clusterIPs, ['None']);
  const e = svc('e', { type: 'ExternalName', externalName: 'example.com' });
  a.allocateCreate(e);
  assert.equal(e.spec!.clusterIP, undefined);
  assert.equal(a.ips.used(), 0);
  assert.equal(a.ports.used(), 0);
});

test('NodePort: allocation, TCP/UDP sharing, exact errors', () => {
  const a = alloc();
  const dns = svc('dns', { type: 'NodePort', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }, { name: 'm', port: 9153 }] });
  a.allocateCreate(dns).commit();
  const [p0, p1, p2] = dns.spec!.ports!.map((p) => p.nodePort);
  assert.equal(p0, 30086);
  assert.equal(p1, p0);
  assert.equal(p2, 30087);
  const fixed = svc('fixed', { type: 'NodePort', ports: [{ port: 80, nodePort: 30008 }] });
  a.allocateCreate(fixed).commit();
  assert.equal(
    statusMessage(() => a.allocateCreate(svc('x', { type: 'NodePort', ports: [{ port: 80, nodePort: 30008 }] }))),
    'Service "x" is invalid: spec.ports[0].nodePort: Invalid value: 30008: provided port is already allocated',
  );
  assert.equal(
    statusMessage(() => a.allocateCreate(svc('x', { type: 'NodePort', ports: [{ port: 80, nodePort: 29999 }] }))),
    'Service "x" is invalid: spec.ports[0].nodePort: Invalid value: 29999: provided port is not in the valid range. The range of valid ports is 30000-32767',
  );
});

test('all-or-nothing: a failure gives back what the call took', () => {
  const a = alloc();
  a.allocateCreate(svc('taken', { type: 'NodePort', ports: [{ port: 80, nodePort: 30500 }] }));
  const ipsBefore = a.ips.used();
  const portsBefore = a.ports.used();
  assert.throws(() => a.allocateCreate(svc('x', { type: 'NodePort', ports: [{ name: 'a', port: 81 }, { name: 'b', port: 82, nodePort: 30500 }] })));
  assert.equal(a.ips.used(), ipsBefore);
  assert.equal(a.ports.used(), portsBefore);
});

test('range full for nodePorts is an internal error', () => {
  const a = new ServiceAllocator({ serviceCIDR: '10.96.0.0/12', nodePortRange: '30000-30000', random: () => 0 });
  a.allocateCreate(svc('one', { type: 'NodePort', ports: [{ port: 80 }] }));
  assert.equal(statusMessage(() => a.allocateCreate(svc('two', { type: 'NodePort', ports: [{ port: 80 }] }))), 'Internal error occurred: failed to allocate a nodePort: range is full');
  assert.equal(a.ips.used(), 1);
});

test('LoadBalancer: healthCheckNodePort for Local, none when allocateLoadBalancerNodePorts is false', () => {
  const a = alloc();
  const lb = svc('lb', { type: 'LoadBalancer', externalTrafficPolicy: 'Local', ports: [{ port: 80 }] });
  a.allocateCreate(lb);
  assert.equal(lb.spec!.ports![0]!.nodePort, 30086);
  assert.equal(lb.spec!.healthCheckNodePort, 30087);
  const bare = svc('bare', { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false, ports: [{ port: 80 }, { port: 81, nodePort: 31000 }].map((p, i) => ({ ...p, name: `p${i}` })) });
  a.allocateCreate(bare);
  assert.equal(bare.spec!.ports![0]!.nodePort, undefined);
  assert.equal(bare.spec!.ports![1]!.nodePort, 31000);
  assert.equal(
    statusMessage(() => a.allocateCreate(svc('hc', { type: 'LoadBalancer', externalTrafficPolicy: 'Local', healthCheckNodePort: 30087, ports: [{ port: 80 }] }))),
    'Internal error occurred: failed to allocate requested HealthCheck NodePort 30087: provided port is already allocated',
  );
});

test('update: keeps allocated values on PUT, releases on type change only at commit', () => {
  const a = alloc();
  const old = svc('web', { type: 'NodePort', ports: [{ name: 'http', port: 80 }] });
  a.allocateCreate(old).commit();
  const np = old.spec!.ports![0]!.nodePort!;
  // A replace that omits clusterIP and nodePort keeps them.
  const put = svc('web', { type: 'NodePort', ports: [{ name: 'http', port: 80 }] });
  allocateUpdate(a, put, old).commit();
  assert.equal(put.spec!.clusterIP, old.spec!.clusterIP);
  assert.equal(put.spec!.ports![0]!.nodePort, np);
  // NodePort -> ClusterIP: nodePort wiped, released on commit, not before.
  const toCluster = structuredClone(old);
  toCluster.spec!.type = 'ClusterIP';
  const txn = allocateUpdate(a, toCluster, old);
  assert.equal(toCluster.spec!.ports![0]!.nodePort, undefined);
  assert.equal(toCluster.spec!.externalTrafficPolicy, undefined);
  assert.ok(a.ports.has(np));
  txn.commit();
  assert.ok(!a.ports.has(np));
  // ClusterIP -> ExternalName releases the IP; a reverted update releases nothing.
  const toExt = structuredClone(toCluster);
  toExt.spec!.type = 'ExternalName';
  toExt.spec!.externalName = 'example.com';
  const t2 = allocateUpdate(a, toExt, toCluster);
  assert.equal(toExt.spec!.clusterIP, undefined);
  assert.equal(toExt.spec!.ipFamilies, undefined);
  t2.revert();
  assert.ok(a.ips.has(old.spec!.clusterIP!));
  allocateUpdate(a, structuredClone(toExt), toCluster).commit();
  assert.ok(!a.ips.has(old.spec!.clusterIP!));
});

test('update: ClusterIP -> NodePort allocates ports; a revert gives them back', () => {
  const a = alloc();
  const old = svc('web', { ports: [{ port: 80 }] });
  a.allocateCreate(old).commit();
  const up = structuredClone(old);
  up.spec!.type = 'NodePort';
  applyServiceDefaults(up);
  const txn = allocateUpdate(a, up, old);
  assert.equal(up.spec!.ports![0]!.nodePort, 30086);
  assert.equal(up.spec!.externalTrafficPolicy, 'Cluster');
  txn.revert();
  assert.equal(a.ports.used(), 0);
});

test('release and restore', () => {
  const a = alloc();
  const s1 = svc('s1', { type: 'LoadBalancer', externalTrafficPolicy: 'Local', ports: [{ port: 80 }] });
  const s2 = svc('s2', { type: 'NodePort', ports: [{ name: 'a', port: 53, protocol: 'UDP' }, { name: 'b', port: 53, protocol: 'TCP' }] });
  a.allocateCreate(s1).commit();
  a.allocateCreate(s2).commit();
  const b = alloc();
  assert.deepEqual(b.restore([s1, s2]), []);
  assert.equal(b.ips.used(), 2);
  assert.equal(b.ports.used(), 3);
  assert.deepEqual(b.restore([s1]).length, 3);
  b.releaseService(s1);
  assert.equal(b.ips.used(), 1);
  assert.equal(b.ports.used(), 1);
});

test('a committed update that is reverted takes its released ports back', () => {
  const a = alloc();
  const old = svc('web', { type: 'NodePort', ports: [{ port: 80 }] });
  a.allocateCreate(old).commit();
  const np = old.spec!.ports![0]!.nodePort!;
  const up = structuredClone(old);
  up.spec!.type = 'ClusterIP';
  const txn = allocateUpdate(a, up, old);
  txn.commit();
  assert.ok(!a.ports.has(np));
  txn.revert();
  assert.ok(a.ports.has(np));
});
