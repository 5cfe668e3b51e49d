import type { CronJobObject } from '../../api/kinds/cronjob.js';
import type { JobObject } from '../../api/kinds/job.js';
import { findResource } from '../../api/resources.js';
import { isStatusError } from '../../api/status.js';
import type { ReconcileResult } from '../../client/controller.js';
import type { EventRecorder } from '../../client/events.js';
import { deletedObject } from '../../client/informer.js';
import type { InformerFactory } from '../../client/informer-factory.js';
import type { RestClient } from '../../client/rest.js';
import { metaNamespaceKey } from '../../client/store.js';
import { realClock, type Clock } from '../../util/clock.js';
import { errorMessage } from '../../util/errors.js';
import { listInNamespace } from '../common/informers.js';
import { OwnerWiring } from '../common/owner-wiring.js';
import { controllerRefOf } from '../common/pods.js';
import { sameJSON } from '../job/controller.js';
import { finishedCondition, jobRef, planCronJobSync } from './sync.js';

export const cronjobs = findResource('batch', 'v1', 'cronjobs')!;
const jobs = findResource('batch', 'v1', 'jobs')!;

export interface CronJobControllerOptions {
  factory: InformerFactory;
  recorder: EventRecorder;
  clock?: Clock;
  workers?: number;
  log?: (message: string) => void;
}

/** kube-controller-manager's CronJob controller (controller_v2). */
export class CronJobController {
  private readonly wiring: OwnerWiring<CronJobObject, JobObject>;
  private readonly client: RestClient;
  private readonly clock: Clock;

  constructor(private readonly opts: CronJobControllerOptions) {
    this.client = opts.factory.client;
    this.clock = opts.clock ?? realClock;
    // a schedule or zone change moves the next run: an update is looked at now, the sync requeues itself
    this.wiring = new OwnerWiring({
      name: 'cronjob', kind: 'CronJob', owner: cronjobs, owned: jobs, factory: opts.factory, clock: this.clock, workers: opts.workers ?? 5, log: opts.log,
      reconcile: (k) => this.reconcile(k),
    });
    const onJob = (job: JobObject) => {
      const cj = this.wiring.ownerOf(job);
      if (cj) this.wiring.queue.add(metaNamespaceKey(cj));
    };
    this.wiring.owned.addEventHandler({
      onAdd: onJob,
      onUpdate: (old, job) => {
        if (controllerRefOf(old)?.uid !== controllerRefOf(job)?.uid) onJob(old);
        onJob(job);
      },
      onDelete: (job) => onJob(deletedObject(job)),
    });
  }

  run(signal: AbortSignal): Promise<void> {
    return this.wiring.run(signal);
  }

  private event(cj: CronJobObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.opts.recorder.event(cj, type, reason, message);
  }

  async reconcile(key: string): Promise<void | ReconcileResult> {
    let cj = this.wiring.owners.store.get(key);
    if (!cj) return;
    const uid = cj.metadata.uid;
    const owned = listInNamespace(this.wiring.owned, cj.metadata.namespace ?? '').filter((j) => controllerRefOf(j)?.uid === uid);
    // an unfinished Job missing from the cached active list may be one whose status update the cache has
    // not seen yet: read the CronJob fresh before calling it unexpected (as syncCronJob does)
    if (owned.some((j) => !finishedCondition(j) && !(cj!.status?.active ?? []).some((r) => r.uid === j.metadata.uid))) {
      try {
        const fresh = await this.client.get<CronJobObject>(cronjobs, { namespace: cj.metadata.namespace, name: cj.metadata.name! });
        if (fresh.metadata.uid === uid) cj = fresh;
      } catch (err) {
        if (isStatusError(err, 'NotFound')) return;
        throw err;
      }
    }
    // active references the cache does not know: ask the API server before dropping them
    const gone = new Set<string>();
    for (const r of cj.status?.active ?? []) {
      if (owned.some((j) => j.metadata.uid === r.uid)) continue;
      try {
        await this.client.get<JobObject>(jobs, { namespace: r.namespace ?? cj.metadata.namespace, name: r.name! });
      } catch (err) {
        if (isStatusError(err, 'NotFound')) gone.add(r.uid ?? '');
        else throw err;
      }
    }
    const current = cj;
    const plan = planCronJobSync(current, owned, this.clock.now(), gone);
    for (const e of plan.events) this.event(cj, e.type, e.reason, e.message);
    const status = plan.status;
    for (const r of plan.replace) await this.deleteJob(cj, r.name!, r.namespace ?? cj.metadata.namespace);
    if (plan.create) {
      let created: JobObject | undefined;
      try {
        created = await this.client.create<JobObject>(jobs, plan.create.job);
        this.event(cj, 'Normal', 'SuccessfulCreate', `Created job ${created.metadata.name}`);
      } catch (err) {
        if (!isStatusError(err, 'AlreadyExists')) {
          this.event(cj, 'Warning', 'FailedCreate', `Error creating job: ${errorMessage(err)}`);
          throw err;
        }
        // made before a status update was lost: take it back into the active list if it is ours
        const existing = await this.client.get<JobObject>(jobs, { namespace: cj.metadata.namespace, name: plan.create.job.metadata.name! });
        if (controllerRefOf(existing)?.uid === cj.metadata.uid && !(status.active ?? []).some((r) => r.uid === existing.metadata.uid)) created = existing;
      }
      if (created) status.active = [...(status.active ?? []), jobRef(created)];
      else status.lastScheduleTime = cj.status?.lastScheduleTime;
    }
    if (!sameJSON(cj.status ?? {}, status)) {
      try {
        await this.client.updateStatus<CronJobObject>(cronjobs, { ...cj, status });
      } catch (err) {
        if (!isStatusError(err, 'NotFound')) throw err;
      }
    }
    for (const j of plan.prune) await this.deleteJob(cj, j.metadata.name!, j.metadata.namespace);
    if (plan.requeueAfterMs !== undefined) return { requeueAfterMs: Math.max(plan.requeueAfterMs, 0) };
  }

  /** deleteJob: background deletion, so the garbage collector takes the pods. */
  private async deleteJob(cj: CronJobObject, name: string, namespace: string | undefined): Promise<void> {
    try {
      await this.client.delete(jobs, { namespace, name, propagationPolicy: 'Background' });
      this.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${name}`);
    } catch (err) {
      if (isStatusError(err, 'NotFound')) return;
      this.event(cj, 'Warning', 'FailedDelete', `Deleted job: ${errorMessage(err)}`);
      throw err;
    }
  }
}
