/** The generic write path (create / update / delete) over the in-memory store, with the real strategies and allocation. */
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { createStrategies } from '../../api/kinds/index.js';
import { isStatusError } from '../../api/status.js';
import type { KubeObject } from '../../api/types.js';
import { MemoryStore } from '../../storage/memory.js';
import { StorageError, type KeyValue } from '../../storage/store.js';
import { FakeClock } from '../../util/clock.js';
import { ServiceAllocator } from '../allocation/service-allocator.js';
import { serviceAllocationHooks } from '../allocation/service-hooks.js';
import { deleteObject } from './delete.js';
import { Storages } from './storages.js';

/** A store whose next create/update can be made to fail, as a lost etcd connection would. */
class FlakyStore extends MemoryStore {
  failNext = false;
  /** Called as each write reaches the store (before it commits). */
  onWrite?: () => void;
  private fail(): void {
    this.onWrite?.();
    if (!this.failNext) return;
    this.failNext = false;
    throw new StorageError('Unavailable', 'etcdserver: request timed out');
  }
  override async create(key: string, value: Uint8Array): Promise<KeyValue> {
    this.fail();
    return super.create(key, value);
  }
  override async update(key: string, value: Uint8Array, rev: number): Promise<KeyValue> {
    this.fail();
    return super.update(key, value, rev);
  }
}

let store: FlakyStore;
let clock: FakeClock;
let allocator: ServiceAllocator;
let storages: Storages;
const core = (resource: string) => storages.get('', 'v1', resource)!;
const apps = (resource: string) => storages.get('apps', 'v1', resource)!;
const spec = (o: KubeObject) => o.spec as Record<string, unknown> & { ports?: Array<{ nodePort?: number }>; clusterIP?: string };

async function rejects(p: Promise<unknown>, reason: string): Promise<void> {
  await assert.rejects(p, (err) => isStatusError(err, reason as never) || (err as { code?: string }).code === reason);
}

beforeEach(async () => {
  store = new FlakyStore();
  clock = new FakeClock(Date.parse('2026-12-03T10:00:00Z'));
  allocator = new ServiceAllocator({ serviceCIDR: '10.96.0.0/12', random: () => 0 });
  storages = new Storages({ store, clock, strategies: createStrategies({ defaultTolerationSeconds: 60 }), hooks: { services: serviceAllocationHooks(allocator) } });
  await core('namespaces').create(undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
});

describe('generic registry: Pod', () => {
  const pod = (name: string, extra: Record<string, unknown> = {}): KubeObject => ({
    apiVersion: 'v1', kind: 'Pod', metadata: { name },
    spec: { containers: [{ name: 'c', image: 'nginx', resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } } }], ...extra },
  });

  it('create sets the system fields, status and QoS (init containers count) and the toleration option', async () => {
    const created = await core('pods').create('default', pod('p', { initContainers: [{ name: 'i', image: 'busybox' }] }));
    assert.match(created.metadata.uid!, /^[0-9a-f-]{36}$/);
    assert.equal(created.metadata.creationTimestamp, '2026-12-03T10:00:00Z');
    assert.equal(created.metadata.generation, undefined);
    assert.deepEqual(created.status, { phase: 'Pending', qosClass: 'Burstable' });
    assert.deepEqual((spec(created).tolerations as Array<{ tolerationSeconds: number }>).map((t) => t.tolerationSeconds), [60, 60]);
    const guaranteed = await core('pods').create('default', pod('g'));
    assert.equal((guaranteed.status as { qosClass: string }).qosClass, 'Guaranteed');
  });

  it('update keeps status, accepts an image change, refuses other spec changes', async () => {
    const created = await core('pods').create('default', pod('p'));
    const next = structuredClone(created);
    (spec(next).containers as Array<{ image: string }>)[0]!.image = 'nginx:2';
    next.status = { phase: 'Running' };
    const { object } = await core('pods').update('default', 'p', next);
    assert.equal((spec(object).containers as Array<{ image: string }>)[0]!.image, 'nginx:2');
    assert.equal((object.status as { phase: string }).phase, 'Pending');
    const bad = structuredClone(object);
    spec(bad).restartPolicy = 'Never';
    await rejects(core('pods').update('default', 'p', bad), 'Invalid');
  });

  it('delete: an unscheduled pod goes at once; a scheduled one waits its grace period', async () => {
    await core('pods').create('default', pod('p'));
    const gone = await deleteObject(core('pods'), 'default', 'p', {}, clock.now());
    assert.equal(gone.deleted, true);
    await rejects(core('pods').get('default', 'p'), 'NotFound');
    await core('pods').create('default', pod('s', { nodeName: 'n1' }));
    const pending = await deleteObject(core('pods'), 'default', 's', {}, clock.now());
    assert.equal(pending.deleted, false);
    assert.equal(pending.object.metadata.deletionTimestamp, '2026-12-03T10:00:30Z');
    assert.equal(pending.object.metadata.deletionGracePeriodSeconds, 30);
    assert.equal(core('pods').kind.returnDeletedObject, true);
  });

  it('binding sets spec.nodeName once', async () => {
    await core('pods').create('default', pod('p'));
    const bind = core('pods').kind.createSubresources!.binding!;
    const target = { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'p' }, target: { name: 'n1' } } as KubeObject;
    await core('pods').guaranteedUpdate('default', 'p', (cur) => bind.apply(cur, target), { skipValidation: true });
    assert.equal(spec(await core('pods').get('default', 'p')).nodeName, 'n1');
    await assert.rejects(core('pods').guaranteedUpdate('default', 'p', (cur) => bind.apply(cur, target)), /pod p is already assigned to node "n1"/);
  });
});

describe('generic registry: Service (allocation after commit)', () => {
  const svc = (name: string, s: Record<string, unknown>): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ports: [{ port: 80 }], ...s } });

  it('create allocates; a failed write leaves the IP and nodePort free', async () => {
    store.failNext = true;
    await rejects(core('services').create('default', svc('a', { type: 'NodePort' })), 'Unavailable');
    assert.equal(allocator.ips.used(), 0);
    assert.equal(allocator.ports.used(), 0);
    const created = await core('services').create('default', svc('a', { type: 'NodePort' }));
    assert.equal(spec(created).clusterIP, '10.96.1.1'); // the same first pick: it was given back
    assert.equal(allocator.ips.used(), 1);
    assert.equal(allocator.ports.used(), 1);
    // a dry run takes nothing either
    await core('services').create('default', svc('b', {}), { dryRun: true });
    assert.equal(allocator.ips.used(), 1);
  });

  it('update: a PUT that omits allocated values keeps them; released values are freed only once the write commits', async () => {
    const created = await core('services').create('default', svc('a', { type: 'NodePort' }));
    const nodePort = spec(created).ports![0]!.nodePort!;
    // the same spec without clusterIP/nodePort keeps both, and takes nothing more
    const { object: same } = await core('services').update('default', 'a', svc('a', { type: 'NodePort' }));
    assert.deepEqual(same.spec, created.spec);
    assert.equal(allocator.ips.used(), 1);
    assert.equal(allocator.ports.used(), 1);
    const toClusterIP = structuredClone(same);
    spec(toClusterIP).type = 'ClusterIP';
    store.failNext = true;
    await rejects(core('services').update('default', 'a', toClusterIP), 'Unavailable');
    assert.ok(allocator.ports.has(nodePort), 'a failed update releases nothing');
    let heldDuringWrite: boolean | undefined;
    store.onWrite = () => (heldDuringWrite = allocator.ports.has(nodePort));
    const { object } = await core('services').update('default', 'a', structuredClone(toClusterIP));
    assert.equal(heldDuringWrite, true, 'the nodePort is not released before the write commits');
    assert.equal(spec(object).ports![0]!.nodePort, undefined);
    assert.ok(!allocator.ports.has(nodePort));
    assert.equal(spec(object).clusterIP, spec(created).clusterIP);
  });

  it('delete returns the object and frees its allocations', async () => {
    await core('services').create('default', svc('a', { type: 'LoadBalancer', externalTrafficPolicy: 'Local' }));
    assert.equal(allocator.ports.used(), 2);
    const gone = await deleteObject(core('services'), 'default', 'a', {}, clock.now());
    assert.equal(gone.deleted, true);
    assert.equal(allocator.ips.used(), 0);
    assert.equal(allocator.ports.used(), 0);
  });
});

describe('generic registry: Deployment', () => {
  const deploy = (): KubeObject => ({
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' },
    spec: { selector: { matchLabels: { app: 'd' } }, template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
  });

  it('generation: 1 on create, bumped by spec and annotation changes, not by /status', async () => {
    const created = await apps('deployments').create('default', deploy());
    assert.equal(created.metadata.generation, 1);
    assert.equal((spec(created) as { replicas: number }).replicas, 1);
    const scaled = structuredClone(created);
    spec(scaled).replicas = 3;
    const { object: v2 } = await apps('deployments').update('default', 'd', scaled);
    assert.equal(v2.metadata.generation, 2);
    const annotated = structuredClone(v2);
    annotated.metadata.annotations = { note: 'x' };
    const { object: v3 } = await apps('deployments').update('default', 'd', annotated);
    assert.equal(v3.metadata.generation, 3);
    // the controller's status write: status and the revision annotation move, generation does not
    const status = structuredClone(v3);
    status.status = { observedGeneration: 3, replicas: 3 };
    status.metadata.annotations = { note: 'x', 'deployment.kubernetes.io/revision': '1' };
    spec(status).replicas = 5;
    const { object: v4 } = await apps('deployments').update('default', 'd', status, { subresource: 'status' });
    assert.equal(v4.metadata.generation, 3);
    assert.equal(v4.metadata.annotations?.['deployment.kubernetes.io/revision'], '1');
    assert.equal((spec(v4) as { replicas: number }).replicas, 3);
    assert.deepEqual(v4.status, { observedGeneration: 3, replicas: 3 });
  });

  it('delete answers a Status (not the object) and removes it', async () => {
    await apps('deployments').create('default', deploy());
    assert.equal(apps('deployments').kind.returnDeletedObject, undefined);
    assert.equal((await deleteObject(apps('deployments'), 'default', 'd', {}, clock.now())).deleted, true);
    await rejects(apps('deployments').get('default', 'd'), 'NotFound');
  });
});

describe('generic registry: Namespace', () => {
  it('create: Active with the kubernetes finalizer; delete: Terminating until finalized, refusing new content', async () => {
    const ns = await core('namespaces').create(undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } });
    assert.deepEqual(ns.status, { phase: 'Active' });
    assert.deepEqual(ns.spec, { finalizers: ['kubernetes'] });
    const pending = await deleteObject(core('namespaces'), undefined, 'team', {}, clock.now());
    assert.equal(pending.deleted, false);
    assert.deepEqual(pending.object.status, { phase: 'Terminating' });
    assert.equal(pending.object.metadata.deletionTimestamp, '2026-12-03T10:00:00Z');
    await rejects(core('configmaps').create('team', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }), 'Forbidden');
    await rejects(core('configmaps').create('nowhere', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }), 'NotFound');
    // the namespace controller's PUT .../finalize with no finalizers left completes the deletion
    const finalize = core('namespaces').kind.updateSubresources!.finalize!;
    await core('namespaces').guaranteedUpdate(undefined, 'team', (cur) => finalize(cur, { ...cur, spec: { finalizers: [] } }));
    await rejects(core('namespaces').get(undefined, 'team'), 'NotFound');
  });
});

describe('generic registry: create on update', () => {
  it('a PUT creates Endpoints (allowCreateOnUpdate) but not a ConfigMap', async () => {
    const ep = { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'e' }, subsets: [] } as KubeObject;
    assert.equal((await core('endpoints').update('default', 'e', ep)).created, true);
    await rejects(core('configmaps').update('default', 'c', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }), 'NotFound');
  });
});
