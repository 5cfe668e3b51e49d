// A host service (docs/runtime.md "Host services"): a selectorless Service whose one EndpointSlice points
// at a listener of this process (cluster DNS, the ingress listeners), so the proxy carries the Service's
// addresses to it. Kept in line from the informer caches, woken by their events, not polled.
import { findResource } from '../api/resources.js';
import { isStatusError } from '../api/status.js';
import type { KubeObject } from '../api/types.js';
import type { Clock } from '../util/clock.js';
import { Controller } from './controller.js';
import { deletedObject, type DeletedFinalStateUnknown, type SharedInformer } from './informer.js';
import type { InformerFactory } from './informer-factory.js';
import { RateLimitingQueue } from './workqueue.js';

const services = findResource('', 'v1', 'services')!;
const endpointSlices = findResource('discovery.k8s.io', 'v1', 'endpointslices')!;

export interface HostServiceSpec {
  namespace: string;
  serviceName: string;
  sliceName: string;
  fieldManager: string;
  /** The Service created when there is none. */
  service(): KubeObject;
  /** The Service to write over the stored one, or undefined when it still serves (the default). */
  serviceUpdate?(have: KubeObject): KubeObject | undefined;
  /** The EndpointSlice wanted, given the stored Service (for its uid). */
  slice(svc: KubeObject): KubeObject;
  /** The slice to write over the stored one, or undefined when it is up to date. */
  sliceUpdate(have: KubeObject, want: KubeObject): KubeObject | undefined;
}

export interface HostServiceExposureOptions {
  factory: InformerFactory;
  spec: HostServiceSpec;
  clock?: Clock;
  log?: (message: string) => void;
}

const key = 'exposure';

/** Keeps one host service's Service and EndpointSlice as `spec` wants them. */
export class HostServiceExposure {
  private readonly queue: RateLimitingQueue<string>;
  private readonly controller: Controller;
  private readonly services: SharedInformer;
  private readonly slices: SharedInformer;
  private syncedOnce = false;
  private readonly waiters: Array<() => void> = [];

  constructor(private readonly opts: HostServiceExposureOptions) {
    const { spec, factory } = opts;
    this.queue = new RateLimitingQueue<string>({ clock: opts.clock });
    this.controller = new Controller({ name: `host-service ${spec.namespace}/${spec.serviceName}`, queue: this.queue, log: opts.log, reconcile: () => this.reconcile() });
    this.services = factory.informerFor(services);
    this.slices = factory.informerFor(endpointSlices);
    const on = (name: string) => (o: KubeObject | DeletedFinalStateUnknown<KubeObject>) => {
      const m = deletedObject(o).metadata;
      if (m.namespace === spec.namespace && m.name === name) this.queue.add(key);
    };
    this.services.addEventHandler({ onAdd: on(spec.serviceName), onUpdate: (_o, n) => on(spec.serviceName)(n), onDelete: on(spec.serviceName) });
    this.slices.addEventHandler({ onAdd: on(spec.sliceName), onUpdate: (_o, n) => on(spec.sliceName)(n), onDelete: on(spec.sliceName) });
  }

  /** Runs until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    this.opts.factory.start(signal);
    if (!(await this.opts.factory.waitForCacheSync(signal))) return;
    this.queue.add(key);
    await this.controller.run(signal);
  }

  /** Resolves once the Service and slice were first found or made as wanted (or when `signal` aborts). */
  synced(signal: AbortSignal): Promise<void> {
    if (this.syncedOnce || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
  }

  private async reconcile(): Promise<void> {
    const { spec, factory } = this.opts;
    const client = factory.client;
    const opts = { namespace: spec.namespace, fieldManager: spec.fieldManager };
    let svc = this.services.store.getByNamespaceName(spec.namespace, spec.serviceName);
    if (!svc) {
      // made now; the slice follows with its uid (a lagging cache answers AlreadyExists: its event brings us back)
      svc = await ignoreExists(client.create(services, spec.service(), opts));
      if (!svc) return;
    } else {
      const next = spec.serviceUpdate?.(svc);
      if (next) svc = await client.update(services, next, opts);
    }
    const want = spec.slice(svc);
    const have = this.slices.store.getByNamespaceName(spec.namespace, spec.sliceName);
    if (!have) {
      if (!(await ignoreExists(client.create(endpointSlices, want, opts)))) return;
    } else {
      const next = spec.sliceUpdate(have, want);
      if (next) await client.update(endpointSlices, next, opts);
    }
    if (!this.syncedOnce) {
      this.syncedOnce = true;
      for (const w of this.waiters.splice(0)) w();
    }
  }
}

async function ignoreExists(p: Promise<KubeObject>): Promise<KubeObject | undefined> {
  try {
    return await p;
  } catch (err) {
    if (isStatusError(err, 'AlreadyExists')) return undefined;
    throw err;
  }
}
