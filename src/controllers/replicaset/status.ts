/** ReplicaSet status as calculateStatus computes it, and the slow-start batch sizes. */
import type { ReplicaSet, ReplicaSetStatus } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { isPodAvailable, isPodReady } from '../common/pods.js';

/** The most pods a ReplicaSet creates or deletes in one sync (kube's burstReplicas). */
export const burstReplicas = 500;

export function calculateReplicaSetStatus(rs: ReplicaSet, activePods: Pod[], now: number): ReplicaSetStatus {
  const templateLabels = rs.spec?.template?.metadata?.labels ?? {};
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  for (const pod of activePods) {
    const labels = pod.metadata?.labels ?? {};
    if (Object.entries(templateLabels).every(([k, v]) => labels[k] === v)) fullyLabeled++;
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, rs.spec?.minReadySeconds ?? 0, now)) available++;
    }
  }
  const status: ReplicaSetStatus = {
    replicas: activePods.length,
    fullyLabeledReplicas: fullyLabeled,
    readyReplicas: ready,
    availableReplicas: available,
    observedGeneration: rs.metadata?.generation,
  };
  if (rs.status?.conditions?.length) status.conditions = rs.status.conditions;
  return status;
}

/** Kube omits zero counts (omitempty): compare and write statuses in that shape. */
export function compactStatus(s: ReplicaSetStatus): ReplicaSetStatus {
  const out: ReplicaSetStatus = { replicas: s.replicas ?? 0 };
  if (s.fullyLabeledReplicas) out.fullyLabeledReplicas = s.fullyLabeledReplicas;
  if (s.readyReplicas) out.readyReplicas = s.readyReplicas;
  if (s.availableReplicas) out.availableReplicas = s.availableReplicas;
  if (s.observedGeneration !== undefined) out.observedGeneration = s.observedGeneration;
  if (s.conditions?.length) out.conditions = s.conditions;
  return out;
}

export function sameStatus(a: ReplicaSetStatus | undefined, b: ReplicaSetStatus): boolean {
  return JSON.stringify(compactStatus(a ?? { replicas: 0 })) === JSON.stringify(compactStatus(b));
}

/** Batch sizes 1, 2, 4, … totalling `count` (slowStartBatch's schedule). */
export function slowStartBatches(count: number, initial = 1): number[] {
  const out: number[] = [];
  let remaining = count;
  for (let size = Math.min(remaining, initial); size > 0; size = Math.min(2 * size, remaining)) {
    out.push(size);
    remaining -= size;
  }
  return out;
}
