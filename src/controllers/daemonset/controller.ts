import type { DaemonSetStatus } from 'kubernetes-types/apps/v1.js';
import { findResource } from '../../api/resources.js';
import { isStatusError } from '../../api/status.js';
import type { ReconcileResult } from '../../client/controller.js';
import { deletedObject, type SharedInformer } from '../../client/informer.js';
import { metaNamespaceKey } from '../../client/store.js';
import { errorMessage } from '../../util/errors.js';
import { claimObjects } from '../common/claim-objects.js';
import { indexNamespaces, listInNamespace } from '../common/informers.js';
import { OwnerController, type OwnerControllerOptions } from '../common/owner-controller.js';
import { controllerRefOf, msUntilAvailable, type PodObject } from '../common/pods.js';
import { controllerRevisions } from '../history/client.js';
import { controllerRevisionHashLabel, templateOf, type RevisionObject } from '../history/revision.js';
import { daemonSetStatus, planManage, planRollingUpdate, type DaemonPlan, type DaemonPlanInput } from './plan.js';
import { newDaemonPod, nodeShouldRunDaemonPod, targetNodeName, type DaemonSetObject, type NodeObject } from './pods.js';
import { cleanupHistory, constructHistory } from './revisions.js';
import { clone } from '../../api/types.js';

export const daemonsets = findResource('apps', 'v1', 'daemonsets')!;
const pods = findResource('', 'v1', 'pods')!;
const nodes = findResource('', 'v1', 'nodes')!;

export type DaemonSetControllerOptions = OwnerControllerOptions;

/** What of a node decides where daemons run: a change to it resyncs every DaemonSet. */
function nodeView(n: NodeObject): string {
  return JSON.stringify([n.metadata.labels, n.spec?.taints, n.spec?.unschedulable]);
}

/** kube-controller-manager's DaemonSet controller: informers and I/O here, decisions in plan.ts. */
export class DaemonSetController extends OwnerController<DaemonSetObject, PodObject> {
  private readonly nodeInformer: SharedInformer<NodeObject>;
  private readonly revInformer: SharedInformer<RevisionObject>;

  constructor(opts: DaemonSetControllerOptions) {
    super(opts, { name: 'daemonset', kind: 'DaemonSet', owner: daemonsets, owned: pods, workers: 2 });
    this.nodeInformer = opts.factory.informerFor<NodeObject>(nodes);
    this.revInformer = opts.factory.informerFor<RevisionObject>(controllerRevisions);
    indexNamespaces(this.revInformer);
    this.wiring.owned.addEventHandler({
      onAdd: (pod) => {
        const ds = this.ownerOf(pod);
        if (ds && !pod.metadata.deletionTimestamp) this.expectations.creationObserved(metaNamespaceKey(ds));
        this.enqueueForPod(pod);
      },
      onUpdate: (old, pod) => {
        if (controllerRefOf(old)?.uid !== controllerRefOf(pod)?.uid) this.enqueueForPod(old);
        this.enqueueForPod(pod);
      },
      onDelete: (p) => {
        const pod = deletedObject(p);
        const ds = this.ownerOf(pod);
        if (ds) this.expectations.deletionObserved(metaNamespaceKey(ds), metaNamespaceKey(pod));
        this.enqueueForPod(pod);
      },
    });
    const all = () => {
      for (const ds of this.wiring.owners.store.list()) this.wiring.queue.add(metaNamespaceKey(ds));
    };
    this.nodeInformer.addEventHandler({ onAdd: all, onUpdate: (old, n) => nodeView(old) !== nodeView(n) && all(), onDelete: all });
  }

  private ownerOf(pod: PodObject): DaemonSetObject | undefined {
    return this.wiring.ownerOf(pod);
  }

  private enqueueForPod(pod: PodObject): void {
    this.wiring.enqueueFor(pod);
  }

  private claimPods(ds: DaemonSetObject): Promise<PodObject[]> {
    return claimObjects({ client: this.client, resource: pods, owner: ds, candidates: listInNamespace(this.wiring.owned, ds.metadata.namespace ?? '') });
  }

  async reconcile(key: string): Promise<void | ReconcileResult> {
    const cached = this.wiring.owners.store.get(key);
    if (!cached) {
      this.expectations.delete(key);
      return;
    }
    const ds = clone(cached);
    const owned = await this.claimPods(ds);
    const ownedRevisions = listInNamespace(this.revInformer, ds.metadata.namespace ?? '').filter((r) => controllerRefOf(r)?.uid === ds.metadata.uid);
    const history = await constructHistory(this.client, ds, ownedRevisions);
    const podsByNode = new Map<string, PodObject[]>();
    for (const pod of owned) {
      const finished = pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
      if (finished && pod.metadata.deletionTimestamp) continue;
      const node = targetNodeName(pod);
      if (!node) continue;
      if (!podsByNode.has(node)) podsByNode.set(node, []);
      podsByNode.get(node)!.push(pod);
    }
    const spec = ds.spec!;
    const now = this.clock.now();
    const input: DaemonPlanInput = {
      nodes: this.nodeInformer.store.list().map((node) => ({ node, ...nodeShouldRunDaemonPod(node, ds) })),
      podsByNode,
      hash: history.hash,
      rollingUpdate: (spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate',
      maxUnavailable: spec.updateStrategy?.rollingUpdate?.maxUnavailable ?? 1,
      maxSurge: spec.updateStrategy?.rollingUpdate?.maxSurge ?? 0,
      minReadySeconds: spec.minReadySeconds ?? 0,
      now,
    };
    let syncError: unknown;
    if (!ds.metadata.deletionTimestamp && this.expectations.satisfied(key)) {
      try {
        let plan = planManage(input);
        if (!plan.createOn.length && !plan.delete.length && input.rollingUpdate) plan = planRollingUpdate(input);
        await this.syncNodes(key, ds, plan, history.current, history.hash);
      } catch (err) {
        syncError = err;
      }
    }
    await this.writeStatus(ds, { ...daemonSetStatus(input), observedGeneration: ds.metadata.generation, collisionCount: history.collisionCount });
    await cleanupHistory(this.client, ds, history, owned.map((p) => p.metadata.labels?.[controllerRevisionHashLabel] ?? ''));
    if (syncError) throw syncError;
    const waits = owned.map((p) => msUntilAvailable(p, spec.minReadySeconds ?? 0, now)).filter((ms): ms is number => ms !== undefined);
    if (waits.length) return { requeueAfterMs: Math.min(...waits) + 100 };
  }

  /** syncNodes: create and delete what the plan says, with expectations so a lagging cache does not double up. */
  private async syncNodes(key: string, ds: DaemonSetObject, plan: DaemonPlan, current: RevisionObject, hash: string): Promise<void> {
    const recorder = this.opts.recorder;
    for (const p of plan.failed) recorder.event(ds, 'Warning', 'FailedDaemonPod', `Found failed daemon pod ${p.metadata.namespace}/${p.metadata.name} on node ${targetNodeName(p)}, will try to kill it`);
    if (!plan.createOn.length && !plan.delete.length) return;
    this.expectations.expect(key, plan.createOn.length, plan.delete.map((p) => metaNamespaceKey(p)));
    const template = templateOf(current);
    let firstError: unknown;
    const creates = await Promise.allSettled(plan.createOn.map((node) => this.client.create<PodObject>(pods, newDaemonPod(ds, template, node, hash))));
    creates.forEach((r) => {
      if (r.status === 'fulfilled') recorder.event(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${r.value.metadata.name}`);
      else {
        this.expectations.creationObserved(key);
        recorder.event(ds, 'Warning', 'FailedCreate', `Error creating: ${errorMessage(r.reason)}`);
        firstError ??= r.reason;
      }
    });
    const deletes = await Promise.allSettled(plan.delete.map((p) => this.client.delete(pods, { namespace: p.metadata.namespace, name: p.metadata.name!, preconditions: { uid: p.metadata.uid } })));
    deletes.forEach((r, i) => {
      const pod = plan.delete[i]!;
      if (r.status === 'fulfilled') recorder.event(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
      else {
        this.expectations.deletionObserved(key, metaNamespaceKey(pod));
        if (isStatusError(r.reason, 'NotFound') || isStatusError(r.reason, 'Conflict')) return;
        recorder.event(ds, 'Warning', 'FailedDelete', `Error deleting: ${errorMessage(r.reason)}`);
        firstError ??= r.reason;
      }
    });
    if (firstError) throw firstError;
  }

  private async writeStatus(ds: DaemonSetObject, status: DaemonSetStatus): Promise<void> {
    const next: DaemonSetStatus = { ...status };
    if (ds.status?.conditions?.length) next.conditions = ds.status.conditions;
    if (!next.collisionCount) delete next.collisionCount;
    for (const k of ['numberAvailable', 'numberUnavailable', 'updatedNumberScheduled'] as const) if (!next[k]) delete next[k];
    const norm = (s: DaemonSetStatus | undefined) => JSON.stringify(Object.fromEntries(Object.entries(s ?? {}).filter(([, v]) => v !== undefined && v !== 0).sort(([a], [b]) => (a < b ? -1 : 1))));
    if (norm(ds.status) === norm(next)) return;
    try {
      await this.client.updateStatus<DaemonSetObject>(daemonsets, { ...ds, status: next });
    } catch (err) {
      if (isStatusError(err, 'Conflict')) this.wiring.queue.add(metaNamespaceKey(ds));
      else if (!isStatusError(err, 'NotFound')) throw err;
    }
  }
}
