/** The scaling arithmetic of the Deployment controller (rolling.go, sync.go scale()), as pure functions. */
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { byCreation, maxSurge, maxUnavailable, newRSNewReplicas, replicasOf, specReplicas, statusCount } from './util.js';

export interface ScaleStep<T extends ReplicaSet> {
  rs: T;
  replicas: number;
}

/** reconcileNewReplicaSet: the new ReplicaSet's next size, or undefined to leave it. */
export function newReplicaSetTarget(d: Deployment, all: ReplicaSet[], newRS: ReplicaSet): number | undefined {
  const want = replicasOf(d);
  const cur = replicasOf(newRS);
  if (cur === want) return undefined;
  if (cur > want) return want;
  const next = newRSNewReplicas(d, all, newRS);
  return next === cur ? undefined : next;
}

/** reconcileOldReplicaSets: unhealthy replicas first, then down to minAvailable; oldest ReplicaSets first. */
export function oldReplicaSetSteps<T extends ReplicaSet>(d: Deployment, oldRSs: T[], newRS: ReplicaSet): ScaleStep<T>[] {
  const active = oldRSs.filter((rs) => replicasOf(rs) > 0);
  if (specReplicas(active) === 0) return [];
  const all = [...active, newRS];
  const minAvailable = replicasOf(d) - maxUnavailable(d);
  const newUnavailable = replicasOf(newRS) - (newRS.status?.availableReplicas ?? 0);
  const maxScaledDown = specReplicas(all) - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return [];
  const size = new Map<T, number>(active.map((rs) => [rs, replicasOf(rs)]));
  const sorted = byCreation(active);
  // cleanupUnhealthyReplicas
  let cleaned = 0;
  for (const rs of sorted) {
    if (cleaned >= maxScaledDown) break;
    const cur = size.get(rs)!;
    const avail = rs.status?.availableReplicas ?? 0;
    if (cur === 0 || cur === avail) continue;
    const down = Math.min(maxScaledDown - cleaned, cur - avail);
    size.set(rs, cur - down);
    cleaned += down;
  }
  // scaleDownOldReplicaSetsForRollingUpdate
  const available = statusCount(all, 'availableReplicas');
  if (available > minAvailable) {
    const total = available - minAvailable;
    let done = 0;
    for (const rs of sorted) {
      if (done >= total) break;
      const cur = size.get(rs)!;
      if (cur === 0) continue;
      const down = Math.min(cur, total - done);
      size.set(rs, cur - down);
      done += down;
    }
  }
  return sorted.filter((rs) => size.get(rs) !== replicasOf(rs)).map((rs) => ({ rs, replicas: size.get(rs)! }));
}

/** getReplicaSetFraction + GetProportion. */
function proportion(rs: ReplicaSet, d: Deployment, toAdd: number, added: number): number {
  if (replicasOf(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  let fraction: number;
  if (replicasOf(d) === 0) fraction = -replicasOf(rs);
  else {
    const maxReplicas = replicasOf(d) + maxSurge(d);
    let before = Number(rs.metadata?.annotations?.['deployment.kubernetes.io/max-replicas'] ?? NaN);
    if (!Number.isInteger(before) || before === 0) before = d.status?.replicas || maxReplicas;
    fraction = goRound((replicasOf(rs) * maxReplicas) / before) - replicasOf(rs);
  }
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

/** Go's math.Round: half away from zero. */
function goRound(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/**
 * sync.go scale(): a scaling event while a rollout has several active ReplicaSets spreads the
 * change proportionally (larger first; newer first when scaling up, older first when scaling down).
 * Returns the sizes to set, or a single target for the active-or-latest case.
 */
export function proportionalScale<T extends ReplicaSet>(d: Deployment, newRS: T | undefined, oldRSs: T[]): ScaleStep<T>[] {
  const want = replicasOf(d);
  const all = [...(newRS ? [newRS] : []), ...oldRSs];
  const active = all.filter((rs) => replicasOf(rs) > 0);
  // FindActiveOrLatest
  const activeOrLatest = active.length === 1 ? active[0] : active.length === 0 ? (newRS ?? byCreation(oldRSs).at(-1)) : undefined;
  if (activeOrLatest) return replicasOf(activeOrLatest) === want ? [] : [{ rs: activeOrLatest, replicas: want }];
  // IsSaturated: the new ReplicaSet runs everything the Deployment wants.
  if (newRS && replicasOf(newRS) === want && Number(newRS.metadata?.annotations?.['deployment.kubernetes.io/desired-replicas']) === want && (newRS.status?.availableReplicas ?? 0) === want) {
    return oldRSs.filter((rs) => replicasOf(rs) > 0).map((rs) => ({ rs, replicas: 0 }));
  }
  if (!(d.spec?.strategy?.type === undefined || d.spec.strategy.type === 'RollingUpdate')) return [];
  const allowed = want > 0 ? want + maxSurge(d) : 0;
  const toAdd = allowed - specReplicas(active);
  const created = (rs: ReplicaSet) => Date.parse(rs.metadata?.creationTimestamp ?? '') || 0;
  const sorted = [...active].sort((a, b) => {
    if (replicasOf(a) !== replicasOf(b)) return replicasOf(b) - replicasOf(a);
    return toAdd > 0 ? created(b) - created(a) : created(a) - created(b);
  });
  const size = new Map<T, number>();
  let added = 0;
  for (const rs of sorted) {
    if (toAdd !== 0) {
      const p = proportion(rs, d, toAdd, added);
      size.set(rs, replicasOf(rs) + p);
      added += p;
    } else size.set(rs, replicasOf(rs));
  }
  if (toAdd !== 0 && sorted.length) {
    const first = sorted[0];
    size.set(first, Math.max(0, size.get(first)! + toAdd - added));
  }
  return sorted.map((rs) => ({ rs, replicas: size.get(rs)! }));
}
