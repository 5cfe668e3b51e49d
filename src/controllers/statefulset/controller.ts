import type { StatefulSetStatus } from 'kubernetes-types/apps/v1.js';
import { findResource } from '../../api/resources.js';
import { isStatusError } from '../../api/status.js';
import { clone, type KubeObject } from '../../api/types.js';
import type { ReconcileResult } from '../../client/controller.js';
import type { EventRecorder } from '../../client/events.js';
import { deletedObject, type SharedInformer } from '../../client/informer.js';
import type { InformerFactory } from '../../client/informer-factory.js';
import type { ResourceType, RestClient } from '../../client/rest.js';
import { metaNamespaceKey } from '../../client/store.js';
import { realClock, type Clock } from '../../util/clock.js';
import { errorMessage } from '../../util/errors.js';
import { claimObjects } from '../common/claim-objects.js';
import { indexNamespaces, listInNamespace } from '../common/informers.js';
import { OwnerWiring } from '../common/owner-wiring.js';
import { controllerRefOf, msUntilAvailable, type PodObject } from '../common/pods.js';
import { controllerRevisions } from '../history/client.js';
import { templateOf, type RevisionObject } from '../history/revision.js';
import { claimsFor, isMemberOf, newStatefulSetPod, ordinalOf, podRevision, startOrdinal, type ClaimObject, type StatefulSetObject } from './identity.js';
import { planStatefulSet, type Action } from './plan.js';
import { statefulSetRevisions, truncateHistory, type SetRevisions } from './revisions.js';

export const statefulsets = findResource('apps', 'v1', 'statefulsets')!;
const pods = findResource('', 'v1', 'pods')!;
/** Served by the volumes work; when the API does not know it, claims are skipped (and said so in an event). */
const persistentVolumeClaims: ResourceType = { group: '', version: 'v1', resource: 'persistentvolumeclaims', namespaced: true };

export interface StatefulSetControllerOptions {
  factory: InformerFactory;
  recorder: EventRecorder;
  clock?: Clock;
  workers?: number;
  log?: (message: string) => void;
}

/** kube-controller-manager's StatefulSet controller: informers and I/O here, the decisions in plan.ts. */
export class StatefulSetController {
  private readonly wiring: OwnerWiring<StatefulSetObject, PodObject>;
  private readonly client: RestClient;
  private readonly clock: Clock;
  private readonly revInformer: SharedInformer<RevisionObject>;
  private claimsUnsupported = false;

  constructor(private readonly opts: StatefulSetControllerOptions) {
    this.client = opts.factory.client;
    this.clock = opts.clock ?? realClock;
    this.wiring = new OwnerWiring({
      name: 'statefulset', kind: 'StatefulSet', owner: statefulsets, owned: pods, factory: opts.factory, clock: this.clock, workers: opts.workers ?? 3, log: opts.log,
      reconcile: (k) => this.reconcile(k),
    });
    this.revInformer = opts.factory.informerFor<RevisionObject>(controllerRevisions);
    indexNamespaces(this.revInformer);
    const onPod = (pod: PodObject) => this.enqueueForPod(pod);
    this.wiring.owned.addEventHandler({
      onAdd: onPod,
      onUpdate: (old, pod) => {
        if (controllerRefOf(old)?.uid !== controllerRefOf(pod)?.uid) this.enqueueForPod(old);
        this.enqueueForPod(pod);
      },
      onDelete: (p) => this.enqueueForPod(deletedObject(p)),
    });
  }

  run(signal: AbortSignal): Promise<void> {
    return this.wiring.run(signal);
  }

  private enqueueForPod(pod: PodObject): void {
    this.wiring.enqueueFor(pod);
  }

  /** getPodsForStatefulSet: owned pods, adopting orphans that match and are members, releasing the rest. */
  private claimPods(set: StatefulSetObject): Promise<PodObject[]> {
    const candidates = listInNamespace(this.wiring.owned, set.metadata.namespace ?? '');
    return claimObjects({ client: this.client, resource: pods, owner: set, candidates, filter: (pod) => isMemberOf(set, pod) });
  }

  async reconcile(key: string): Promise<void | ReconcileResult> {
    const cached = this.wiring.owners.store.get(key);
    if (!cached) return;
    const set = clone(cached);
    const owned = await this.claimPods(set);
    const ownedRevisions = listInNamespace(this.revInformer, set.metadata.namespace ?? '').filter((r) => controllerRefOf(r)?.uid === set.metadata.uid);
    const revs = await statefulSetRevisions(this.client, set, ownedRevisions);
    const spec = set.spec!;
    const rolling = (spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
    const now = this.clock.now();
    const plan = planStatefulSet({
      replicas: spec.replicas ?? 1,
      startOrdinal: startOrdinal(set),
      monotonic: (spec.podManagementPolicy ?? 'OrderedReady') === 'OrderedReady',
      rollingUpdate: rolling,
      partition: spec.updateStrategy?.rollingUpdate?.partition ?? 0,
      minReadySeconds: spec.minReadySeconds ?? 0,
      pods: owned,
      currentRevision: revs.current.metadata.name!,
      updateRevision: revs.update.metadata.name!,
      deleting: !!set.metadata.deletionTimestamp,
      now,
    });
    let actionError: unknown;
    try {
      await Promise.all(plan.actions.map((a) => this.execute(set, revs, a)));
    } catch (err) {
      actionError = err;
    }
    await this.writeStatus(set, { ...plan.status, collisionCount: revs.collisionCount, observedGeneration: set.metadata.generation });
    await truncateHistory(this.client, set, revs, owned.map(podRevision));
    if (actionError) throw actionError;
    const waits = owned.map((p) => msUntilAvailable(p, spec.minReadySeconds ?? 0, now)).filter((ms): ms is number => ms !== undefined);
    if (waits.length) return { requeueAfterMs: Math.min(...waits) + 100 };
  }

  private async execute(set: StatefulSetObject, revs: SetRevisions, action: Action): Promise<void> {
    const recorder = this.opts.recorder;
    const name = set.metadata.name!;
    if (action.type === 'create') {
      const rev = action.revision === revs.current.metadata.name ? revs.current : revs.update;
      const pod = newStatefulSetPod(set, templateOf(rev), action.ordinal, action.revision);
      await this.createClaims(set, pod, action.ordinal);
      try {
        await this.client.create<PodObject>(pods, pod);
        recorder.event(set, 'Normal', 'SuccessfulCreate', `create Pod ${pod.metadata.name} in StatefulSet ${name} successful`);
      } catch (err) {
        if (isStatusError(err, 'AlreadyExists')) return; // the cache has not seen it yet
        recorder.event(set, 'Warning', 'FailedCreate', `create Pod ${pod.metadata.name} in StatefulSet ${name} failed error: ${errorMessage(err)}`);
        throw err;
      }
      return;
    }
    const pod = action.pod;
    if (action.reason === 'failed') recorder.event(set, 'Warning', 'RecreatingFailedPod', `StatefulSet ${set.metadata.namespace}/${name} is recreating failed Pod ${pod.metadata.name}`);
    if (action.reason === 'condemned' && set.spec?.persistentVolumeClaimRetentionPolicy?.whenScaled === 'Delete') await this.claimsOwnedByPod(set, pod);
    try {
      await this.client.delete(pods, { namespace: pod.metadata.namespace, name: pod.metadata.name!, preconditions: { uid: pod.metadata.uid } });
      recorder.event(set, 'Normal', 'SuccessfulDelete', `delete Pod ${pod.metadata.name} in StatefulSet ${name} successful`);
    } catch (err) {
      if (isStatusError(err, 'NotFound') || isStatusError(err, 'Conflict')) return;
      recorder.event(set, 'Warning', 'FailedDelete', `delete Pod ${pod.metadata.name} in StatefulSet ${name} failed error: ${errorMessage(err)}`);
      throw err;
    }
  }

  /** createPersistentVolumeClaims: each claim the pod mounts exists before the pod. */
  private async createClaims(set: StatefulSetObject, pod: PodObject, ordinal: number): Promise<void> {
    const claims = claimsFor(set, ordinal);
    if (!claims.length || this.claimsUnsupported) return;
    // persistentVolumeClaimRetentionPolicy.whenDeleted: Delete makes the set an owner, so the GC removes the claims with it
    const ownedBySet = set.spec?.persistentVolumeClaimRetentionPolicy?.whenDeleted === 'Delete';
    for (const claim of claims) {
      if (ownedBySet) claim.metadata.ownerReferences = [ownerRef(set)];
      try {
        await this.client.create(persistentVolumeClaims, claim);
        this.opts.recorder.event(set, 'Normal', 'SuccessfulCreate', `create Claim ${claim.metadata.name} Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} success`);
      } catch (err) {
        if (isStatusError(err, 'AlreadyExists')) continue;
        if (isStatusError(err, 'NotFound')) {
          // this API server does not serve PersistentVolumeClaims: the pod runs without its claims
          this.claimsUnsupported = true;
          this.opts.log?.(`statefulset: persistentvolumeclaims are not served; ${set.metadata.namespace}/${set.metadata.name} pods start without their claims`);
          this.opts.recorder.event(set, 'Warning', 'FailedCreate', `create Claim ${claim.metadata.name} for Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${errorMessage(err)}`);
          return;
        }
        this.opts.recorder.event(set, 'Warning', 'FailedCreate', `create Claim ${claim.metadata.name} for Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${errorMessage(err)}`);
        throw err;
      }
    }
  }

  /** whenScaled: Delete: a condemned pod becomes the owner of its claims, which go with it. */
  private async claimsOwnedByPod(set: StatefulSetObject, pod: PodObject): Promise<void> {
    if (this.claimsUnsupported) return;
    for (const { metadata } of claimsFor(set, ordinalOf(pod))) {
      try {
        const claim = await this.client.get<ClaimObject>(persistentVolumeClaims, { namespace: metadata.namespace, name: metadata.name! });
        if (claim.metadata.ownerReferences?.some((r) => r.uid === pod.metadata.uid)) continue;
        claim.metadata.ownerReferences = [...(claim.metadata.ownerReferences ?? []), ownerRef(pod)];
        await this.client.update(persistentVolumeClaims, claim);
      } catch (err) {
        if (!isStatusError(err, 'NotFound') && !isStatusError(err, 'Conflict')) throw err;
      }
    }
  }

  private async writeStatus(set: StatefulSetObject, next: StatefulSetStatus): Promise<void> {
    const status: StatefulSetStatus = { ...next };
    if (set.status?.conditions?.length) status.conditions = set.status.conditions;
    for (const k of ['readyReplicas', 'currentReplicas', 'updatedReplicas'] as const) if (!status[k]) delete status[k];
    if (JSON.stringify(compact(set.status)) === JSON.stringify(compact(status))) return;
    try {
      await this.client.updateStatus<StatefulSetObject>(statefulsets, { ...set, status });
    } catch (err) {
      if (!isStatusError(err, 'NotFound') && !isStatusError(err, 'Conflict')) throw err;
      if (isStatusError(err, 'Conflict')) this.wiring.queue.add(metaNamespaceKey(set));
    }
  }
}

/** A plain (non-controller) owner reference, as the claim retention policy sets them. */
function ownerRef(owner: KubeObject): { apiVersion: string; kind: string; name: string; uid: string } {
  return { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name!, uid: owner.metadata.uid! };
}

function compact(s: StatefulSetStatus | undefined): unknown {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(s ?? {}).sort()) {
    const v = (s as unknown as Record<string, unknown>)[k];
    if (v !== undefined && v !== 0) out[k] = v;
  }
  return out;
}
