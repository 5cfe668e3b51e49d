import type { Deployment } from 'kubernetes-types/apps/v1.js';
import { fromLabelSelector, matches } from '../../api/labels.js';
import { findResource } from '../../api/resources.js';
import { clone, type KubeObject } from '../../api/types.js';
import { Controller, type ReconcileResult } from '../../client/controller.js';
import type { EventRecorder } from '../../client/events.js';
import { deletedObject, type SharedInformer } from '../../client/informer.js';
import type { InformerFactory } from '../../client/informer-factory.js';
import type { RestClient } from '../../client/rest.js';
import { metaNamespaceKey } from '../../client/store.js';
import { RateLimitingQueue } from '../../client/workqueue.js';
import { realClock, type Clock } from '../../util/clock.js';
import { claimObjects } from '../common/claim-objects.js';
import { indexNamespaces, listInNamespace } from '../common/informers.js';
import { controllerRefOf, type PodObject } from '../common/pods.js';
import type { ReplicaSetObject } from '../replicaset/controller.js';
import { getCondition, newCondition, reasons, setCondition, hasProgressDeadline } from './progress.js';
import { DeploymentSync } from './sync.js';
import { desiredReplicasAnnotation, replicasOf } from './util.js';

export const deployments = findResource('apps', 'v1', 'deployments')!;
export const replicasets = findResource('apps', 'v1', 'replicasets')!;
const pods = findResource('', 'v1', 'pods')!;

export type DeploymentObject = Deployment & KubeObject;

export interface DeploymentControllerOptions {
  factory: InformerFactory;
  recorder: EventRecorder;
  clock?: Clock;
  workers?: number;
  log?: (message: string) => void;
}

/** kube-controller-manager's Deployment controller: informers and claiming here, the rollout in sync.ts. */
export class DeploymentController {
  private readonly queue: RateLimitingQueue<string>;
  private readonly controller: Controller;
  private readonly client: RestClient;
  private readonly clock: Clock;
  private readonly dInformer: SharedInformer<DeploymentObject>;
  private readonly rsInformer: SharedInformer<ReplicaSetObject>;
  private readonly podInformer: SharedInformer<PodObject>;

  constructor(private readonly opts: DeploymentControllerOptions) {
    this.client = opts.factory.client;
    this.clock = opts.clock ?? realClock;
    this.queue = new RateLimitingQueue<string>({ clock: this.clock });
    this.controller = new Controller({ name: 'deployment', queue: this.queue, workers: opts.workers ?? 5, log: opts.log, reconcile: (k) => this.reconcile(k) });
    this.dInformer = opts.factory.informerFor<DeploymentObject>(deployments);
    this.rsInformer = opts.factory.informerFor<ReplicaSetObject>(replicasets);
    this.podInformer = opts.factory.informerFor<PodObject>(pods);
    for (const inf of [this.dInformer, this.rsInformer, this.podInformer] as SharedInformer<KubeObject>[]) indexNamespaces(inf);
    const enqueue = (d: KubeObject) => this.queue.add(metaNamespaceKey(d));
    this.dInformer.addEventHandler({ onAdd: enqueue, onUpdate: (_o, d) => enqueue(d), onDelete: (d) => enqueue(deletedObject(d)) });
    this.rsInformer.addEventHandler({
      onAdd: (rs) => this.enqueueForRS(rs),
      onUpdate: (old, rs) => {
        const oldRef = controllerRefOf(old);
        if (oldRef && oldRef.uid !== controllerRefOf(rs)?.uid) this.enqueueForRS(old);
        this.enqueueForRS(rs, JSON.stringify(old.metadata.labels) !== JSON.stringify(rs.metadata.labels));
      },
      onDelete: (rs) => this.enqueueForRS(deletedObject(rs), false),
    });
    // Recreate waits for old pods to be gone.
    this.podInformer.addEventHandler({ onDelete: (p) => this.enqueueForPod(deletedObject(p)) });
  }

  async run(signal: AbortSignal): Promise<void> {
    if (!(await this.opts.factory.waitForCacheSync(signal))) return;
    await this.controller.run(signal);
  }

  private ownerDeployment(obj: KubeObject): DeploymentObject | undefined {
    const ref = controllerRefOf(obj);
    if (!ref || ref.kind !== 'Deployment') return undefined;
    const d = this.dInformer.store.getByNamespaceName(obj.metadata.namespace, ref.name);
    return d?.metadata.uid === ref.uid ? d : undefined;
  }

  private enqueueForRS(rs: ReplicaSetObject, orphanCheck = true): void {
    if (controllerRefOf(rs)) {
      const d = this.ownerDeployment(rs);
      if (d) this.queue.add(metaNamespaceKey(d));
      return;
    }
    if (!orphanCheck) return;
    for (const d of listInNamespace(this.dInformer, rs.metadata.namespace ?? '')) {
      const sel = fromLabelSelector(d.spec?.selector);
      if (matches(sel, rs.metadata.labels)) this.queue.add(metaNamespaceKey(d));
    }
  }

  private enqueueForPod(pod: PodObject): void {
    const ref = controllerRefOf(pod);
    if (!ref || ref.kind !== 'ReplicaSet') return;
    const rs = this.rsInformer.store.getByNamespaceName(pod.metadata.namespace, ref.name);
    if (rs && rs.metadata.uid === ref.uid) this.enqueueForRS(rs, false);
  }

  /** getReplicaSetsForDeployment: adopt matching orphans, release owned ones that stopped matching. */
  private async claimReplicaSets(d: DeploymentObject): Promise<ReplicaSetObject[]> {
    const candidates = listInNamespace(this.rsInformer, d.metadata.namespace ?? '');
    // copies: the cache's objects are not ours to change
    return (await claimObjects({ client: this.client, resource: replicasets, owner: d, candidates })).map((rs) => clone(rs));
  }

  /** Pods by the uid of the ReplicaSet controlling them (getPodMapForDeployment). */
  private podMap(rsList: ReplicaSetObject[]): Map<string, PodObject[]> {
    const map = new Map<string, PodObject[]>(rsList.map((rs) => [rs.metadata.uid!, []]));
    const ns = rsList[0]?.metadata.namespace;
    if (ns === undefined) return map;
    for (const pod of listInNamespace(this.podInformer, ns)) {
      const uid = controllerRefOf(pod)?.uid;
      if (uid && map.has(uid)) map.get(uid)!.push(pod);
    }
    return map;
  }

  async reconcile(key: string): Promise<void | ReconcileResult> {
    const cached = this.dInformer.store.get(key);
    if (!cached) return;
    const d = clone(cached);
    const now = this.clock.now();
    const sync = new DeploymentSync({ client: this.client, recorder: this.opts.recorder, clock: this.clock, deployment: d });
    const sel = d.spec?.selector;
    if (!sel || (!Object.keys(sel.matchLabels ?? {}).length && !(sel.matchExpressions ?? []).length)) {
      this.opts.recorder.event(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      if ((d.status?.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) await sync.writeStatus({ ...d.status, observedGeneration: d.metadata.generation });
      return;
    }
    const rsList = await this.claimReplicaSets(d);
    if (d.metadata.deletionTimestamp) return sync.syncStatusOnly(rsList);
    // checkPausedConditions: Unknown Progressing while paused, so resuming does not time out at once.
    if (hasProgressDeadline(d)) {
      const cond = getCondition(d.status, 'Progressing');
      if (cond?.reason !== reasons.timedOut) {
        const pausedCond = cond?.reason === reasons.paused;
        const status = clone(d.status ?? {});
        if (d.spec?.paused && !pausedCond) setCondition(status, newCondition('Progressing', 'Unknown', reasons.paused, 'Deployment is paused', now));
        else if (!d.spec?.paused && pausedCond) setCondition(status, newCondition('Progressing', 'Unknown', reasons.resumed, 'Deployment is resumed', now));
        if (status !== d.status && JSON.stringify(status) !== JSON.stringify(d.status ?? {})) await sync.writeStatus(status);
      }
    }
    if (d.spec?.paused || this.isScalingEvent(d, rsList)) return sync.sync(rsList);
    if (d.spec?.strategy?.type === 'Recreate') return sync.rolloutRecreate(rsList, this.podMap(rsList));
    return sync.rolloutRolling(rsList);
  }

  /** isScalingEvent: an active ReplicaSet was sized for a different replica count. */
  private isScalingEvent(d: DeploymentObject, rsList: ReplicaSetObject[]): boolean {
    for (const rs of rsList) {
      if (replicasOf(rs) === 0) continue;
      const desired = rs.metadata.annotations?.[desiredReplicasAnnotation];
      if (desired === undefined || !/^\d+$/.test(desired)) continue;
      if (Number(desired) !== replicasOf(d)) return true;
    }
    return false;
  }
}
