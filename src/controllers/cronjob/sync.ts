/**
 * The CronJob controller's decisions (syncCronJob and cleanupFinishedJobs of pkg/controller/cronjob/
 * controller_v2.go), pure: from a CronJob, the Jobs it owns and the time, what to create, delete and record.
 */
import type { CronJobStatus, JobCondition } from 'kubernetes-types/batch/v1.js';
import type { ObjectReference } from 'kubernetes-types/core/v1.js';
import type { CronJobObject } from '../../api/kinds/cronjob.js';
import { cronJobScheduledTimestampAnnotation, type JobObject } from '../../api/kinds/job.js';
import { rfc3339 } from '../../util/clock.js';
import { isValidTimeZone, parseCronSchedule, type CronSchedule } from '../../util/cron.js';
import { newControllerRef } from '../common/pods.js';
import { jobNameFor, mostRecentScheduleTime, nextScheduleTimeDuration, rfc1123z, rfc3339In } from './schedule.js';
import { clone } from '../../api/types.js';

export interface CronJobEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface CronJobPlan {
  status: CronJobStatus;
  events: CronJobEvent[];
  /** Active Jobs to delete before creating the next one (concurrencyPolicy Replace). */
  replace: ObjectReference[];
  /** The Job to create, and the schedule time it is for. */
  create?: { job: JobObject; scheduledTime: number };
  /** Finished Jobs beyond the history limits, oldest first. */
  prune: JobObject[];
  requeueAfterMs?: number;
}

/** jobutil.FinishedCondition: Complete or Failed, if the Job has finished. */
export function finishedCondition(job: JobObject): 'Complete' | 'Failed' | undefined {
  const c = (job.status?.conditions ?? []).find((x: JobCondition) => (x.type === 'Complete' || x.type === 'Failed') && x.status === 'True');
  return c?.type as 'Complete' | 'Failed' | undefined;
}

export function jobRef(job: JobObject): ObjectReference {
  return { kind: 'Job', namespace: job.metadata.namespace, name: job.metadata.name, uid: job.metadata.uid, apiVersion: 'batch/v1', resourceVersion: job.metadata.resourceVersion };
}

/** getJobFromTemplate2 */
export function jobFromCronJob(cj: CronJobObject, scheduledTime: number): JobObject {
  const t = cj.spec!.jobTemplate;
  const annotations = { ...(t.metadata?.annotations ?? {}) };
  annotations[cronJobScheduledTimestampAnnotation] = rfc3339In(scheduledTime, cj.spec?.timeZone);
  const metadata: JobObject['metadata'] = {
    name: jobNameFor(cj.metadata.name!, scheduledTime),
    namespace: cj.metadata.namespace,
    annotations,
    ownerReferences: [newControllerRef(cj)],
  };
  if (t.metadata?.labels) metadata.labels = { ...t.metadata.labels };
  return { apiVersion: 'batch/v1', kind: 'Job', metadata, spec: clone(t.spec!) } as JobObject;
}

/** The schedule as the controller runs it: the timeZone field, else UTC (skiff's controller manager zone). */
function schedule(cj: CronJobObject, events: CronJobEvent[]): CronSchedule | undefined {
  const spec = cj.spec!;
  if (spec.schedule.includes('TZ')) {
    events.push({ type: 'Warning', reason: 'UnsupportedSchedule', message: `CRON_TZ or TZ used in schedule ${JSON.stringify(spec.schedule)} is not officially supported, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details` });
  }
  try {
    return parseCronSchedule(spec.schedule);
  } catch (err) {
    events.push({ type: 'Warning', reason: 'UnparseableSchedule', message: `unparseable schedule: ${JSON.stringify(spec.schedule)} : ${(err as Error).message}` });
    return undefined;
  }
}

/** byJobStartTime: by status.startTime (unset last), then by name. */
function byStartTime(a: JobObject, b: JobObject): number {
  const sa = a.status?.startTime;
  const sb = b.status?.startTime;
  if (sa && sb && sa !== sb) return Date.parse(sa) - Date.parse(sb);
  if (!sa && sb) return 1;
  if (sa && !sb) return -1;
  return (a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : (a.metadata.name ?? '') > (b.metadata.name ?? '') ? 1 : 0;
}

/** cleanupFinishedJobs / removeOldestJobs */
export function jobsToPrune(cj: CronJobObject, jobs: JobObject[]): JobObject[] {
  const succeeded = jobs.filter((j) => finishedCondition(j) === 'Complete').sort(byStartTime);
  const failed = jobs.filter((j) => finishedCondition(j) === 'Failed').sort(byStartTime);
  const out: JobObject[] = [];
  const limitS = cj.spec?.successfulJobsHistoryLimit;
  const limitF = cj.spec?.failedJobsHistoryLimit;
  if (limitS != null && succeeded.length > limitS) out.push(...succeeded.slice(0, succeeded.length - limitS));
  if (limitF != null && failed.length > limitF) out.push(...failed.slice(0, failed.length - limitF));
  return out;
}

/**
 * One sync. `jobs` are the Jobs controlled by the CronJob (from the cache); `goneActive` holds the uids of
 * active references the API server confirmed missing.
 */
export function planCronJobSync(cj: CronJobObject, jobs: JobObject[], now: number, goneActive: Set<string> = new Set()): CronJobPlan {
  const plan: CronJobPlan = { status: clone(cj.status ?? {}), events: [], replace: [], prune: [] };
  const status = plan.status;
  let active = [...(status.active ?? [])];
  const children = new Set(jobs.map((j) => j.metadata.uid));
  for (const j of jobs) {
    const found = active.some((r) => r.uid === j.metadata.uid);
    const finished = finishedCondition(j);
    if (!found && !finished) {
      plan.events.push({ type: 'Warning', reason: 'UnexpectedJob', message: `Saw a job that the controller did not create or forgot: ${j.metadata.name}` });
    } else if (found && finished) {
      active = active.filter((r) => r.uid !== j.metadata.uid);
      plan.events.push({ type: 'Normal', reason: 'SawCompletedJob', message: `Saw completed job: ${j.metadata.name}, condition: ${finished}` });
    }
    if (finished === 'Complete' && j.status?.completionTime) {
      const last = status.lastSuccessfulTime ? Date.parse(status.lastSuccessfulTime) : undefined;
      if (last === undefined || Date.parse(j.status.completionTime) > last) status.lastSuccessfulTime = j.status.completionTime;
    }
  }
  for (const r of [...active]) {
    if (children.has(r.uid) || !goneActive.has(r.uid ?? '')) continue;
    plan.events.push({ type: 'Normal', reason: 'MissingJob', message: `Active job went missing: ${r.name}` });
    active = active.filter((x) => x.uid !== r.uid);
  }
  const finish = () => {
    if (active.length) status.active = active;
    else delete status.active;
    plan.prune = jobsToPrune(cj, jobs);
    return plan;
  };
  if (cj.metadata.deletionTimestamp) return finish();
  const spec = cj.spec!;
  const tz = spec.timeZone;
  if (tz != null && !isValidTimeZone(tz)) {
    plan.events.push({ type: 'Warning', reason: 'UnknownTimeZone', message: `invalid timeZone: ${JSON.stringify(tz)}: unknown time zone ${tz}` });
    return finish();
  }
  if (spec.suspend) return finish();
  const sched = schedule(cj, plan.events);
  if (!sched) return finish();

  const view = { ...cj, status: { ...status, active } };
  const recent = mostRecentScheduleTime(view, now, sched, tz, true);
  const requeue = () => (plan.requeueAfterMs = nextScheduleTimeDuration(view, now, sched, tz));
  if (recent.error) {
    plan.events.push({ type: 'Warning', reason: 'InvalidSchedule', message: `invalid schedule: ${spec.schedule} : ${recent.error}` });
    return finish();
  }
  const scheduled = recent.mostRecent;
  if (scheduled === undefined || scheduled > now) {
    requeue();
    return finish();
  }
  if (recent.missed === 'many') {
    plan.events.push({ type: 'Warning', reason: 'TooManyMissedTimes', message: 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew' });
  }
  if (spec.startingDeadlineSeconds != null && scheduled + spec.startingDeadlineSeconds * 1000 < now) {
    plan.events.push({ type: 'Warning', reason: 'MissSchedule', message: `Missed scheduled time to start a job: ${rfc1123z(scheduled)}` });
    requeue();
    return finish();
  }
  const name = jobNameFor(cj.metadata.name!, scheduled);
  if (active.some((r) => r.name === name) || (status.lastScheduleTime && Date.parse(status.lastScheduleTime) === scheduled)) {
    requeue();
    return finish();
  }
  if (spec.concurrencyPolicy === 'Forbid' && active.length > 0) {
    plan.events.push({ type: 'Normal', reason: 'JobAlreadyActive', message: 'Not starting job because prior execution is running and concurrency policy is Forbid' });
    requeue();
    return finish();
  }
  if (spec.concurrencyPolicy === 'Replace') {
    plan.replace = active;
    active = [];
  }
  plan.create = { job: jobFromCronJob(cj, scheduled), scheduledTime: scheduled };
  // the controller adds the created Job to status.active and sets lastScheduleTime
  status.lastScheduleTime = rfc3339(scheduled);
  const after = { ...cj, status: { ...status, active } };
  plan.requeueAfterMs = nextScheduleTimeDuration(after, now, sched, tz);
  return finish();
}
