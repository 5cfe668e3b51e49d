/**
 * Pod bookkeeping of the Job controller (pkg/controller/job: backoff_utils.go, indexed_job_utils.go,
 * tracking_utils.go): which pods count as finished, when they finished, the pod failure backoff and
 * completion indexes.
 */
import type { Job } from 'kubernetes-types/batch/v1.js';
import { jobCompletionIndexAnnotation, jobTrackingFinalizer } from '../../api/kinds/job.js';
import { podCondition, type PodObject } from '../common/pods.js';

/** DefaultJobPodFailureBackOff and MaxJobPodFailureBackOff (Kubernetes 1.27+). */
export const defaultPodFailureBackoffMs = 10_000;
export const maxPodFailureBackoffMs = 10 * 60_000;

export function hasTrackingFinalizer(pod: PodObject): boolean {
  return (pod.metadata.finalizers ?? []).includes(jobTrackingFinalizer);
}

export function onlyReplaceFailedPods(job: Job): boolean {
  return job.spec?.podReplacementPolicy === 'Failed' || !!job.spec?.podFailurePolicy;
}

/** isPodFailed: Failed phase, or (unless only failed pods are replaced) deleted before succeeding. */
export function isPodFailed(pod: PodObject, job: Job): boolean {
  if (pod.status?.phase === 'Failed') return true;
  if (onlyReplaceFailedPods(job)) return false;
  return !!pod.metadata.deletionTimestamp && pod.status?.phase !== 'Succeeded';
}

export function isPodSucceeded(pod: PodObject): boolean {
  return pod.status?.phase === 'Succeeded';
}

export function isPodTerminating(pod: PodObject): boolean {
  const phase = pod.status?.phase;
  return !!pod.metadata.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed';
}

function ms(ts: string | undefined | null): number | undefined {
  if (!ts) return undefined;
  const t = Date.parse(ts);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * getFinishedTime: the latest container finishedAt (when all containers terminated), else the Ready=False
 * transition, else deletionTimestamp minus the grace period, else the creation time.
 */
export function podFinishedTime(pod: PodObject): number {
  const statuses = pod.status?.containerStatuses ?? [];
  let latest: number | undefined;
  let all = statuses.length > 0;
  for (const cs of statuses) {
    const t = ms(cs.state?.terminated?.finishedAt);
    if (t === undefined) {
      all = false;
      break;
    }
    if (latest === undefined || t > latest) latest = t;
  }
  if (all && latest !== undefined) return latest;
  const ready = podCondition(pod, 'Ready');
  const readyFalse = ready?.status === 'False' ? ms(ready.lastTransitionTime) : undefined;
  if (readyFalse !== undefined) return readyFalse;
  const del = ms(pod.metadata.deletionTimestamp);
  if (del !== undefined) return del - (pod.metadata.deletionGracePeriodSeconds ?? 0) * 1000;
  return ms(pod.metadata.creationTimestamp) ?? 0;
}

export interface BackoffRecord {
  failuresAfterLastSuccess: number;
  lastFailureTime?: number;
}

/** The backoff record as newBackoffRecord builds it, from every finished pod the Job still has. */
export function backoffRecord(succeeded: PodObject[], failed: PodObject[]): BackoffRecord {
  const lastSuccess = succeeded.reduce<number | undefined>((m, p) => Math.max(m ?? -Infinity, podFinishedTime(p)), undefined);
  const after = failed.map(podFinishedTime).filter((t) => lastSuccess === undefined || t > lastSuccess);
  if (after.length === 0) return { failuresAfterLastSuccess: 0 };
  return { failuresAfterLastSuccess: after.length, lastFailureTime: Math.max(...after) };
}

/** getRemainingTimeForFailuresCount: 10s doubling per failure, capped, minus the time since the last failure. */
export function remainingBackoffMs(record: BackoffRecord, now: number, base = defaultPodFailureBackoffMs, max = maxPodFailureBackoffMs): number {
  if (record.failuresAfterLastSuccess === 0 || record.lastFailureTime === undefined) return 0;
  let backoff = base;
  for (let i = 1; i < record.failuresAfterLastSuccess; i++) {
    backoff *= 2;
    if (backoff >= max) {
      backoff = max;
      break;
    }
  }
  const elapsed = now - record.lastFailureTime;
  return backoff < elapsed ? 0 : backoff - elapsed;
}

/** The pod's completion index from its annotation, or undefined when absent or out of range. */
export function completionIndex(pod: PodObject, completions: number): number | undefined {
  const v = pod.metadata.annotations?.[jobCompletionIndexAnnotation];
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  const i = Number(v);
  return i < completions ? i : undefined;
}

/** Parses status.completedIndexes (`1,3-5,7`). */
export function parseIndexes(s: string | undefined, completions: number): Set<number> {
  const out = new Set<number>();
  for (const part of (s ?? '').split(',')) {
    if (!part) continue;
    const [a, b] = part.split('-');
    const lo = Number(a);
    const hi = b === undefined ? lo : Number(b);
    if (!Number.isInteger(lo) || !Number.isInteger(hi)) continue;
    for (let i = lo; i <= hi && i < completions; i++) out.add(i);
  }
  return out;
}

/** Formats indexes as intervals (`1,3-5,7`), the form of status.completedIndexes. */
export function formatIndexes(indexes: Iterable<number>): string {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** Sum of container restarts of the active pods (pastBackoffLimitOnFailure for restartPolicy OnFailure). */
export function restartCount(pods: PodObject[]): number {
  let n = 0;
  for (const p of pods) {
    for (const cs of [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])]) n += cs.restartCount ?? 0;
  }
  return n;
}
