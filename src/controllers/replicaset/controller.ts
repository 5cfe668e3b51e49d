import type { ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { findResource } from '../../api/resources.js';
import { isStatusError } from '../../api/status.js';
import { clone, type KubeObject } from '../../api/types.js';
import type { ReconcileResult } from '../../client/controller.js';
import { deletedObject } from '../../client/informer.js';
import { metaNamespaceKey, splitMetaNamespaceKey } from '../../client/store.js';
import { errorMessage } from '../../util/errors.js';
import { claimObjects } from '../common/claim-objects.js';
import { listInNamespace } from '../common/informers.js';
import { OwnerController, type OwnerControllerOptions } from '../common/owner-controller.js';
import { controllerRefOf, isPodActive, isPodReady, newControllerRef, type PodObject } from '../common/pods.js';
import { burstReplicas, calculateReplicaSetStatus, sameStatus, compactStatus, slowStartBatches } from './status.js';
import { podsToDelete } from './victims.js';

export const replicasets = findResource('apps', 'v1', 'replicasets')!;
export const pods = findResource('', 'v1', 'pods')!;

export type ReplicaSetObject = ReplicaSet & KubeObject;

export type ReplicaSetControllerOptions = OwnerControllerOptions;

/** The pod a ReplicaSet creates from its template (controller.GetPodFromTemplate). */
export function podFromTemplate(rs: ReplicaSetObject): PodObject {
  const t = rs.spec?.template ?? {};
  const metadata: KubeObject['metadata'] = {
    generateName: `${rs.metadata.name}-`,
    namespace: rs.metadata.namespace,
    labels: { ...(t.metadata?.labels ?? {}) },
    ownerReferences: [newControllerRef(rs)],
  };
  if (t.metadata?.annotations) metadata.annotations = { ...t.metadata.annotations };
  if (t.metadata?.finalizers) metadata.finalizers = [...t.metadata.finalizers];
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec: clone(t.spec ?? { containers: [] }) } as PodObject;
}

/** kube-controller-manager's ReplicaSet controller. */
export class ReplicaSetController extends OwnerController<ReplicaSetObject, PodObject> {

  constructor(opts: ReplicaSetControllerOptions) {
    super(opts, { name: 'replicaset', kind: 'ReplicaSet', owner: replicasets, owned: pods, workers: 5 });
    this.wiring.owned.addEventHandler({
      onAdd: (pod) => this.addPod(pod),
      onUpdate: (old, pod) => this.updatePod(old, pod),
      onDelete: (pod) => this.deletePod(deletedObject(pod)),
    });
  }

  /** The ReplicaSet a controllerRef points at, if it is in the cache with that uid. */
  private resolveRef(pod: PodObject): ReplicaSetObject | undefined {
    return this.wiring.ownerOf(pod);
  }

  private enqueueMatching(pod: PodObject): void {
    this.wiring.enqueueMatching(pod);
  }

  private addPod(pod: PodObject): void {
    if (pod.metadata.deletionTimestamp) return this.deletePod(pod);
    const ref = controllerRefOf(pod);
    if (ref) {
      const rs = this.resolveRef(pod);
      if (!rs) return;
      this.expectations.creationObserved(metaNamespaceKey(rs));
      this.wiring.queue.add(metaNamespaceKey(rs));
      return;
    }
    this.enqueueMatching(pod);
  }

  private updatePod(old: PodObject, pod: PodObject): void {
    const labelsChanged = JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(pod.metadata.labels ?? {});
    if (pod.metadata.deletionTimestamp) {
      this.deletePod(pod);
      if (labelsChanged) this.deletePod(old);
      return;
    }
    const oldRef = controllerRefOf(old);
    const ref = controllerRefOf(pod);
    if (oldRef && oldRef.uid !== ref?.uid) {
      const oldRS = this.resolveRef(old);
      if (oldRS) this.wiring.queue.add(metaNamespaceKey(oldRS));
    }
    if (ref) {
      const rs = this.resolveRef(pod);
      if (!rs) return;
      const key = metaNamespaceKey(rs);
      this.wiring.queue.add(key);
      const minReady = rs.spec?.minReadySeconds ?? 0;
      if (minReady > 0 && !isPodReady(old) && isPodReady(pod)) this.wiring.queue.addAfter(key, minReady * 1000 + 1000);
      return;
    }
    if (labelsChanged || oldRef) this.enqueueMatching(pod);
  }

  private deletePod(pod: PodObject): void {
    const rs = this.resolveRef(pod);
    if (!rs) return;
    const key = metaNamespaceKey(rs);
    this.expectations.deletionObserved(key, metaNamespaceKey(pod));
    this.wiring.queue.add(key);
  }

  async reconcile(key: string): Promise<void | ReconcileResult> {
    const rs = this.wiring.owners.store.get(key);
    if (!rs) {
      this.expectations.delete(key);
      return;
    }
    const { namespace } = splitMetaNamespaceKey(key);
    const needsSync = this.expectations.satisfied(key) && !rs.metadata.deletionTimestamp;
    const candidates = listInNamespace(this.wiring.owned, namespace).filter(isPodActive);
    const owned = await claimObjects({ client: this.client, resource: pods, owner: rs, candidates });
    let manageError: unknown;
    if (needsSync) {
      try {
        await this.manageReplicas(key, rs, owned);
      } catch (err) {
        manageError = err;
      }
    }
    const now = this.clock.now();
    const status = compactStatus(calculateReplicaSetStatus(rs, owned, now));
    if (!sameStatus(rs.status, status)) {
      try {
        await this.client.updateStatus<ReplicaSetObject>(replicasets, { ...rs, status });
      } catch (err) {
        if (!isStatusError(err, 'NotFound')) throw err;
      }
    }
    if (manageError) throw manageError;
    const minReady = rs.spec?.minReadySeconds ?? 0;
    if (minReady > 0 && status.readyReplicas === (rs.spec?.replicas ?? 1) && status.availableReplicas !== status.readyReplicas) {
      return { requeueAfterMs: minReady * 1000 };
    }
  }

  /** Adopt/release write; a pod that changed or vanished meanwhile is left for the next sync. */
  private async manageReplicas(key: string, rs: ReplicaSetObject, owned: PodObject[]): Promise<void> {
    const diff = owned.length - (rs.spec?.replicas ?? 1);
    const recorder = this.opts.recorder;
    if (diff < 0) {
      const count = Math.min(-diff, burstReplicas);
      this.expectations.expectCreations(key, count);
      let created = 0;
      for (const batch of slowStartBatches(count)) {
        const results = await Promise.allSettled(Array.from({ length: batch }, () => this.client.create<PodObject>(pods, podFromTemplate(rs))));
        let failed = 0;
        for (const r of results) {
          if (r.status === 'fulfilled') recorder.event(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${r.value.metadata.name}`);
          else {
            failed++;
            recorder.event(rs, 'Warning', 'FailedCreate', `Error creating: ${errorMessage(r.reason)}`);
            this.expectations.creationObserved(key);
          }
        }
        created += batch;
        if (failed > 0) {
          // Skip the remaining batches; what was not attempted will not be observed either.
          for (let i = created; i < count; i++) this.expectations.creationObserved(key);
          const first = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
          throw first.reason;
        }
      }
      return;
    }
    if (diff > 0) {
      const count = Math.min(diff, burstReplicas);
      const victims = podsToDelete(owned, this.relatedPods(rs, owned), count, this.clock.now());
      this.expectations.expectDeletions(key, victims.map((p) => metaNamespaceKey(p)));
      const results = await Promise.allSettled(victims.map((p) => this.client.delete(pods, { namespace: p.metadata.namespace, name: p.metadata.name! })));
      let firstError: unknown;
      results.forEach((r, i) => {
        const pod = victims[i];
        if (r.status === 'fulfilled') recorder.event(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
        else {
          this.expectations.deletionObserved(key, metaNamespaceKey(pod));
          if (isStatusError(r.reason, 'NotFound')) return;
          recorder.event(rs, 'Warning', 'FailedDelete', `Error deleting: ${errorMessage(r.reason)}`);
          firstError ??= r.reason;
        }
      });
      if (firstError) throw firstError;
    }
  }

  /** Pods of every ReplicaSet sharing this one's controller (a Deployment's), for spreading-aware ranking. */
  private relatedPods(rs: ReplicaSetObject, owned: PodObject[]): PodObject[] {
    const owner = controllerRefOf(rs);
    if (!owner) return owned;
    const siblings = new Set(
      listInNamespace(this.wiring.owners, rs.metadata.namespace ?? '')
        .filter((r) => controllerRefOf(r)?.uid === owner.uid)
        .map((r) => r.metadata.uid),
    );
    return listInNamespace(this.wiring.owned, rs.metadata.namespace ?? '').filter((p) => isPodActive(p) && siblings.has(controllerRefOf(p)?.uid));
  }
}
