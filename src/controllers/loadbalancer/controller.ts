import type { Namespace, Service } from 'kubernetes-types/core/v1.js';
import type { IPAddressPool } from '../../api/kinds/ipaddresspool.js';
import { findResource } from '../../api/resources.js';
import type { KubeObject } from '../../api/types.js';
import { Controller } from '../../client/controller.js';
import type { EventRecorder } from '../../client/events.js';
import type { InformerFactory } from '../../client/informer-factory.js';
import { deletedObject, type DeletedFinalStateUnknown, type SharedInformer } from '../../client/informer.js';
import { metaNamespaceKey, splitMetaNamespaceKey } from '../../client/store.js';
import { RateLimitingQueue } from '../../client/workqueue.js';
import { realClock, type Clock } from '../../util/clock.js';
import { errorMessage } from '../../util/errors.js';
import { Allocator } from './allocator.js';
import { ipAllocatedFromPoolAnnotation, serviceLBConfig, serviceRequest } from './annotations.js';
import { poolCapacity, poolFromObject } from './pool.js';

const resources = {
  services: findResource('', 'v1', 'services')!,
  namespaces: findResource('', 'v1', 'namespaces')!,
  pools: findResource('metallb.io', 'v1beta1', 'ipaddresspools')!,
};

type Svc = Service & KubeObject;
type PoolObj = IPAddressPool & { status?: Record<string, number> };

/** Queue keys for pools carry this prefix; Service keys are plain `ns/name`. */
const poolKey = (ns: string, name: string) => `pool:${ns}/${name}`;

export interface LoadBalancerControllerOptions {
  factory: InformerFactory;
  recorder: EventRecorder;
  clock?: Clock;
  log?: (message: string) => void;
}

const isOurs = (svc: Svc) => svc.spec?.type === 'LoadBalancer' && !svc.spec.loadBalancerClass;

/**
 * MetalLB's controller, built in: gives LoadBalancer Services an address from an IPAddressPool,
 * writes it to status.loadBalancer.ingress, and keeps the pools' status counts.
 */
export class LoadBalancerController {
  private readonly queue: RateLimitingQueue<string>;
  private readonly controller: Controller;
  private readonly services: SharedInformer<Svc>;
  private readonly pools: SharedInformer<PoolObj>;
  private readonly namespaces: SharedInformer<Namespace & KubeObject>;
  readonly allocator = new Allocator();

  constructor(private readonly opts: LoadBalancerControllerOptions) {
    const clock = opts.clock ?? realClock;
    this.queue = new RateLimitingQueue<string>({ clock });
    this.controller = new Controller({ name: 'loadbalancer', queue: this.queue, workers: 1, log: opts.log, reconcile: (k) => this.reconcile(k) });
    this.services = opts.factory.informerFor<Svc>(resources.services);
    this.pools = opts.factory.informerFor<PoolObj>(resources.pools);
    this.namespaces = opts.factory.informerFor<Namespace & KubeObject>(resources.namespaces);
    const enqueueSvc = (s: Svc | DeletedFinalStateUnknown<Svc>) => this.queue.add(metaNamespaceKey(deletedObject(s)));
    this.services.addEventHandler({ onAdd: enqueueSvc, onUpdate: (_o, n) => enqueueSvc(n), onDelete: enqueueSvc });
    const configChanged = () => {
      this.rebuildPools();
      for (const s of this.services.store.list()) if (isOurs(s)) this.queue.add(metaNamespaceKey(s));
      this.enqueuePools();
    };
    this.pools.addEventHandler({
      onAdd: configChanged,
      onUpdate: (o, n) => {
        if (JSON.stringify(o.spec) !== JSON.stringify(n.spec)) configChanged();
      },
      onDelete: configChanged,
    });
    this.namespaces.addEventHandler({
      onUpdate: (o, n) => {
        if (JSON.stringify(o.metadata.labels ?? {}) !== JSON.stringify(n.metadata.labels ?? {})) configChanged();
      },
      onAdd: (_n, initial) => {
        if (!initial) configChanged();
      },
    });
  }

  private rebuildPools(): void {
    const nsLabels = new Map(this.namespaces.store.list().map((n) => [n.metadata.name!, n.metadata.labels ?? {}]));
    this.allocator.setPools(this.pools.store.list().filter((p) => !p.metadata.deletionTimestamp).map((p) => poolFromObject(p, nsLabels)));
  }

  private enqueuePools(): void {
    for (const p of this.pools.store.list()) this.queue.add(poolKey(p.metadata.namespace ?? '', p.metadata.name!));
  }

  async run(signal: AbortSignal): Promise<void> {
    this.opts.factory.start(signal);
    if (!(await this.opts.factory.waitForCacheSync(signal))) return;
    this.rebuildPools();
    // Take back the addresses Services already hold before handing out new ones.
    for (const svc of this.services.store.list()) {
      if (!isOurs(svc)) continue;
      const cfg = serviceLBConfig(svc);
      for (const ing of svc.status?.loadBalancer?.ingress ?? []) {
        try {
          if (ing.ip) this.allocator.assign(serviceRequest(svc, cfg), ing.ip);
        } catch {
          // reconcile will find a valid address for it
        }
      }
    }
    await this.controller.run(signal);
  }

  async reconcile(key: string): Promise<void> {
    if (key.startsWith('pool:')) return this.syncPoolStatus(key.slice(5));
    const { namespace, name } = splitMetaNamespaceKey(key);
    const svc = this.services.store.getByNamespaceName(namespace, name);
    const before = this.allocator.assigned(key)?.pool;
    try {
      if (!svc || !isOurs(svc)) {
        this.allocator.release(key);
        if (svc && !svc.spec?.loadBalancerClass && svc.metadata.annotations?.[ipAllocatedFromPoolAnnotation] !== undefined) {
          await this.setAnnotation(svc, null);
        }
        return;
      }
      await this.convergeBalancer(key, svc);
    } finally {
      const after = this.allocator.assigned(key)?.pool;
      for (const p of new Set([before, after])) {
        const obj = p && this.pools.store.list().find((o) => o.metadata.name === p);
        if (obj) this.queue.add(poolKey(obj.metadata.namespace ?? '', obj.metadata.name!));
      }
    }
  }

  private async convergeBalancer(key: string, svc: Svc): Promise<void> {
    const cfg = serviceLBConfig(svc);
    for (const d of cfg.deprecated) this.opts.recorder.event(svc, 'Warning', 'DeprecatedAnnotation', `Service uses deprecated annotation ${d}`);
    const req = serviceRequest(svc, cfg);
    const fail = async (why: string) => {
      this.allocator.release(key);
      this.opts.recorder.event(svc, 'Warning', 'AllocationFailed', `Failed to allocate IP for ${JSON.stringify(key)}: ${why}`);
      if ((svc.status?.loadBalancer?.ingress ?? []).length > 0) {
        await this.opts.factory.client.updateStatus(resources.services, { ...svc, status: { ...svc.status, loadBalancer: {} } });
      }
    };
    if (cfg.error) return fail(cfg.error);
    const requested = cfg.requestedIPs.filter((ip) => (req.family === 'IPv6') === ip.includes(':'));
    const existing = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip).find((ip): ip is string => !!ip);
    let result: { ip: string; pool: string } | undefined;
    if (existing && (requested.length === 0 || requested.includes(existing)) && (!cfg.pool || this.allocator.poolFor(existing)?.name === cfg.pool)) {
      try {
        result = this.allocator.assign(req, existing);
      } catch {
        result = undefined;
      }
    }
    if (!result) {
      const held = this.allocator.assigned(key);
      const heldFits = held && (requested.length === 0 || requested.includes(held.ip)) && (!cfg.pool || held.pool === cfg.pool);
      if (!heldFits) this.allocator.release(key);
      try {
        if (requested.length > 0) result = heldFits ? held : this.allocator.assign(req, requested[0]);
        else if (cfg.pool) result = this.allocator.allocateFromPool(req, cfg.pool);
        else result = this.allocator.allocate(req);
      } catch (err) {
        return fail(errorMessage(err));
      }
    }
    let current = svc;
    if (svc.metadata.annotations?.[ipAllocatedFromPoolAnnotation] !== result.pool) current = await this.setAnnotation(svc, result.pool);
    const ingress = [{ ip: result.ip, ipMode: 'VIP' }];
    const had = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip);
    if (had.length !== 1 || had[0] !== result.ip) {
      await this.opts.factory.client.updateStatus(resources.services, { ...current, status: { ...current.status, loadBalancer: { ingress } } });
      this.opts.recorder.event(svc, 'Normal', 'IPAllocated', `Assigned IP ${JSON.stringify([result.ip])}`);
    }
  }

  private setAnnotation(svc: Svc, pool: string | null): Promise<Svc> {
    return this.opts.factory.client.patch<Svc>(resources.services, {
      namespace: svc.metadata.namespace, name: svc.metadata.name!, type: 'merge',
      patch: { metadata: { annotations: { [ipAllocatedFromPoolAnnotation]: pool } } },
    });
  }

  private async syncPoolStatus(nsName: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(nsName);
    const obj = this.pools.store.getByNamespaceName(namespace, name);
    const pool = this.allocator.getPools().find((p) => p.name === name);
    if (!obj || !pool) return;
    const used = this.allocator.usage(name);
    const cap = poolCapacity(pool);
    const status = {
      assignedIPv4: used.ipv4, assignedIPv6: used.ipv6,
      availableIPv4: Number(cap.ipv4) - used.ipv4, availableIPv6: Number(cap.ipv6 > 2n ** 53n ? 2n ** 53n : cap.ipv6) - used.ipv6,
    };
    if (JSON.stringify(obj.status ?? {}) === JSON.stringify(status)) return;
    // A merge patch of status: no resourceVersion to go stale between the cache and the write.
    await this.opts.factory.client.patch(resources.pools, { namespace, name, subresource: 'status', type: 'merge', patch: { status } });
  }
}
