import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../../api/types.js';
import { strategies } from '../../api/kinds/index.js';
import { ServiceAllocator } from './service-allocator.js';
import { serviceAllocationHooks } from './service-hooks.js';

const st = strategies['services']!;

function service(spec: Record<string, unknown>): KubeObject {
  const o = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec } as KubeObject;
  st.applyDefaults!(o);
  return o;
}

test('hooks follow the REST storage flow: defaults, prepare, validate, admit, afterCommit/rollback/afterDelete', () => {
  const a = new ServiceAllocator({ serviceCIDR: '10.96.0.0/12', random: () => 0 });
  const hooks = serviceAllocationHooks(a);
  const created = service({ type: 'NodePort', ports: [{ port: 80 }] });
  assert.deepEqual(st.validate!(created), []);
  hooks.beforeCreate!(created, { dryRun: false });
  const spec = created['spec'] as { clusterIP: string; ports: Array<{ nodePort: number }> };
  assert.equal(spec.clusterIP, '10.96.1.1');
  assert.equal(spec.ports[0]!.nodePort, 30086);

  // kubectl apply turning NodePort into ClusterIP: the live nodePort is still in the object.
  const next = structuredClone(created);
  (next['spec'] as { type: string }).type = 'ClusterIP';
  st.applyDefaults!(next);
  st.prepareForUpdate!(next, created, {});
  assert.deepEqual(st.validateUpdate!(next, created), []);
  hooks.beforeUpdate!(next, created, { dryRun: false });
  assert.equal((next['spec'] as { ports: Array<{ nodePort?: number }> }).ports[0]!.nodePort, undefined);
  // the nodePort it gives up is released only once the write commits
  assert.ok(a.ports.has(30086));
  hooks.rollback!(next, created); // the write failed
  assert.ok(a.ports.has(30086));
  const again = structuredClone(next);
  hooks.beforeUpdate!(again, created, { dryRun: false });
  hooks.afterCommit!(again, created);
  assert.ok(!a.ports.has(30086));

  // A PUT that omits the allocated clusterIP validates and keeps it.
  const put = service({ type: 'NodePort', ports: [{ port: 80 }] });
  st.prepareForUpdate!(put, created, {});
  assert.deepEqual(st.validateUpdate!(put, created), []);
  hooks.beforeUpdate!(put, created, { dryRun: false });
  assert.equal((put['spec'] as { clusterIP: string }).clusterIP, '10.96.1.1');

  hooks.afterDelete!(put);
  assert.equal(a.ips.used(), 0);
  assert.equal(a.ports.used(), 0);
});

test('dry-run create is rolled back', () => {
  const a = new ServiceAllocator({ serviceCIDR: '10.96.0.0/12' });
  const hooks = serviceAllocationHooks(a);
  const s = service({ type: 'LoadBalancer', externalTrafficPolicy: 'Local', ports: [{ port: 80 }] });
  hooks.beforeCreate!(s, { dryRun: true });
  assert.equal(a.ports.used(), 2);
  hooks.rollback!(s, undefined);
  assert.equal(a.ports.used(), 0);
  assert.equal(a.ips.used(), 0);
});
