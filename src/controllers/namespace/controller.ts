import type { Namespace } from 'kubernetes-types/core/v1.js';
import { findResource, type ResourceInfo } from '../../api/resources.js';
import { isStatusError } from '../../api/status.js';
import type { KubeObject } from '../../api/types.js';
import type { ReconcileResult } from '../../client/controller.js';
import type { InformerFactory } from '../../client/informer-factory.js';
import { rfc3339, type Clock } from '../../util/clock.js';
import { QueueController } from '../common/queue-controller.js';
import { namespaceConditions, sameConditions } from './conditions.js';
import { deleteAllContent } from './deleter.js';

export const kubernetesFinalizer = 'kubernetes';
const namespaces = findResource('', 'v1', 'namespaces')!;

type NamespaceObject = Namespace & KubeObject;

export interface NamespaceControllerOptions {
  factory: InformerFactory;
  /** Namespaced resources to empty (default: every listable, deletable one). */
  resources?: ResourceInfo[];
  workers?: number;
  /** How long to wait before looking again at content still being deleted. */
  recheckMs?: number;
  clock?: Clock;
  log?: (message: string) => void;
}

/**
 * Namespace deletion (kube-controller-manager's namespace controller): once a Namespace has a
 * deletionTimestamp, delete everything in it, report progress in its conditions, and when it is
 * empty remove the `kubernetes` finalizer through `PUT /api/v1/namespaces/<name>/finalize`.
 */
export class NamespaceController extends QueueController {
  constructor(private readonly opts: NamespaceControllerOptions) {
    super({ name: 'namespace', factory: opts.factory, clock: opts.clock, workers: opts.workers ?? 2, log: opts.log, startInformers: true });
    const informer = opts.factory.informerFor(namespaces);
    const enqueue = (ns: KubeObject) => {
      if (ns.metadata.deletionTimestamp) this.queue.add(ns.metadata.name!);
    };
    informer.addEventHandler({ onAdd: enqueue, onUpdate: (_old, ns) => enqueue(ns) });
  }

  async reconcile(name: string): Promise<void | ReconcileResult> {
    let ns: NamespaceObject;
    try {
      ns = await this.client.get<NamespaceObject>(namespaces, { name });
    } catch (err) {
      if (isStatusError(err, 'NotFound')) return;
      throw err;
    }
    if (!ns.metadata.deletionTimestamp) return;
    if (!(ns.spec?.finalizers ?? []).includes(kubernetesFinalizer)) return;

    const totals = await deleteAllContent({ client: this.client, namespace: name, resources: this.opts.resources, now: this.clock.now() });
    const conditions = namespaceConditions(totals, ns.status?.conditions ?? [], rfc3339(this.clock.now()));
    if (ns.status?.phase !== 'Terminating' || !sameConditions(ns.status?.conditions, conditions)) {
      ns = await this.client.updateStatus<NamespaceObject>(namespaces, { ...ns, status: { ...ns.status, phase: 'Terminating', conditions } });
    }
    if (totals.deleteErrors.length > 0) throw new Error(`namespace ${name}: ${totals.deleteErrors.join('; ')}`);
    if (totals.remaining.size > 0) return { requeueAfterMs: this.opts.recheckMs ?? 1000 };

    const finalizers = (ns.spec?.finalizers ?? []).filter((f) => f !== kubernetesFinalizer);
    try {
      await this.client.update<NamespaceObject>(namespaces, { ...ns, spec: { ...ns.spec, finalizers } }, { subresource: 'finalize' });
    } catch (err) {
      if (!isStatusError(err, 'NotFound')) throw err;
    }
  }
}
