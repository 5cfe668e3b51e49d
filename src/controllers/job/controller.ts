import { jobTrackingFinalizer, type JobObject } from '../../api/kinds/job.js';
import { findResource } from '../../api/resources.js';
import { isStatusError } from '../../api/status.js';
import type { ReconcileResult } from '../../client/controller.js';
import { deletedObject } from '../../client/informer.js';
import { metaNamespaceKey, splitMetaNamespaceKey } from '../../client/store.js';
import { errorMessage } from '../../util/errors.js';
import { claimObjects } from '../common/claim-objects.js';
import { listInNamespace } from '../common/informers.js';
import { OwnerController, type OwnerControllerOptions } from '../common/owner-controller.js';
import { controllerRefOf, type PodObject } from '../common/pods.js';
import { slowStartBatches } from '../replicaset/status.js';
import { podFromJob } from './pod-template.js';
import { isJobFinished, planJobSync } from './sync.js';
import { hasTrackingFinalizer } from './tracking.js';

/** Deep equality of JSON values regardless of key order. */
export function sameJSON(a: unknown, b: unknown): boolean {
  const canon = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(canon) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon((v as Record<string, unknown>)[k])])) : v;
  return JSON.stringify(canon(a)) === JSON.stringify(canon(b));
}

export const jobs = findResource('batch', 'v1', 'jobs')!;
const pods = findResource('', 'v1', 'pods')!;
const orphanPrefix = 'orphan-pod:';

export type JobControllerOptions = OwnerControllerOptions;

/** kube-controller-manager's Job controller. */
export class JobController extends OwnerController<JobObject, PodObject> {

  constructor(opts: JobControllerOptions) {
    super(opts, { name: 'job', kind: 'Job', owner: jobs, owned: pods, workers: 5 });
    this.wiring.owned.addEventHandler({
      onAdd: (pod) => this.onPod(pod, true),
      onUpdate: (old, pod) => {
        const oldRef = controllerRefOf(old);
        if (oldRef && oldRef.uid !== controllerRefOf(pod)?.uid) this.onPod(old, false);
        this.onPod(pod, false);
      },
      onDelete: (pod) => this.onPodDeleted(deletedObject(pod)),
    });
  }

  private jobOf(pod: PodObject): JobObject | undefined {
    return this.wiring.ownerOf(pod);
  }

  private onPod(pod: PodObject, added: boolean): void {
    const job = this.jobOf(pod);
    if (!job) {
      // a pod still holding our finalizer with no Job left to count it
      if (hasTrackingFinalizer(pod)) this.wiring.queue.add(orphanPrefix + metaNamespaceKey(pod));
      if (!controllerRefOf(pod)) this.enqueueMatching(pod);
      return;
    }
    const key = metaNamespaceKey(job);
    if (added) this.expectations.creationObserved(key);
    // a pod being deleted counts as deleted: the tracking finalizer keeps it until the sync that counts it
    if (pod.metadata.deletionTimestamp) this.expectations.deletionObserved(key, metaNamespaceKey(pod));
    this.wiring.queue.add(key);
  }

  private onPodDeleted(pod: PodObject): void {
    const job = this.jobOf(pod);
    if (!job) return;
    const key = metaNamespaceKey(job);
    this.expectations.deletionObserved(key, metaNamespaceKey(pod));
    this.wiring.queue.add(key);
  }

  private enqueueMatching(pod: PodObject): void {
    this.wiring.enqueueMatching(pod);
  }

  async reconcile(key: string): Promise<void | ReconcileResult> {
    if (key.startsWith(orphanPrefix)) return this.reconcileOrphan(key.slice(orphanPrefix.length));
    const job = this.wiring.owners.store.get(key);
    if (!job) {
      this.expectations.delete(key);
      return;
    }
    if (job.metadata.deletionTimestamp && !isJobFinished(job)) {
      // being deleted: the garbage collector removes the pods; only release their finalizers
      for (const p of this.ownedPods(job)) if (hasTrackingFinalizer(p) && (p.metadata.deletionTimestamp || p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed')) await this.removeFinalizer(p);
      return;
    }
    const owned = await this.claimPods(job);
    if (!this.expectations.satisfied(key)) return; // wait for the informer to see our last creations/deletions
    const plan = planJobSync(job, owned, this.clock.now());
    let current = job;
    if (plan.uncounted) current = await this.writeStatus({ ...current, status: { ...current.status, uncountedTerminatedPods: plan.uncounted } });
    const results = await Promise.allSettled(plan.removeFinalizers.map((p) => this.removeFinalizer(p)));
    const failedRemoval = results.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
    if (failedRemoval) throw failedRemoval.reason; // the uncounted record stays; the next sync finishes it
    await this.deletePods(key, job, plan.deletePods);
    await this.createPods(key, job, plan.create);
    if (!sameJSON(current.status ?? {}, plan.status)) {
      await this.writeStatus({ ...current, status: plan.status });
      for (const e of plan.events) this.opts.recorder.event(job, e.type, e.reason, e.message);
    }
    if (plan.requeueAfterMs !== undefined) return { requeueAfterMs: Math.max(plan.requeueAfterMs, 100) };
  }

  private ownedPods(job: JobObject): PodObject[] {
    return listInNamespace(this.wiring.owned, job.metadata.namespace ?? '').filter((p) => controllerRefOf(p)?.uid === job.metadata.uid);
  }

  /** Owned pods after adoption and release (ControllerRefManager.ClaimPods), finished ones included. */
  private claimPods(job: JobObject): Promise<PodObject[]> {
    return claimObjects({ client: this.client, resource: pods, owner: job, candidates: listInNamespace(this.wiring.owned, job.metadata.namespace ?? '') });
  }

  private async writeStatus(job: JobObject): Promise<JobObject> {
    try {
      return await this.client.updateStatus<JobObject>(jobs, job);
    } catch (err) {
      if (isStatusError(err, 'NotFound')) return job;
      throw err;
    }
  }

  private async removeFinalizer(pod: PodObject): Promise<void> {
    const i = (pod.metadata.finalizers ?? []).indexOf(jobTrackingFinalizer);
    if (i < 0) return;
    try {
      await this.client.patch(pods, {
        namespace: pod.metadata.namespace,
        name: pod.metadata.name!,
        type: 'json',
        patch: [
          { op: 'test', path: `/metadata/finalizers/${i}`, value: jobTrackingFinalizer },
          { op: 'remove', path: `/metadata/finalizers/${i}` },
        ],
      });
    } catch (err) {
      if (!isStatusError(err, 'NotFound')) throw err;
    }
  }

  private async reconcileOrphan(podKey: string): Promise<void> {
    const pod = this.wiring.owned.store.get(podKey);
    if (!pod || !hasTrackingFinalizer(pod) || this.jobOf(pod)) return;
    const ref = controllerRefOf(pod);
    // a pod of a Job we have not seen yet is left alone unless it is finished or going away
    if (ref && !pod.metadata.deletionTimestamp && pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed') {
      const { namespace } = splitMetaNamespaceKey(podKey);
      try {
        await this.client.get<JobObject>(jobs, { namespace, name: ref.name });
        return;
      } catch (err) {
        if (!isStatusError(err, 'NotFound')) throw err;
      }
    }
    await this.removeFinalizer(pod);
  }

  private async deletePods(key: string, job: JobObject, victims: PodObject[]): Promise<void> {
    if (!victims.length) return;
    this.expectations.expectDeletions(key, victims.map((p) => metaNamespaceKey(p)));
    const results = await Promise.allSettled(victims.map((p) => this.client.delete(pods, { namespace: p.metadata.namespace, name: p.metadata.name! })));
    let firstError: unknown;
    results.forEach((r, i) => {
      const pod = victims[i]!;
      if (r.status === 'fulfilled') this.opts.recorder.event(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
      else {
        this.expectations.deletionObserved(key, metaNamespaceKey(pod));
        if (isStatusError(r.reason, 'NotFound')) return;
        this.opts.recorder.event(job, 'Warning', 'FailedDelete', `Error deleting: ${errorMessage(r.reason)}`);
        firstError ??= r.reason;
      }
    });
    if (firstError) throw firstError;
  }

  private async createPods(key: string, job: JobObject, indexes: Array<number | undefined>): Promise<void> {
    if (!indexes.length) return;
    this.expectations.expectCreations(key, indexes.length);
    let done = 0;
    for (const size of slowStartBatches(indexes.length)) {
      const batch = indexes.slice(done, done + size);
      const results = await Promise.allSettled(batch.map((i) => this.client.create<PodObject>(pods, podFromJob(job, i))));
      done += size;
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      for (const r of results) {
        if (r.status === 'fulfilled') this.opts.recorder.event(job, 'Normal', 'SuccessfulCreate', `Created pod: ${r.value.metadata.name}`);
        else {
          this.expectations.creationObserved(key);
          this.opts.recorder.event(job, 'Warning', 'FailedCreate', `Error creating: ${errorMessage(r.reason)}`);
        }
      }
      if (failed.length) {
        for (let i = done; i < indexes.length; i++) this.expectations.creationObserved(key);
        throw failed[0]!.reason;
      }
    }
  }
}
