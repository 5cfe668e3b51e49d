import type { Node, Pod, Service } from 'kubernetes-types/core/v1.js';
import { findResource } from '../../api/resources.js';
import { isStatusError } from '../../api/status.js';
import type { KubeObject } from '../../api/types.js';
import { Controller, type ReconcileResult } from '../../client/controller.js';
import type { InformerFactory } from '../../client/informer-factory.js';
import { deletedObject, type DeletedFinalStateUnknown, type SharedInformer } from '../../client/informer.js';
import { indexByNamespace, metaNamespaceKey, namespaceIndex, splitMetaNamespaceKey } from '../../client/store.js';
import { ensureIndex } from '../common/informers.js';
import { RateLimitingQueue } from '../../client/workqueue.js';
import { realClock, type Clock } from '../../util/clock.js';
import { managesEndpointsFor, selectsPod } from './pods.js';
import { controllerName, managedByLabel, reconcileSlices, serviceNameLabel, type Slice } from './reconciler.js';

export const resources = {
  services: findResource('', 'v1', 'services')!,
  pods: findResource('', 'v1', 'pods')!,
  nodes: findResource('', 'v1', 'nodes')!,
  endpointslices: findResource('discovery.k8s.io', 'v1', 'endpointslices')!,
};

export const zoneLabel = 'topology.kubernetes.io/zone';

export interface EndpointSliceControllerOptions {
  factory: InformerFactory;
  maxEndpointsPerSlice?: number;
  workers?: number;
  clock?: Clock;
  log?: (message: string) => void;
}

type Svc = Service & KubeObject;
type PodObj = Pod & KubeObject;

/**
 * kube-controller-manager's endpointslice controller: keeps the EndpointSlices of every Service with
 * a selector in line with the pods it selects. Slices are read live (not from the cache) before
 * writing, so a lagging cache never makes it create a slice twice.
 */
export class EndpointSliceController {
  private readonly queue: RateLimitingQueue<string>;
  private readonly controller: Controller;
  private readonly services: SharedInformer<Svc>;
  private readonly pods: SharedInformer<PodObj>;
  private readonly nodes: SharedInformer<Node & KubeObject>;

  constructor(private readonly opts: EndpointSliceControllerOptions) {
    const clock = opts.clock ?? realClock;
    this.queue = new RateLimitingQueue<string>({ clock });
    this.controller = new Controller({ name: 'endpointslice', queue: this.queue, workers: opts.workers ?? 4, log: opts.log, reconcile: (k) => this.reconcile(k) });
    const f = opts.factory;
    this.services = f.informerFor<Svc>(resources.services);
    this.pods = f.informerFor<PodObj>(resources.pods);
    this.nodes = f.informerFor<Node & KubeObject>(resources.nodes);
    const slices = f.informerFor<Slice>(resources.endpointslices);
    ensureIndex(this.services, namespaceIndex, indexByNamespace);
    ensureIndex(this.pods, namespaceIndex, indexByNamespace);

    const enqueueSvc = (s: Svc | DeletedFinalStateUnknown<Svc>) => this.queue.add(metaNamespaceKey(deletedObject(s)));
    this.services.addEventHandler({ onAdd: enqueueSvc, onUpdate: (_o, n) => enqueueSvc(n), onDelete: enqueueSvc });
    this.pods.addEventHandler({
      onAdd: (p) => this.enqueueForPod(p),
      onUpdate: (o, n) => {
        this.enqueueForPod(n);
        if (JSON.stringify(o.metadata.labels ?? {}) !== JSON.stringify(n.metadata.labels ?? {})) this.enqueueForPod(o);
      },
      onDelete: (p) => this.enqueueForPod(deletedObject(p)),
    });
    const enqueueSlice = (s: Slice | DeletedFinalStateUnknown<Slice>) => {
      const obj = deletedObject(s);
      const svc = obj.metadata.labels?.[serviceNameLabel];
      if (svc && obj.metadata.labels?.[managedByLabel] === controllerName) this.queue.add(`${obj.metadata.namespace}/${svc}`);
    };
    slices.addEventHandler({ onUpdate: (_o, n) => enqueueSlice(n), onDelete: enqueueSlice });
    // A pod is published only once its Node is known (and the Node's zone goes into the endpoint).
    const enqueueAll = () => {
      for (const s of this.services.store.list()) if (managesEndpointsFor(s)) this.queue.add(metaNamespaceKey(s));
    };
    this.nodes.addEventHandler({
      onAdd: (_n, initial) => {
        if (!initial) enqueueAll();
      },
      onUpdate: (o, n) => {
        if (o.metadata.labels?.[zoneLabel] !== n.metadata.labels?.[zoneLabel]) enqueueAll();
      },
    });
  }

  private enqueueForPod(pod: PodObj): void {
    for (const svc of this.services.store.byIndex(namespaceIndex, pod.metadata.namespace ?? '')) {
      if (selectsPod(svc, pod)) this.queue.add(metaNamespaceKey(svc));
    }
  }

  async run(signal: AbortSignal): Promise<void> {
    this.opts.factory.start(signal);
    if (!(await this.opts.factory.waitForCacheSync(signal))) return;
    await this.controller.run(signal);
  }

  async reconcile(key: string): Promise<void | ReconcileResult> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const client = this.opts.factory.client;
    const service = this.services.store.getByNamespaceName(namespace, name);
    if (service && !managesEndpointsFor(service)) return;
    const list = await client.list<Slice>(resources.endpointslices, {
      namespace, labelSelector: `${serviceNameLabel}=${name},${managedByLabel}=${controllerName}`,
    });
    if (!service || service.metadata.deletionTimestamp) {
      // The garbage collector would get there too (ownerReferences); deleting now frees the proxy sooner.
      for (const s of list.items) await this.deleteSlice(s);
      return;
    }
    const actions = reconcileSlices({
      service,
      pods: this.pods.store.byIndex(namespaceIndex, namespace),
      existing: list.items,
      nodeZone: (nodeName) => {
        const node = this.nodes.store.getByNamespaceName(undefined, nodeName);
        return { exists: node !== undefined, zone: node?.metadata.labels?.[zoneLabel] };
      },
      maxEndpointsPerSlice: this.opts.maxEndpointsPerSlice,
    });
    // Creates and updates before deletes, so endpoints that move between slices are never missing.
    for (const s of actions.create) await client.create(resources.endpointslices, s, { namespace });
    for (const s of actions.update) await client.update(resources.endpointslices, s, { namespace });
    for (const s of actions.delete) await this.deleteSlice(s);
    if (actions.missingNodes) return { requeueAfterMs: 1000 };
  }

  private async deleteSlice(s: Slice): Promise<void> {
    try {
      await this.opts.factory.client.delete(resources.endpointslices, { namespace: s.metadata.namespace, name: s.metadata.name! });
    } catch (err) {
      if (!isStatusError(err, 'NotFound')) throw err;
    }
  }
}
