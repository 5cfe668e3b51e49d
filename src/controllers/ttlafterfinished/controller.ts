/**
 * The TTL-after-finished controller (pkg/controller/ttlafterfinished): deletes a finished Job
 * ttlSecondsAfterFinished after it finished, in the foreground so its pods go first.
 */
import type { Job } from 'kubernetes-types/batch/v1.js';
import type { JobObject } from '../../api/kinds/job.js';
import { findResource } from '../../api/resources.js';
import { isStatusError } from '../../api/status.js';
import { Controller, type ReconcileResult } from '../../client/controller.js';
import type { InformerFactory } from '../../client/informer-factory.js';
import type { SharedInformer } from '../../client/informer.js';
import type { RestClient } from '../../client/rest.js';
import { metaNamespaceKey, splitMetaNamespaceKey } from '../../client/store.js';
import { RateLimitingQueue } from '../../client/workqueue.js';
import { realClock, type Clock } from '../../util/clock.js';

const jobs = findResource('batch', 'v1', 'jobs')!;

/** When the Job finished (completionTime, else the Complete/Failed condition's transition), if it has. */
export function jobFinishTime(job: Job): number | undefined {
  const c = (job.status?.conditions ?? []).find((x) => (x.type === 'Complete' || x.type === 'Failed') && x.status === 'True');
  if (!c) return undefined;
  const t = c.type === 'Complete' && job.status?.completionTime ? job.status.completionTime : c.lastTransitionTime;
  const ms = t ? Date.parse(t) : NaN;
  return Number.isNaN(ms) ? undefined : ms;
}

/** timeLeft: ms until the Job expires (≤ 0: now), or undefined when it never does (yet). */
export function ttlTimeLeft(job: Job, now: number): number | undefined {
  const ttl = job.spec?.ttlSecondsAfterFinished;
  if (ttl == null || job.metadata?.deletionTimestamp) return undefined;
  const finished = jobFinishTime(job);
  if (finished === undefined) return undefined;
  return finished + ttl * 1000 - now;
}

export interface TTLAfterFinishedControllerOptions {
  factory: InformerFactory;
  clock?: Clock;
  workers?: number;
  log?: (message: string) => void;
}

export class TTLAfterFinishedController {
  private readonly queue: RateLimitingQueue<string>;
  private readonly controller: Controller;
  private readonly client: RestClient;
  private readonly clock: Clock;
  private readonly informer: SharedInformer<JobObject>;

  constructor(private readonly opts: TTLAfterFinishedControllerOptions) {
    this.client = opts.factory.client;
    this.clock = opts.clock ?? realClock;
    this.queue = new RateLimitingQueue<string>({ clock: this.clock });
    this.controller = new Controller({ name: 'ttl-after-finished', queue: this.queue, workers: opts.workers ?? 2, log: opts.log, reconcile: (k) => this.reconcile(k) });
    this.informer = opts.factory.informerFor<JobObject>(jobs);
    const enqueue = (job: JobObject) => {
      if (job.spec?.ttlSecondsAfterFinished != null && !job.metadata.deletionTimestamp && jobFinishTime(job) !== undefined) this.queue.add(metaNamespaceKey(job));
    };
    this.informer.addEventHandler({ onAdd: enqueue, onUpdate: (_o, job) => enqueue(job) });
  }

  async run(signal: AbortSignal): Promise<void> {
    if (!(await this.opts.factory.waitForCacheSync(signal))) return;
    await this.controller.run(signal);
  }

  async reconcile(key: string): Promise<void | ReconcileResult> {
    const cached = this.informer.store.get(key);
    if (!cached) return;
    const left = ttlTimeLeft(cached, this.clock.now());
    if (left === undefined) return;
    if (left > 0) return { requeueAfterMs: left };
    // the cache may be stale (the TTL was just changed): check the fresh object before deleting
    const { namespace, name } = splitMetaNamespaceKey(key);
    let fresh: JobObject;
    try {
      fresh = await this.client.get<JobObject>(jobs, { namespace, name });
    } catch (err) {
      if (isStatusError(err, 'NotFound')) return;
      throw err;
    }
    const freshLeft = ttlTimeLeft(fresh, this.clock.now());
    if (freshLeft === undefined) return;
    if (freshLeft > 0) return { requeueAfterMs: freshLeft };
    try {
      await this.client.delete(jobs, { namespace, name, propagationPolicy: 'Foreground', preconditions: { uid: fresh.metadata.uid } });
    } catch (err) {
      if (!isStatusError(err, 'NotFound') && !isStatusError(err, 'Conflict')) throw err;
    }
  }
}
