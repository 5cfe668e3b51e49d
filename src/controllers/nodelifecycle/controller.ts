import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node } from 'kubernetes-types/core/v1.js';
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
import { isPodReady, patchPodConditions, type PodObject } from '../common/pods.js';
import { QueueController } from '../common/queue-controller.js';
import { desiredTaints, evictionDelayMs, observeHealth, readyStatus, unknownConditions, type NodeHealth } from './health.js';

const nodes = findResource('', 'v1', 'nodes')!;
const pods = findResource('', 'v1', 'pods')!;
const leases = findResource('coordination.k8s.io', 'v1', 'leases')!;
export const nodeLeaseNamespace = 'kube-node-lease';

type NodeObject = Node & KubeObject;
type LeaseObject = Lease & KubeObject;

export interface NodeLifecycleOptions {
  factory: InformerFactory;
  recorder: EventRecorder;
  clock?: Clock;
  /** How long a node may go without renewing its lease before it is Unknown (kube: 40 s). */
  nodeMonitorGracePeriodMs: number;
  log?: (message: string) => void;
}

/**
 * The node lifecycle controller with its taint-eviction manager and the pod GC's part for dead
 * nodes. Keys are `node/<name>` and `pod/<namespace>/<name>`.
 */
export class NodeLifecycleController extends QueueController {
  private readonly nodeInformer: SharedInformer<NodeObject>;
  private readonly leaseInformer: SharedInformer<LeaseObject>;
  private readonly podInformer: SharedInformer<PodObject>;
  private readonly registered = new Set<string>();
  private readonly health = new Map<string, NodeHealth>();

  constructor(private readonly opts: NodeLifecycleOptions) {
    super({ name: 'node-lifecycle', factory: opts.factory, clock: opts.clock, workers: 2, log: opts.log });
    this.nodeInformer = opts.factory.informerFor<NodeObject>(nodes);
    this.leaseInformer = opts.factory.informerFor<LeaseObject>(leases, { namespace: nodeLeaseNamespace });
    this.podInformer = opts.factory.informerFor<PodObject>(pods);
    indexPodsByNode(this.podInformer);
    this.nodeInformer.addEventHandler({
      onAdd: (n) => this.queue.add(`node/${n.metadata.name}`),
      onUpdate: (old, n) => {
        this.queue.add(`node/${n.metadata.name}`);
        if (JSON.stringify(old.spec?.taints) !== JSON.stringify(n.spec?.taints) || readyStatus(old) !== readyStatus(n)) this.enqueuePodsOn(n.metadata.name!);
      },
      onDelete: (x) => {
        const n = deletedObject(x);
        this.registered.delete(n.metadata.name!);
        this.health.delete(n.metadata.name!);
        this.enqueuePodsOn(n.metadata.name!);
      },
    });
    const onLease = (l: LeaseObject) => this.queue.add(`node/${l.metadata.name}`);
    this.leaseInformer.addEventHandler({ onAdd: onLease, onUpdate: (_o, l) => onLease(l) });
    const onPod = (p: PodObject) => {
      if (!p.spec?.nodeName) return;
      const node = this.nodeInformer.store.get(p.spec.nodeName);
      if (!node || readyStatus(node) !== 'True' || (node.spec?.taints ?? []).some((t) => t.effect === 'NoExecute')) this.queue.add(`pod/${metaNamespaceKey(p)}`);
    };
    this.podInformer.addEventHandler({ onAdd: onPod, onUpdate: (_o, p) => onPod(p) });
  }

  private enqueuePodsOn(node: string): void {
    for (const p of podsOnNode(this.podInformer, node)) this.queue.add(`pod/${metaNamespaceKey(p)}`);
  }

  reconcile(key: string): Promise<void | ReconcileResult> {
    return key.startsWith('node/') ? this.reconcileNode(key.slice(5)) : this.reconcilePod(key.slice(4));
  }

  /** monitorNodeHealth for one node, then its condition taints and its pods' readiness. */
  private async reconcileNode(name: string): Promise<void | ReconcileResult> {
    let node = this.nodeInformer.store.get(name);
    if (!node) return;
    const now = this.clock.now();
    if (!this.registered.has(name)) {
      this.registered.add(name);
      this.opts.recorder.event(node, 'Normal', 'RegisteredNode', `Node ${name} event: Registered Node ${name} in Controller`);
    }
    const lease = this.leaseInformer.store.getByNamespaceName(nodeLeaseNamespace, name);
    const health = observeHealth(this.health.get(name), node, lease, now);
    this.health.set(name, health);
    const staleAt = health.probeTimestamp + this.opts.nodeMonitorGracePeriodMs;
    const wasReady = readyStatus(node);
    if (now >= staleAt) {
      const conditions = unknownConditions(node, now);
      if (conditions) node = await this.client.updateStatus<NodeObject>(nodes, { ...node, status: { ...node.status, conditions } });
    }
    const ready = readyStatus(node);
    if (wasReady === 'True' && ready !== 'True') this.opts.recorder.event(node, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
    const taints = desiredTaints(node, now);
    if (taints) {
      node = await this.client.update<NodeObject>(nodes, { ...node, spec: { ...node.spec, taints: taints.length ? taints : undefined } });
    }
    if (ready !== 'True') await this.markPodsNotReady(name, now);
    if (now < staleAt) return { requeueAfterMs: staleAt - now + 1 };
    // Still silent: look again in a while (kube's node-monitor-period is 5 s).
    return { requeueAfterMs: Math.max(1000, Math.min(5000, this.opts.nodeMonitorGracePeriodMs)) };
  }

  /** MarkPodsNotReady: Ready=False on every pod of a node that is not Ready. */
  private async markPodsNotReady(node: string, now: number): Promise<void> {
    for (const pod of podsOnNode(this.podInformer, node)) {
      if (!isPodReady(pod) || pod.metadata.deletionTimestamp) continue;
      try {
        await patchPodConditions(this.client, pod, [{ type: 'Ready', status: 'False', lastTransitionTime: rfc3339(now) }]);
        this.opts.recorder.event(pod, 'Warning', 'NodeNotReady', 'Node is not ready');
      } catch (err) {
        if (!isStatusError(err, 'NotFound')) throw err;
      }
    }
  }

  /** Taint eviction for a live pod; pod GC for one stuck terminating on a dead node, or bound to a node that is gone. */
  private async reconcilePod(key: string): Promise<void | ReconcileResult> {
    const pod = this.podInformer.store.get(key);
    const nodeName = pod?.spec?.nodeName;
    if (!pod || !nodeName) return;
    const node = this.nodeInformer.store.get(nodeName) ?? (await this.getNode(nodeName));
    const now = this.clock.now();
    const ref = { namespace: pod.metadata.namespace, name: pod.metadata.name! };
    if (!node || (pod.metadata.deletionTimestamp && readyStatus(node) !== 'True')) {
      // A pod on a node that is gone or dead never finishes graceful termination: force-delete it once its grace is up.
      const due = pod.metadata.deletionTimestamp ? Date.parse(pod.metadata.deletionTimestamp) : now;
      if (now < due) return { requeueAfterMs: due - now + 1 };
      await this.deletePod(pod, { ...ref, gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } });
      return;
    }
    if (pod.metadata.deletionTimestamp) return;
    const delay = evictionDelayMs(pod, node.spec?.taints, now);
    if (delay === undefined) return;
    if (delay > 0) return { requeueAfterMs: delay };
    this.opts.recorder.event(pod, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${key}`);
    await this.deletePod(pod, { ...ref, preconditions: { uid: pod.metadata.uid } });
    // Requeue to force-delete once the grace period has run out, should the node stay gone.
    const grace = pod.spec?.terminationGracePeriodSeconds ?? 30;
    return { requeueAfterMs: grace * 1000 + 1000 };
  }

  private async getNode(name: string): Promise<NodeObject | undefined> {
    try {
      return await this.client.get<NodeObject>(nodes, { name });
    } catch (err) {
      if (isStatusError(err, 'NotFound')) return undefined;
      throw err;
    }
  }

  private async deletePod(_pod: PodObject, opts: { namespace?: string; name: string; gracePeriodSeconds?: number; preconditions?: { uid?: string } }): Promise<void> {
    try {
      await this.client.delete(pods, opts);
    } catch (err) {
      if (!isStatusError(err, 'NotFound') && !isStatusError(err, 'Conflict')) throw err;
    }
  }
}
