import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findPort } from './pods.js';
import { reconcileSlices, type Slice } from './reconciler.js';
import { pod, svc } from './testing.js';

const nodes = (name: string) => ({ exists: name === 'node-a' || name === 'node-b', zone: name === 'node-a' ? 'zone-1' : undefined });

/** Applies actions the way the API server would (names for generateName), returning the new slice set. */
function apply(existing: Slice[], a: ReturnType<typeof reconcileSlices>, counter = { n: 0 }): Slice[] {
  const byName = new Map(existing.map((s) => [s.metadata.name!, s]));
  for (const s of a.create) byName.set(`${s.metadata.generateName}${++counter.n}`, { ...s, metadata: { ...s.metadata, name: `${s.metadata.generateName}${counter.n}` } });
  for (const s of a.update) byName.set(s.metadata.name!, s);
  for (const s of a.delete) byName.delete(s.metadata.name!);
  return [...byName.values()];
}

test('one slice with labels, owner, conditions, nodeName, zone, targetRef', () => {
  const a = reconcileSlices({ service: svc(), pods: [pod(1), pod(2, { ready: false }), pod(3, { terminating: true }), pod(4, { ip: null }), pod(5, { phase: 'Failed' }), pod(6, { labels: { app: 'x' } })], existing: [], nodeZone: nodes });
  assert.equal(a.create.length, 1);
  const s = a.create[0];
  assert.equal(s.metadata.generateName, 'web-');
  assert.deepEqual(s.metadata.labels, { team: 'a', 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' });
  assert.deepEqual(s.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: 'svc-uid', controller: true, blockOwnerDeletion: true }]);
  assert.equal(s.addressType, 'IPv4');
  assert.deepEqual(s.ports, [{ name: '', port: 8080, protocol: 'TCP' }]);
  assert.deepEqual(s.endpoints.map((e) => [e.addresses[0], e.conditions]), [
    ['10.1.0.3', { ready: true, serving: true, terminating: false }],
    ['10.1.0.4', { ready: false, serving: false, terminating: false }],
    ['10.1.0.5', { ready: false, serving: true, terminating: true }],
  ]);
  assert.deepEqual(s.endpoints[0].targetRef, { kind: 'Pod', namespace: 'default', name: 'web-0001', uid: 'uid-1' });
  assert.equal(s.endpoints[0].nodeName, 'node-a');
  assert.equal(s.endpoints[0].zone, 'zone-1');
});

test('publishNotReadyAddresses makes every endpoint ready; hostname only for the Service subdomain', () => {
  const p = pod(1, { ready: false });
  p.spec!.hostname = 'h1';
  p.spec!.subdomain = 'web';
  const q = pod(2);
  q.spec!.hostname = 'h2';
  q.spec!.subdomain = 'other';
  const a = reconcileSlices({ service: svc({ publishNotReadyAddresses: true }), pods: [p, q], existing: [], nodeZone: nodes });
  assert.deepEqual(a.create[0].endpoints.map((e) => [e.conditions?.ready, e.hostname]), [[true, 'h1'], [true, undefined]]);
});

test('named targetPorts resolve per pod; different numbers land in different slices', () => {
  const service = svc({ ports: [{ name: 'web', port: 80, targetPort: 'http', protocol: 'TCP' }] });
  const a = reconcileSlices({ service, pods: [pod(1), pod(2, { port: 9090 }), pod(3)], existing: [], nodeZone: nodes });
  assert.equal(a.create.length, 2);
  const byPort = new Map(a.create.map((s) => [s.ports![0].port, s.endpoints.map((e) => e.addresses[0])]));
  assert.deepEqual(byPort.get(8080), ['10.1.0.3', '10.1.0.5']);
  assert.deepEqual(byPort.get(9090), ['10.1.0.4']);
  assert.equal(findPort(pod(1), { port: 80, targetPort: 'http', protocol: 'UDP' }), undefined, 'protocol must match');
  assert.equal(findPort(pod(1), { port: 80 }), 80);
});

test('at most 100 endpoints per slice; unchanged slices are left alone; churn stays minimal', () => {
  const pods = Array.from({ length: 250 }, (_, i) => pod(i));
  const counter = { n: 0 };
  const a = reconcileSlices({ service: svc(), pods, existing: [], nodeZone: nodes });
  assert.deepEqual(a.create.map((s) => s.endpoints.length), [100, 100, 50]);
  let slices = apply([], a, counter);
  assert.deepEqual(reconcileSlices({ service: svc(), pods, existing: slices, nodeZone: nodes }), { create: [], update: [], delete: [], missingNodes: false });

  // one pod turns unready: only its slice is updated, in place
  const flipped = pods.map((p, i) => (i === 120 ? pod(120, { ready: false }) : p));
  const b = reconcileSlices({ service: svc(), pods: flipped, existing: slices, nodeZone: nodes });
  assert.equal(b.create.length + b.delete.length, 0);
  assert.equal(b.update.length, 1);
  assert.equal(b.update[0].metadata.name, 'web-2');
  slices = apply(slices, b, counter);

  // 30 pods go, 10 come: the new ones fill the slice that is being updated anyway
  const fewer = flipped.filter((_, i) => i < 20 || i >= 50).concat(Array.from({ length: 10 }, (_, i) => pod(300 + i)));
  const c = reconcileSlices({ service: svc(), pods: fewer, existing: slices, nodeZone: nodes });
  assert.equal(c.create.length, 0);
  assert.deepEqual(c.update.map((s) => [s.metadata.name, s.endpoints.length]), [['web-1', 80]]);
});

test('pods on unknown nodes are skipped and reported; no endpoints keeps one placeholder slice', () => {
  const a = reconcileSlices({ service: svc(), pods: [pod(1, { node: 'ghost' })], existing: [], nodeZone: nodes });
  assert.equal(a.missingNodes, true);
  assert.equal(a.create.length, 1);
  assert.deepEqual([a.create[0].endpoints, a.create[0].ports], [[], undefined]);
  const slices = apply([], a);
  assert.deepEqual(reconcileSlices({ service: svc(), pods: [], existing: slices, nodeZone: nodes }), { create: [], update: [], delete: [], missingNodes: false });
  const b = reconcileSlices({ service: svc(), pods: [pod(1)], existing: slices, nodeZone: nodes });
  assert.equal(b.create.length, 1);
  assert.deepEqual(b.delete.map((s) => s.metadata.name), ['web-1']);
});

test('Service label changes update the slices; headless label', () => {
  const slices = apply([], reconcileSlices({ service: svc(), pods: [pod(1)], existing: [], nodeZone: nodes }));
  const relabelled = svc({ clusterIP: 'None' });
  relabelled.metadata.labels = { team: 'b' };
  const a = reconcileSlices({ service: relabelled, pods: [pod(1)], existing: slices, nodeZone: nodes });
  assert.equal(a.update.length, 1);
  assert.equal(a.update[0].metadata.labels!.team, 'b');
  assert.equal(a.update[0].metadata.labels!['service.kubernetes.io/headless'], '');
});

test('a Service of 200 ports and 250 pods: every slice carries all 200 ports and at most 100 endpoints, and validates', async () => {
  const { validateEndpointSlice } = await import('../../api/kinds/endpoints.js');
  const ports = Array.from({ length: 200 }, (_, i) => ({ name: `p${i}`, port: 1000 + i, targetPort: 2000 + i, protocol: 'TCP' as const }));
  const pods = Array.from({ length: 250 }, (_, i) => pod(i + 1));
  const a = reconcileSlices({ service: svc({ ports }), pods, existing: [], nodeZone: nodes });
  assert.deepEqual(a.create.map((s) => s.endpoints.length), [100, 100, 50]);
  for (const s of a.create) {
    assert.equal(s.ports!.length, 200);
    assert.deepEqual(s.ports![199], { name: 'p199', port: 2199, protocol: 'TCP' });
    assert.deepEqual(validateEndpointSlice({ ...s, metadata: { ...s.metadata, name: 'web-x' } }), []);
  }
});
