import type { Endpoints, Pod, Service } from 'kubernetes-types/core/v1.js';
import { findResource } from '../../api/resources.js';
import { isStatusError } from '../../api/status.js';
import type { KubeObject } from '../../api/types.js';
import type { ReconcileResult } from '../../client/controller.js';
import type { InformerFactory } from '../../client/informer-factory.js';
import { deletedObject, type DeletedFinalStateUnknown, type SharedInformer } from '../../client/informer.js';
import { indexByNamespace, metaNamespaceKey, namespaceIndex, splitMetaNamespaceKey } from '../../client/store.js';
import { ensureIndex } from '../common/informers.js';
import { QueueController } from '../common/queue-controller.js';
import type { Clock } from '../../util/clock.js';
import { managesEndpointsFor } from '../endpointslice/pods.js';
import { indexSelection, podsSelectedBy, servicesSelecting } from '../endpointslice/selection.js';
import { headlessLabel } from '../endpointslice/reconciler.js';
import { desiredSubsets, lastChangeTriggerTimeAnnotation, overCapacityAnnotation, subsetsKey } from './subsets.js';

const resources = {
  services: findResource('', 'v1', 'services')!,
  pods: findResource('', 'v1', 'pods')!,
  endpoints: findResource('', 'v1', 'endpoints')!,
};

type Svc = Service & KubeObject;
type PodObj = Pod & KubeObject;
type Ep = Endpoints & KubeObject;

export interface EndpointsControllerOptions {
  factory: InformerFactory;
  workers?: number;
  clock?: Clock;
  log?: (message: string) => void;
}

/** RFC 3339 with nanoseconds, as Go's time.RFC3339Nano prints a millisecond time. */
function rfc3339Nano(ms: number): string {
  return new Date(ms).toISOString().replace(/\.?0*Z$/, 'Z');
}

/**
 * The legacy Endpoints controller: one Endpoints object per Service with a selector, named like the
 * Service, holding its pods' addresses repacked into subsets.
 */
export class EndpointsController extends QueueController {
  private readonly services: SharedInformer<Svc>;
  private readonly pods: SharedInformer<PodObj>;
  private readonly endpoints: SharedInformer<Ep>;
  /** When the first change not yet written for a Service was seen (last-change-trigger-time). */
  private readonly triggers = new Map<string, number>();

  constructor(opts: EndpointsControllerOptions) {
    // kube-controller-manager's --concurrent-endpoint-syncs default
    super({ name: 'endpoints', factory: opts.factory, clock: opts.clock, workers: opts.workers ?? 5, log: opts.log, startInformers: true });
    this.services = opts.factory.informerFor<Svc>(resources.services);
    this.pods = opts.factory.informerFor<PodObj>(resources.pods);
    ensureIndex(this.services, namespaceIndex, indexByNamespace);
    ensureIndex(this.pods, namespaceIndex, indexByNamespace);
    indexSelection(this.services, this.pods);
    const endpoints = opts.factory.informerFor<Ep>(resources.endpoints);
    this.endpoints = endpoints;
    const enqueueSvc = (s: Svc | DeletedFinalStateUnknown<Svc>) => this.enqueue(metaNamespaceKey(deletedObject(s)));
    this.services.addEventHandler({ onAdd: enqueueSvc, onUpdate: (_o, n) => enqueueSvc(n), onDelete: enqueueSvc });
    this.pods.addEventHandler({
      onAdd: (p) => this.enqueueForPod(p),
      onUpdate: (o, n) => {
        this.enqueueForPod(n);
        this.enqueueForPod(o);
      },
      onDelete: (p) => this.enqueueForPod(deletedObject(p)),
    });
    // Someone else edited or deleted an Endpoints object of ours: put it back.
    endpoints.addEventHandler({
      onDelete: (e) => {
        const key = metaNamespaceKey(deletedObject(e));
        if (this.services.store.get(key)) this.queue.add(key);
      },
    });
  }

  private enqueue(key: string): void {
    if (!this.triggers.has(key)) this.triggers.set(key, this.clock.now());
    this.queue.add(key);
  }

  private enqueueForPod(pod: PodObj): void {
    for (const svc of servicesSelecting(this.services, pod)) this.enqueue(metaNamespaceKey(svc));
  }

  /** Reads the Endpoints from the cache (as Kubernetes' lister): a stale copy ends in a conflict, and a retry. */
  async reconcile(key: string): Promise<void | ReconcileResult> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const service = this.services.store.getByNamespaceName(namespace, name);
    const trigger = this.triggers.get(key);
    this.triggers.delete(key);
    const current = this.endpoints.store.getByNamespaceName(namespace, name);
    if (!service) {
      if (!current) return;
      try {
        await this.client.delete(resources.endpoints, { namespace, name, preconditions: { uid: current.metadata.uid } });
      } catch (err) {
        if (!isStatusError(err, 'NotFound') && !isStatusError(err, 'Conflict')) throw err;
      }
      return;
    }
    if (!managesEndpointsFor(service)) return;
    const { subsets, truncated } = desiredSubsets(service, podsSelectedBy(this.pods, service));
    const labels: Record<string, string> = { ...(service.metadata.labels ?? {}) };
    if (service.spec?.clusterIP === 'None') labels[headlessLabel] = '';
    else delete labels[headlessLabel];
    const annotations: Record<string, string> = { ...(current?.metadata.annotations ?? {}) };
    if (truncated) annotations[overCapacityAnnotation] = 'truncated';
    else delete annotations[overCapacityAnnotation];

    const same = current !== undefined && subsetsKey(current.subsets) === subsetsKey(subsets)
      && JSON.stringify(current.metadata.labels ?? {}) === JSON.stringify(labels)
      && (current.metadata.annotations?.[overCapacityAnnotation] ?? '') === (annotations[overCapacityAnnotation] ?? '');
    if (same) return;
    if (trigger !== undefined) annotations[lastChangeTriggerTimeAnnotation] = rfc3339Nano(trigger);
    const next: Ep = {
      apiVersion: 'v1', kind: 'Endpoints',
      metadata: { ...(current?.metadata ?? { name, namespace }), labels, annotations },
      subsets,
    };
    try {
      if (current) await this.client.update(resources.endpoints, next, { namespace });
      else await this.client.create(resources.endpoints, next, { namespace });
    } catch (err) {
      if (trigger !== undefined && !this.triggers.has(key)) this.triggers.set(key, trigger);
      // the cache lags our own write: its event is on the way, look again after it
      if (isStatusError(err, 'Conflict') || isStatusError(err, 'AlreadyExists')) return { requeueAfterMs: 500 };
      throw err;
    }
  }
}
