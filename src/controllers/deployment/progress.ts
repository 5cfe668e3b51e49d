/** Deployment status and conditions (sync.go calculateStatus, progress.go, util's condition helpers). */
import type { Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { rfc3339 } from '../../util/clock.js';
import { maxUnavailable, replicasOf, specReplicas, statusCount } from './util.js';

export const reasons = {
  replicaSetUpdated: 'ReplicaSetUpdated',
  newRSAvailable: 'NewReplicaSetAvailable',
  timedOut: 'ProgressDeadlineExceeded',
  newReplicaSet: 'NewReplicaSetCreated',
  foundNewRS: 'FoundNewReplicaSet',
  paused: 'DeploymentPaused',
  resumed: 'DeploymentResumed',
  minimumAvailable: 'MinimumReplicasAvailable',
  minimumUnavailable: 'MinimumReplicasUnavailable',
} as const;

export function getCondition(status: DeploymentStatus | undefined, type: string): DeploymentCondition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

export function newCondition(type: string, status: string, reason: string, message: string, now: number): DeploymentCondition {
  const t = rfc3339(now);
  return { type, status, reason, message, lastUpdateTime: t, lastTransitionTime: t };
}

/** SetDeploymentCondition: same status and reason → no change; same status → keep lastTransitionTime. */
export function setCondition(status: DeploymentStatus, cond: DeploymentCondition): void {
  const cur = getCondition(status, cond.type);
  if (cur && cur.status === cond.status && cur.reason === cond.reason) return;
  if (cur && cur.status === cond.status) cond = { ...cond, lastTransitionTime: cur.lastTransitionTime };
  status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== cond.type), cond];
}

export function removeCondition(status: DeploymentStatus, type: string): void {
  status.conditions = (status.conditions ?? []).filter((c) => c.type !== type);
  if (status.conditions.length === 0) delete status.conditions;
}

export function hasProgressDeadline(d: Deployment): boolean {
  const p = d.spec?.progressDeadlineSeconds;
  return p !== undefined && p !== null && p !== 2147483647;
}

export function calculateStatus(d: Deployment, all: ReplicaSet[], newRS: ReplicaSet | undefined, now: number): DeploymentStatus {
  const available = statusCount(all, 'availableReplicas');
  const status: DeploymentStatus = {
    observedGeneration: d.metadata?.generation,
    replicas: statusCount(all, 'replicas'),
    updatedReplicas: statusCount([newRS], 'replicas'),
    readyReplicas: statusCount(all, 'readyReplicas'),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, specReplicas(all) - available),
  };
  if (d.status?.collisionCount !== undefined) status.collisionCount = d.status.collisionCount;
  if (d.status?.conditions) status.conditions = d.status.conditions.map((c) => ({ ...c }));
  if (available >= replicasOf(d) - maxUnavailable(d)) {
    setCondition(status, newCondition('Available', 'True', reasons.minimumAvailable, 'Deployment has minimum availability.', now));
  } else {
    setCondition(status, newCondition('Available', 'False', reasons.minimumUnavailable, 'Deployment does not have minimum availability.', now));
  }
  return status;
}

export function deploymentComplete(d: Deployment, s: DeploymentStatus): boolean {
  const want = replicasOf(d);
  return (s.updatedReplicas ?? 0) === want && (s.replicas ?? 0) === want && (s.availableReplicas ?? 0) === want && (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0);
}

function deploymentProgressing(d: Deployment, s: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (s.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) || newOld < oldOld || (s.readyReplicas ?? 0) > (old.readyReplicas ?? 0) || (s.availableReplicas ?? 0) > (old.availableReplicas ?? 0);
}

function timedOut(d: Deployment, s: DeploymentStatus, now: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const c = getCondition(s, 'Progressing');
  if (!c || c.reason === reasons.newRSAvailable) return false;
  if (c.reason === reasons.timedOut) return true;
  const from = Date.parse(c.lastUpdateTime ?? '');
  return from + d.spec!.progressDeadlineSeconds! * 1000 < now;
}

/** syncRolloutStatus's conditions: the status to write. */
export function rolloutStatus(d: Deployment, all: ReplicaSet[], newRS: ReplicaSet | undefined, now: number): DeploymentStatus {
  const s = calculateStatus(d, all, newRS, now);
  if (!hasProgressDeadline(d)) removeCondition(s, 'Progressing');
  const cur = getCondition(d.status, 'Progressing');
  const complete = s.replicas === s.updatedReplicas && cur?.reason === reasons.newRSAvailable;
  if (hasProgressDeadline(d) && !complete) {
    const what = newRS ? `ReplicaSet "${newRS.metadata?.name}"` : `Deployment "${d.metadata?.name}"`;
    if (deploymentComplete(d, s)) {
      setCondition(s, newCondition('Progressing', 'True', reasons.newRSAvailable, `${what} has successfully progressed.`, now));
    } else if (deploymentProgressing(d, s)) {
      const c = newCondition('Progressing', 'True', reasons.replicaSetUpdated, `${what} is progressing.`, now);
      if (cur?.status === 'True') c.lastTransitionTime = cur.lastTransitionTime;
      s.conditions = [...(s.conditions ?? []).filter((x) => x.type !== 'Progressing'), c];
    } else if (timedOut(d, s, now)) {
      setCondition(s, newCondition('Progressing', 'False', reasons.timedOut, `${what} has timed out progressing.`, now));
    }
  }
  return s;
}

/** requeueStuckDeployment: ms until the progress deadline should be checked, if it should. */
export function stuckRequeueMs(d: Deployment, s: DeploymentStatus, now: number): number | undefined {
  const c = getCondition(s, 'Progressing');
  if (!hasProgressDeadline(d) || !c) return undefined;
  if (deploymentComplete(d, s) || c.reason === reasons.newRSAvailable || c.reason === reasons.timedOut) return undefined;
  const after = Date.parse(c.lastUpdateTime ?? '') + d.spec!.progressDeadlineSeconds! * 1000 - now;
  return after < 1000 ? 0 : after;
}

/** Kube drops zero counts (omitempty); compare statuses that way. */
export function sameDeploymentStatus(a: DeploymentStatus | undefined, b: DeploymentStatus): boolean {
  const norm = (s: DeploymentStatus | undefined) => JSON.stringify(Object.entries(s ?? {}).filter(([, v]) => v !== 0 && v !== undefined).sort(([x], [y]) => x.localeCompare(y)));
  return norm(a) === norm(b);
}
