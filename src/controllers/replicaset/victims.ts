/** Which pods a ReplicaSet deletes first when scaling down (controller.ActivePodsWithRanks, getPodsToDelete). */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { isPodReady, podCondition } from '../common/pods.js';

const phaseOrder: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };
export const podDeletionCostAnnotation = 'controller.kubernetes.io/pod-deletion-cost';

function deletionCost(pod: Pod): number {
  const v = Number(pod.metadata?.annotations?.[podDeletionCostAnnotation] ?? 0);
  return Number.isFinite(v) ? v : 0;
}

function restarts(pod: Pod): number {
  return Math.max(0, ...(pod.status?.containerStatuses ?? []).map((c) => c.restartCount ?? 0));
}

function readySince(pod: Pod): number {
  const t = podCondition(pod, 'Ready')?.lastTransitionTime;
  return t ? Date.parse(t) : 0;
}

function created(pod: Pod): number {
  const t = pod.metadata?.creationTimestamp;
  return t ? Date.parse(t) : 0;
}

/** Kube's log-2 bucketing of "ready for" durations so near-equal ages compare equal (LogarithmicScaleDown). */
function logBucket(ms: number): number {
  const s = Math.max(0, Math.floor(ms / 1000));
  return s === 0 ? 0 : Math.floor(Math.log2(s)) + 1;
}

/**
 * Negative when `a` should be deleted before `b`. `rank` is how many pods of the same owner share
 * the pod's node (doubled-up pods go first).
 */
export function compareForDeletion(a: { pod: Pod; rank: number }, b: { pod: Pod; rank: number }, now: number): number {
  const pa = a.pod;
  const pb = b.pod;
  // 1. unassigned < assigned
  const na = pa.spec?.nodeName ? 1 : 0;
  const nb = pb.spec?.nodeName ? 1 : 0;
  if (na !== nb) return na - nb;
  // 2. Pending < Unknown < Running
  const pha = phaseOrder[pa.status?.phase ?? 'Pending'] ?? 0;
  const phb = phaseOrder[pb.status?.phase ?? 'Pending'] ?? 0;
  if (pha !== phb) return pha - phb;
  // 3. not ready < ready
  const ra = isPodReady(pa) ? 1 : 0;
  const rb = isPodReady(pb) ? 1 : 0;
  if (ra !== rb) return ra - rb;
  // 4. lower pod-deletion-cost first
  const ca = deletionCost(pa);
  const cb = deletionCost(pb);
  if (ca !== cb) return ca - cb;
  // 5. doubled up (higher rank) first
  if (a.rank !== b.rank) return b.rank - a.rank;
  // 6. ready for less time first
  if (ra && rb) {
    const ba = logBucket(now - readySince(pa));
    const bb = logBucket(now - readySince(pb));
    if (ba !== bb) return ba - bb;
  }
  // 7. more restarts first
  const xa = restarts(pa);
  const xb = restarts(pb);
  if (xa !== xb) return xb - xa;
  // 8. newer first
  const ta = created(pa);
  const tb = created(pb);
  if (ta !== tb) return tb - ta;
  return (pa.metadata?.name ?? '').localeCompare(pb.metadata?.name ?? '');
}

/** The `count` pods to delete: ranked by how many `related` pods share their node. */
export function podsToDelete<T extends Pod>(pods: T[], related: Pod[], count: number, now: number): T[] {
  if (count <= 0) return [];
  const perNode = new Map<string, number>();
  for (const p of related) {
    const n = p.spec?.nodeName;
    if (n) perNode.set(n, (perNode.get(n) ?? 0) + 1);
  }
  const ranked = pods.map((pod) => ({ pod, rank: pod.spec?.nodeName ? (perNode.get(pod.spec.nodeName) ?? 0) : 0 }));
  ranked.sort((a, b) => compareForDeletion(a, b, now));
  return ranked.slice(0, count).map((r) => r.pod);
}
