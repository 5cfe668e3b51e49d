import type { Node, Pod, Service } from 'kubernetes-types/core/v1.js';
import { findResource } from '../../api/resources.js';
import { isStatusError } from '../../api/status.js';
import { clone, type KubeObject } from '../../api/types.js';
import type { ReconcileResult } from '../../client/controller.js';
import type { InformerFactory } from '../../client/informer-factory.js';
import { deletedObject, type DeletedFinalStateUnknown, type SharedInformer } from '../../client/informer.js';
import { indexByNamespace, metaNamespaceKey, namespaceIndex, splitMetaNamespaceKey } from '../../client/store.js';
import { ensureIndex } from '../common/informers.js';
import { QueueController } from '../common/queue-controller.js';
import type { Clock } from '../../util/clock.js';
import { managesEndpointsFor } from './pods.js';
import { indexSelection, podsSelectedBy, servicesSelecting } from './selection.js';
import { controllerName, reconcileSlices, type Slice } from './reconciler.js';
import { SliceTracker } from './tracker.js';
import { managedByLabel, serviceNameLabel } from '../../api/kinds/endpoints.js';

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

/** Slices filed under `namespace/service` (the kubernetes.io/service-name label), managed ones only. */
const sliceServiceIndex = 'endpointslice/service';

/**
 * kube-controller-manager's endpointslice controller: keeps the EndpointSlices of every Service with
 * a selector in line with the pods it selects. Slices come from the informer cache; the tracker of this
 * controller's own writes keeps a lagging cache from making it create a slice twice (Kubernetes'
 * endpointSliceTracker), so a reconcile costs no list request.
 */
export class EndpointSliceController extends QueueController {
  private readonly services: SharedInformer<Svc>;
  private readonly pods: SharedInformer<PodObj>;
  private readonly nodes: SharedInformer<Node & KubeObject>;
  private readonly slices: SharedInformer<Slice>;
  private readonly tracker = new SliceTracker();

  constructor(private readonly opts: EndpointSliceControllerOptions) {
    // kube-controller-manager's --concurrent-service-endpoint-syncs default
    super({ name: 'endpointslice', factory: opts.factory, clock: opts.clock, workers: opts.workers ?? 5, log: opts.log, startInformers: true });
    const f = opts.factory;
    this.services = f.informerFor<Svc>(resources.services);
    this.pods = f.informerFor<PodObj>(resources.pods);
    this.nodes = f.informerFor<Node & KubeObject>(resources.nodes);
    const slices = f.informerFor<Slice>(resources.endpointslices);
    this.slices = slices;
    ensureIndex(slices, sliceServiceIndex, (s) => {
      const svc = s.metadata.labels?.[serviceNameLabel];
      return svc && s.metadata.labels?.[managedByLabel] === controllerName ? [`${s.metadata.namespace ?? ''}/${svc}`] : [];
    });
    ensureIndex(this.services, namespaceIndex, indexByNamespace);
    ensureIndex(this.pods, namespaceIndex, indexByNamespace);
    indexSelection(this.services, this.pods);

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
    const sliceDeleted = (s: Slice | DeletedFinalStateUnknown<Slice>) => {
      const obj = deletedObject(s);
      const svc = obj.metadata.labels?.[serviceNameLabel];
      if (svc) this.tracker.observedDeletion(`${obj.metadata.namespace}/${svc}`, obj.metadata.name!);
      enqueueSlice(s);
    };
    slices.addEventHandler({ onAdd: (s, initial) => !initial && enqueueSlice(s), onUpdate: (_o, n) => enqueueSlice(n), onDelete: sliceDeleted });
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
    for (const svc of servicesSelecting(this.services, pod)) this.queue.add(metaNamespaceKey(svc));
  }

  async reconcile(key: string): Promise<void | ReconcileResult> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const service = this.services.store.getByNamespaceName(namespace, name);
    if (service && !managesEndpointsFor(service)) return;
    const cached = this.slices.store.byIndex(sliceServiceIndex, key);
    // the cache does not show a write of ours yet: its event will enqueue the Service again
    if (this.tracker.stale(key, cached)) return { requeueAfterMs: 1000 };
    if (!service || service.metadata.deletionTimestamp) {
      // The garbage collector would get there too (ownerReferences); deleting now frees the proxy sooner.
      for (const s of cached) await this.deleteSlice(key, s);
      if (!service) this.tracker.forget(key);
      return;
    }
    const actions = reconcileSlices({
      service,
      pods: podsSelectedBy(this.pods, service),
      existing: cached.map((s) => clone(s)),
      nodeZone: (nodeName) => {
        const node = this.nodes.store.getByNamespaceName(undefined, nodeName);
        return { exists: node !== undefined, zone: node?.metadata.labels?.[zoneLabel] };
      },
      maxEndpointsPerSlice: this.opts.maxEndpointsPerSlice,
    });
    // Creates and updates before deletes, so endpoints that move between slices are never missing.
    for (const s of actions.create) {
      const made = await this.client.create<Slice>(resources.endpointslices, s, { namespace });
      this.tracker.wrote(key, made.metadata.name!, made.metadata.resourceVersion);
    }
    for (const s of actions.update) {
      try {
        const done = await this.client.update<Slice>(resources.endpointslices, s, { namespace });
        this.tracker.wrote(key, done.metadata.name!, done.metadata.resourceVersion);
      } catch (err) {
        // a stale cached copy: the newer one's event brings the Service back
        if (isStatusError(err, 'Conflict') || isStatusError(err, 'NotFound')) return { requeueAfterMs: 1000 };
        throw err;
      }
    }
    for (const s of actions.delete) await this.deleteSlice(key, s);
    if (actions.missingNodes) return { requeueAfterMs: 1000 };
  }

  private async deleteSlice(service: string, s: Slice): Promise<void> {
    try {
      await this.client.delete(resources.endpointslices, { namespace: s.metadata.namespace, name: s.metadata.name! });
    } catch (err) {
      if (!isStatusError(err, 'NotFound')) throw err;
    }
    this.tracker.deleted(service, s.metadata.name!);
  }
}
