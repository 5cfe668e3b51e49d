// The informer → queue → reconcile wiring the workload controllers share (ReplicaSet, Job, StatefulSet,
// DaemonSet, CronJob): an owner kind keyed by namespace/name, and the kind it owns through controllerRefs.
import { fromLabelSelector, matches } from '../../api/labels.js';
import type { ResourceInfo } from '../../api/resources.js';
import type { KubeObject } from '../../api/types.js';
import { Controller, type ReconcileResult } from '../../client/controller.js';
import { deletedObject, type SharedInformer } from '../../client/informer.js';
import type { InformerFactory } from '../../client/informer-factory.js';
import { metaNamespaceKey } from '../../client/store.js';
import { RateLimitingQueue } from '../../client/workqueue.js';
import type { Clock } from '../../util/clock.js';
import { indexNamespaces, listInNamespace } from './informers.js';
import { controllerRefOf } from './pods.js';

/** An owner whose spec.selector picks its dependents (ReplicaSet, Job, StatefulSet, DaemonSet). */
type Selecting = KubeObject & { spec?: { selector?: Parameters<typeof fromLabelSelector>[0] } };

export interface OwnerWiringOptions {
  /** The controller's name, for logs. */
  name: string;
  /** The owner's kind, as controllerRefs name it. */
  kind: string;
  owner: ResourceInfo;
  owned: ResourceInfo;
  factory: InformerFactory;
  clock: Clock;
  workers: number;
  log?: (message: string) => void;
  reconcile(key: string): Promise<void | ReconcileResult>;
  /** Called with an owner's key when it is deleted, before it is queued (expectations forget it). */
  onOwnerDeleted?(key: string): void;
}

export class OwnerWiring<O extends KubeObject, D extends KubeObject> {
  readonly queue: RateLimitingQueue<string>;
  readonly controller: Controller;
  readonly owners: SharedInformer<O>;
  readonly owned: SharedInformer<D>;

  constructor(private readonly opts: OwnerWiringOptions) {
    this.queue = new RateLimitingQueue<string>({ clock: opts.clock });
    this.controller = new Controller({ name: opts.name, queue: this.queue, workers: opts.workers, log: opts.log, reconcile: (k) => opts.reconcile(k) });
    this.owners = opts.factory.informerFor<O>(opts.owner);
    this.owned = opts.factory.informerFor<D>(opts.owned);
    indexNamespaces(this.owners);
    indexNamespaces(this.owned);
    const enqueue = (o: O) => this.queue.add(metaNamespaceKey(o));
    this.owners.addEventHandler({
      onAdd: enqueue,
      onUpdate: (_old, o) => enqueue(o),
      onDelete: (d) => {
        const key = metaNamespaceKey(deletedObject(d));
        opts.onOwnerDeleted?.(key);
        this.queue.add(key);
      },
    });
  }

  /** Waits for the (already started) shared caches, then reconciles until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    if (!(await this.opts.factory.waitForCacheSync(signal))) return;
    await this.controller.run(signal);
  }

  /** The cached owner the dependent's controllerRef points at, with that uid. */
  ownerOf(dep: KubeObject): O | undefined {
    const ref = controllerRefOf(dep);
    if (!ref || ref.kind !== this.opts.kind) return undefined;
    const owner = this.owners.store.getByNamespaceName(dep.metadata.namespace, ref.name);
    return owner?.metadata.uid === ref.uid ? owner : undefined;
  }

  /** Queues the owner of a dependent with a controllerRef; an orphan, every owner whose selector matches it. */
  enqueueFor(dep: KubeObject): void {
    if (controllerRefOf(dep)) {
      const owner = this.ownerOf(dep);
      if (owner) this.queue.add(metaNamespaceKey(owner));
      return;
    }
    this.enqueueMatching(dep);
  }

  /** Queues every owner in the dependent's namespace whose selector matches its labels. */
  enqueueMatching(dep: KubeObject): void {
    for (const owner of listInNamespace(this.owners, dep.metadata.namespace ?? '')) {
      if (matches(fromLabelSelector((owner as Selecting).spec?.selector), dep.metadata.labels)) this.queue.add(metaNamespaceKey(owner));
    }
  }
}
