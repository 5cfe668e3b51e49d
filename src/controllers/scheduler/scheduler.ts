import type { Node, PodCondition } from 'kubernetes-types/core/v1.js';
import { findResource } from '../../api/resources.js';
import { isStatusError } from '../../api/status.js';
import type { KubeObject } from '../../api/types.js';
import type { ReconcileResult } from '../../client/controller.js';
import type { EventRecorder } from '../../client/events.js';
import { deletedObject, type SharedInformer } from '../../client/informer.js';
import type { InformerFactory } from '../../client/informer-factory.js';
import { metaNamespaceKey } from '../../client/store.js';
import { rfc3339, type Clock } from '../../util/clock.js';
import { indexPodsByNode, podsOnNode } from '../common/informers.js';
import { controllerRefOf, isPodActive, patchPodConditions, type PodObject } from '../common/pods.js';
import { QueueController } from '../common/queue-controller.js';
import { filterNode, fitErrorMessage, pickNode, type NodeLoad } from './filters.js';

const pods = findResource('', 'v1', 'pods')!;
const nodes = findResource('', 'v1', 'nodes')!;
export const defaultSchedulerName = 'default-scheduler';

type NodeObject = Node & KubeObject;

export interface SchedulerOptions {
  factory: InformerFactory;
  recorder: EventRecorder;
  clock?: Clock;
  /** How often a pod that fit nowhere is tried again even if no node changed (kube: up to 5 min). */
  unschedulableRetryMs?: number;
  log?: (message: string) => void;
}

/** What a node change must touch to make unschedulable pods worth another try. */
function schedulingView(n: NodeObject): string {
  return JSON.stringify([n.metadata.labels, n.spec?.taints, n.spec?.unschedulable, n.status?.conditions?.find((c) => c.type === 'Ready')?.status]);
}

function ownerKey(pod: PodObject): string {
  return controllerRefOf(pod)?.uid ?? `labels:${JSON.stringify(pod.metadata.labels ?? {})}`;
}

/** kube-scheduler: binds pending pods to nodes that fit, spreading one owner's replicas. */
export class Scheduler extends QueueController {
  private readonly podInformer: SharedInformer<PodObject>;
  private readonly nodeInformer: SharedInformer<NodeObject>;
  /** Pods bound but not yet seen bound in the cache (the scheduler cache's "assumed" pods). */
  private readonly assumed = new Map<string, { node: string; owner: string }>();

  constructor(private readonly opts: SchedulerOptions) {
    super({ name: 'scheduler', factory: opts.factory, clock: opts.clock, workers: 1, log: opts.log });
    this.podInformer = opts.factory.informerFor<PodObject>(pods);
    this.nodeInformer = opts.factory.informerFor<NodeObject>(nodes);
    indexPodsByNode(this.podInformer);
    const onPod = (pod: PodObject) => {
      const key = metaNamespaceKey(pod);
      if (pod.spec?.nodeName) this.assumed.delete(key);
      else if (this.wants(pod)) this.queue.add(key);
    };
    this.podInformer.addEventHandler({
      onAdd: onPod,
      onUpdate: (_o, p) => onPod(p),
      onDelete: (p) => this.assumed.delete(metaNamespaceKey(deletedObject(p))),
    });
    this.nodeInformer.addEventHandler({
      onAdd: () => this.retryPending(),
      onUpdate: (old, n) => {
        if (schedulingView(old) !== schedulingView(n)) this.retryPending();
      },
    });
  }

  private wants(pod: PodObject): boolean {
    return !pod.spec?.nodeName && !pod.metadata.deletionTimestamp && (pod.spec?.schedulerName ?? defaultSchedulerName) === defaultSchedulerName && isPodActive(pod);
  }

  private retryPending(): void {
    for (const pod of podsOnNode(this.podInformer, '')) if (this.wants(pod)) this.queue.add(metaNamespaceKey(pod));
  }

  private load(node: string, owner: string): NodeLoad {
    let sameOwner = 0;
    let total = 0;
    for (const p of podsOnNode(this.podInformer, node)) {
      if (!isPodActive(p)) continue;
      total++;
      if (ownerKey(p) === owner) sameOwner++;
    }
    for (const [key, a] of this.assumed) {
      if (a.node !== node || this.podInformer.store.get(key)?.spec?.nodeName) continue;
      total++;
      if (a.owner === owner) sameOwner++;
    }
    return { sameOwner, total };
  }

  async reconcile(key: string): Promise<void | ReconcileResult> {
    const pod = this.podInformer.store.get(key);
    if (!pod || !this.wants(pod) || this.assumed.has(key)) return;
    const all = this.nodeInformer.store.list();
    const fit: string[] = [];
    const reasons: string[] = [];
    for (const node of all) {
      const reason = filterNode(pod, node);
      if (reason) reasons.push(reason);
      else fit.push(node.metadata.name!);
    }
    const owner = ownerKey(pod);
    const chosen = pickNode(fit, (n) => this.load(n, owner));
    if (!chosen) {
      const message = fitErrorMessage(all.length, reasons);
      await this.setPodScheduled(pod, { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message });
      this.opts.recorder.event(pod, 'Warning', 'FailedScheduling', message);
      return { requeueAfterMs: this.opts.unschedulableRetryMs ?? 60_000 };
    }
    this.assumed.set(key, { node: chosen, owner });
    const binding = {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace, uid: pod.metadata.uid },
      target: { apiVersion: 'v1', kind: 'Node', name: chosen },
    };
    try {
      await this.client.create(pods, binding as KubeObject, { subresource: 'binding' });
    } catch (err) {
      this.assumed.delete(key);
      if (isStatusError(err, 'NotFound') || isStatusError(err, 'Conflict')) return;
      throw err;
    }
    this.opts.recorder.event(pod, 'Normal', 'Scheduled', `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${chosen}`);
    await this.setPodScheduled(pod, { type: 'PodScheduled', status: 'True' });
  }

  /** Merges the PodScheduled condition into pods/status (strategic merge by condition type). */
  private async setPodScheduled(pod: PodObject, cond: PodCondition): Promise<void> {
    const cur = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    if (cur && cur.status === cond.status && cur.reason === cond.reason && cur.message === cond.message) return;
    const lastTransitionTime = cur && cur.status === cond.status ? cur.lastTransitionTime : rfc3339(this.clock.now());
    try {
      await patchPodConditions(this.client, pod, [{ ...cond, lastProbeTime: null, lastTransitionTime }]);
    } catch (err) {
      if (!isStatusError(err, 'NotFound')) throw err;
    }
  }
}
