/**
 * The Job controller's decisions (syncJob / manageJob / trackJobStatusAndRemoveFinalizers of
 * pkg/controller/job), pure: from a Job, the pods it owns and the time, what to write, create and delete.
 */
import type { JobCondition, JobStatus } from 'kubernetes-types/batch/v1.js';
import type { JobObject } from '../../api/kinds/job.js';
import { rfc3339 } from '../../util/clock.js';
import { isPodActive, isPodReady, type PodObject } from '../common/pods.js';
import { matchPodFailurePolicy } from './pod-failure-policy.js';
import {
  backoffRecord,
  completionIndex,
  formatIndexes,
  hasTrackingFinalizer,
  isPodFailed,
  isPodSucceeded,
  isPodTerminating,
  onlyReplaceFailedPods,
  parseIndexes,
  remainingBackoffMs,
  restartCount,
} from './tracking.js';

/** MaxPodCreateDeletePerSync */
export const maxPodCreateDeletePerSync = 500;

export interface JobEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface JobPlan {
  /** uncountedTerminatedPods to record before any finalizer is removed (undefined: nothing new). */
  uncounted?: { succeeded: string[]; failed: string[] };
  /** Finished pods whose batch.kubernetes.io/job-tracking finalizer goes once they are recorded. */
  removeFinalizers: PodObject[];
  /** The status to write after finalizers are removed and pods created/deleted. */
  status: JobStatus;
  /** One entry per pod to create: its completion index (Indexed) or undefined. */
  create: Array<number | undefined>;
  deletePods: PodObject[];
  events: JobEvent[];
  requeueAfterMs?: number;
}

export const reasons = {
  backoffLimitExceeded: { reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' },
  deadlineExceeded: { reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' },
  completionsReached: { reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' },
};

function condition(type: string, reason: string, message: string, now: number, status: 'True' | 'False' = 'True'): JobCondition {
  const t = rfc3339(now);
  return { type, status, lastProbeTime: t, lastTransitionTime: t, reason, message };
}

export function findCondition(conditions: JobCondition[] | undefined, type: string): JobCondition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function isJobFinished(job: JobObject): boolean {
  return (job.status?.conditions ?? []).some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
}

/** Adds or updates a condition (a changed status is a transition). */
function setCondition(list: JobCondition[], c: JobCondition): JobCondition[] {
  const i = list.findIndex((x) => x.type === c.type);
  if (i < 0) return [...list, c];
  const old = list[i]!;
  if (old.status === c.status && old.reason === c.reason && old.message === c.message) return list;
  const next = [...list];
  next[i] = old.status === c.status ? { ...c, lastTransitionTime: old.lastTransitionTime } : c;
  return next;
}

/** Deletion order among active pods: not yet scheduled, then not ready, then the newest (controller.ActivePods). */
function deletionOrder(pods: PodObject[]): PodObject[] {
  const rank = (p: PodObject) => (!p.spec?.nodeName ? 0 : p.status?.phase === 'Pending' ? 1 : !isPodReady(p) ? 2 : 3);
  return [...pods].sort((a, b) => rank(a) - rank(b) || Date.parse(b.metadata.creationTimestamp ?? '') - Date.parse(a.metadata.creationTimestamp ?? ''));
}

export function planJobSync(job: JobObject, pods: PodObject[], now: number): JobPlan {
  const spec = job.spec!;
  const old = job.status ?? {};
  const plan: JobPlan = { removeFinalizers: [], status: {}, create: [], deletePods: [], events: [] };
  const indexed = spec.completionMode === 'Indexed';
  const completions = spec.completions ?? undefined;

  // 1. Account for finished pods: record them as uncounted, then drop their finalizers.
  const uncSucc = new Set(old.uncountedTerminatedPods?.succeeded ?? []);
  const uncFail = new Set(old.uncountedTerminatedPods?.failed ?? []);
  const finishedAlready = isJobFinished(job);
  let changed = false;
  const succeededPods: PodObject[] = [];
  const failedPods: PodObject[] = [];
  let failJob: string | undefined;
  for (const p of pods) {
    const uid = p.metadata.uid ?? '';
    const succeeded = isPodSucceeded(p);
    let failed = !succeeded && isPodFailed(p, job);
    if (failed && spec.podFailurePolicy) {
      const match = matchPodFailurePolicy(spec.podFailurePolicy, p);
      if (match.action === 'FailJob') failJob ??= match.message;
      if (!match.countFailed) {
        // Ignore: not a failure at all; the pod just loses the finalizer (and is replaced)
        failed = false;
        if (hasTrackingFinalizer(p) && !uncFail.has(uid)) plan.removeFinalizers.push(p);
        continue;
      }
    }
    if (succeeded) succeededPods.push(p);
    else if (failed) failedPods.push(p);
    if (!hasTrackingFinalizer(p)) continue;
    if (finishedAlready) {
      // A finished Job counts nothing more; its pods just lose the finalizer.
      if (succeeded || failed || !isPodActive(p)) plan.removeFinalizers.push(p);
      continue;
    }
    if (uncSucc.has(uid) || uncFail.has(uid)) plan.removeFinalizers.push(p);
    else if (succeeded) {
      uncSucc.add(uid);
      changed = true;
      plan.removeFinalizers.push(p);
    } else if (failed) {
      uncFail.add(uid);
      changed = true;
      plan.removeFinalizers.push(p);
    }
  }
  if (changed) plan.uncounted = { succeeded: [...uncSucc], failed: [...uncFail] };
  let failed = (old.failed ?? 0) + uncFail.size;
  let succeeded = (old.succeeded ?? 0) + uncSucc.size;
  let succeededIndexes: Set<number> | undefined;
  if (indexed && completions !== undefined) {
    succeededIndexes = parseIndexes(old.completedIndexes, completions);
    for (const p of succeededPods) {
      const i = completionIndex(p, completions);
      if (i !== undefined && (uncSucc.has(p.metadata.uid ?? '') || !hasTrackingFinalizer(p))) succeededIndexes.add(i);
    }
    succeeded = succeededIndexes.size;
  }
  if (finishedAlready) {
    plan.status = { ...old, uncountedTerminatedPods: {} };
    return plan;
  }

  const activePods = pods.filter((p) => isPodActive(p));
  const terminating = pods.filter(isPodTerminating).length;
  let conditions = [...(old.conditions ?? [])];
  const status: JobStatus = { ...old };
  delete status.uncountedTerminatedPods;

  // 2. Suspension and the start time.
  const suspended = !!spec.suspend;
  const suspendedCond = findCondition(conditions, 'Suspended');
  if (suspended) {
    if (suspendedCond?.status !== 'True') {
      conditions = setCondition(conditions, condition('Suspended', 'JobSuspended', 'Job suspended', now));
      plan.events.push({ type: 'Normal', reason: 'Suspended', message: 'Job suspended' });
    }
    delete status.startTime;
  } else {
    if (suspendedCond?.status === 'True') {
      conditions = setCondition(conditions, condition('Suspended', 'JobResumed', 'Job resumed', now, 'False'));
      plan.events.push({ type: 'Normal', reason: 'Resumed', message: 'Job resumed' });
      status.startTime = rfc3339(now);
    }
    status.startTime ??= rfc3339(now);
  }

  // 3. Has the Job reached a verdict?
  let verdict: { type: 'FailureTarget' | 'SuccessCriteriaMet'; reason: string; message: string } | undefined;
  for (const type of ['FailureTarget', 'SuccessCriteriaMet'] as const) {
    const c = findCondition(conditions, type);
    if (c?.status === 'True') verdict = { type, reason: c.reason ?? '', message: c.message ?? '' };
  }
  const backoffLimit = spec.backoffLimit ?? 6;
  const started = status.startTime ? Date.parse(status.startTime) : undefined;
  const deadlineMs = spec.activeDeadlineSeconds != null && started !== undefined ? started + spec.activeDeadlineSeconds * 1000 : undefined;
  if (!verdict && !suspended) {
    const restarts = spec.template.spec?.restartPolicy === 'OnFailure' ? restartCount(activePods) : 0;
    const pastOnFailure = spec.template.spec?.restartPolicy === 'OnFailure' && (backoffLimit === 0 ? restarts > 0 : restarts >= backoffLimit);
    if (failJob) verdict = { type: 'FailureTarget', reason: 'PodFailurePolicy', message: failJob };
    else if (failed > backoffLimit || pastOnFailure) verdict = { type: 'FailureTarget', ...reasons.backoffLimitExceeded };
    else if (deadlineMs !== undefined && now >= deadlineMs) verdict = { type: 'FailureTarget', ...reasons.deadlineExceeded };
  }

  // 4. Pods to delete and create (manageJob).
  let active = activePods.length;
  if (verdict || suspended) {
    plan.deletePods = activePods.slice(0, maxPodCreateDeletePerSync);
    active -= plan.deletePods.length;
  } else if (indexed && completions !== undefined && succeededIndexes) {
    active = manageIndexed(plan, activePods, pods, succeededIndexes, completions, spec.parallelism ?? 1, onlyReplaceFailedPods(job));
  } else {
    const parallelism = spec.parallelism ?? 1;
    const wantActive = completions === undefined ? (succeeded > 0 ? active : parallelism) : Math.max(0, Math.min(completions - succeeded, parallelism));
    if (active > wantActive) {
      plan.deletePods = deletionOrder(activePods).slice(0, Math.min(active - wantActive, maxPodCreateDeletePerSync));
      active -= plan.deletePods.length;
    } else {
      const diff = wantActive - active - (onlyReplaceFailedPods(job) ? terminating : 0);
      if (diff > 0) plan.create = Array.from({ length: Math.min(diff, maxPodCreateDeletePerSync) }, () => undefined);
    }
  }
  if (plan.create.length > 0) {
    const wait = remainingBackoffMs(backoffRecord(succeededPods, failedPods), now);
    if (wait > 0) {
      plan.create = [];
      plan.requeueAfterMs = wait;
    }
  }
  active += plan.create.length;

  if (!verdict && !suspended) {
    const complete = completions === undefined ? succeeded > 0 && active === 0 : succeeded >= completions && active === 0;
    if (complete) verdict = { type: 'SuccessCriteriaMet', ...reasons.completionsReached };
  }

  // 5. Interim and terminal conditions: the terminal one once no pod is left running.
  if (verdict) {
    conditions = setCondition(conditions, condition(verdict.type, verdict.reason, verdict.message, now));
    if (activePods.length === 0 && terminating === 0) {
      if (verdict.type === 'FailureTarget') {
        conditions = setCondition(conditions, condition('Failed', verdict.reason, verdict.message, now));
        plan.events.push({ type: 'Warning', reason: verdict.reason, message: verdict.message });
      } else {
        conditions = setCondition(conditions, condition('Complete', verdict.reason, verdict.message, now));
        status.completionTime = rfc3339(now);
        plan.events.push({ type: 'Normal', reason: 'Completed', message: 'Job completed' });
      }
    }
  } else if (deadlineMs !== undefined && !suspended) {
    const left = deadlineMs - now;
    plan.requeueAfterMs = plan.requeueAfterMs === undefined ? left : Math.min(plan.requeueAfterMs, left);
  }

  if (active) status.active = active;
  else delete status.active;
  status.ready = activePods.filter((p) => isPodReady(p) && !plan.deletePods.includes(p)).length;
  status.terminating = terminating + plan.deletePods.length;
  if (succeeded) status.succeeded = succeeded;
  else delete status.succeeded;
  if (failed) status.failed = failed;
  else delete status.failed;
  if (succeededIndexes) {
    const s = formatIndexes(succeededIndexes);
    if (s) status.completedIndexes = s;
    else delete status.completedIndexes;
  }
  if (conditions.length) status.conditions = conditions;
  status.uncountedTerminatedPods = {};
  plan.status = status;
  return plan;
}

/** manageJob for completionMode Indexed: one pod per index not yet succeeded, at most parallelism at once. */
function manageIndexed(plan: JobPlan, activePods: PodObject[], pods: PodObject[], succeededIndexes: Set<number>, completions: number, parallelism: number, onlyFailed: boolean): number {
  const keep: PodObject[] = [];
  const seen = new Set<number>();
  for (const p of activePods) {
    const i = completionIndex(p, completions);
    // no valid index, a duplicate, or an index already done: delete
    if (i === undefined || seen.has(i) || succeededIndexes.has(i)) plan.deletePods.push(p);
    else {
      seen.add(i);
      keep.push(p);
    }
  }
  const wantActive = Math.max(0, Math.min(parallelism, completions - succeededIndexes.size));
  if (keep.length > wantActive) {
    const byIndexDesc = [...keep].sort((a, b) => completionIndex(b, completions)! - completionIndex(a, completions)!);
    const extra = byIndexDesc.slice(0, keep.length - wantActive);
    plan.deletePods.push(...extra);
    return keep.length - extra.length;
  }
  const busy = new Set(seen);
  if (onlyFailed) for (const p of pods.filter(isPodTerminating)) busy.add(completionIndex(p, completions) ?? -1);
  for (let i = 0; i < completions && plan.create.length < Math.min(wantActive - keep.length, maxPodCreateDeletePerSync); i++) {
    if (!succeededIndexes.has(i) && !busy.has(i)) plan.create.push(i);
  }
  return keep.length;
}
