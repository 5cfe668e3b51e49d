import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { KubeObject } from '../../api/types.js';

/** The finalizers the garbage collector owns. */
export const foregroundDeletionFinalizer = 'foregroundDeletion';
export const orphanFinalizer = 'orphan';

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

/** What the collector knows of one owner named by an ownerReference. */
export type OwnerState =
  /** Exists with the referenced uid; `deletingDependents` when it waits in foreground deletion. */
  | { state: 'present'; deletingDependents: boolean }
  /** Not found, or found with another uid (a namesake): the reference dangles. */
  | { state: 'absent' }
  /** A kind skiff does not serve: never collect on its account. */
  | { state: 'unresolvable' };

export type DependentPlan =
  | { action: 'none' }
  /** Some owners remain: drop only the references to owners that are gone or waiting on us. */
  | { action: 'removeOwnerReferences'; uids: string[] }
  /** Every owner is gone or deleting: delete the dependent (after unblocking the listed owner refs). */
  | { action: 'delete'; policy: PropagationPolicy; unblockOwnerUids: string[] };

export function hasFinalizer(obj: KubeObject, name: string): boolean {
  return (obj.metadata.finalizers ?? []).includes(name);
}

export function isDeletingDependents(obj: KubeObject): boolean {
  return !!obj.metadata.deletionTimestamp && hasFinalizer(obj, foregroundDeletionFinalizer);
}

/** The owner reference of `dependent` to the owner with `ownerUid`, if any. */
export function ownerReferenceTo(dependent: KubeObject, ownerUid: string): OwnerReference | undefined {
  return (dependent.metadata.ownerReferences ?? []).find((r) => r.uid === ownerUid);
}

/**
 * Decides the fate of a dependent from the states of its owners (kube-controller-manager's
 * attemptToDeleteItem). `dependents` describes the dependent's own dependents: when its owners
 * wait for it in foreground deletion and it has dependents itself, it is deleted in foreground too;
 * if one of those is itself deleting dependents (a cycle), the blocking owner refs are dropped first.
 */
export function planDependent(input: {
  dependent: KubeObject;
  owners: ReadonlyMap<string, OwnerState>;
  dependents: { count: number; anyDeletingDependents: boolean };
}): DependentPlan {
  const { dependent, owners } = input;
  if (dependent.metadata.deletionTimestamp) return { action: 'none' };
  const refs = dependent.metadata.ownerReferences ?? [];
  if (refs.length === 0) return { action: 'none' };
  const solid: OwnerReference[] = [];
  const dangling: OwnerReference[] = [];
  const waiting: OwnerReference[] = [];
  for (const ref of refs) {
    const s = owners.get(ref.uid) ?? { state: 'unresolvable' };
    if (s.state === 'absent') dangling.push(ref);
    else if (s.state === 'present' && s.deletingDependents) waiting.push(ref);
    else solid.push(ref);
  }
  if (solid.length > 0) {
    const uids = [...dangling, ...waiting].map((r) => r.uid);
    return uids.length > 0 ? { action: 'removeOwnerReferences', uids } : { action: 'none' };
  }
  if (waiting.length > 0 && input.dependents.count > 0) {
    const unblockOwnerUids = input.dependents.anyDeletingDependents ? waiting.filter((r) => r.blockOwnerDeletion).map((r) => r.uid) : [];
    return { action: 'delete', policy: 'Foreground', unblockOwnerUids };
  }
  const policy: PropagationPolicy = hasFinalizer(dependent, orphanFinalizer) ? 'Orphan' : hasFinalizer(dependent, foregroundDeletionFinalizer) ? 'Foreground' : 'Background';
  return { action: 'delete', policy, unblockOwnerUids: [] };
}

export interface OwnerDeletionPlan {
  /** Dependents whose reference to the owner must be removed (orphan finalizer). */
  orphan: KubeObject[];
  /** Dependents that must be gone before the foregroundDeletion finalizer is removed. */
  blocking: KubeObject[];
  /** Dependents to (re)consider for deletion now (foreground). */
  attemptToDelete: KubeObject[];
  /** GC finalizers to remove from the owner once `orphan` is done. */
  removeFinalizers: string[];
}

/** What to do for an owner being deleted with the orphan and/or foregroundDeletion finalizer. */
export function planOwnerDeletion(owner: KubeObject, dependents: readonly KubeObject[]): OwnerDeletionPlan {
  const plan: OwnerDeletionPlan = { orphan: [], blocking: [], attemptToDelete: [], removeFinalizers: [] };
  if (!owner.metadata.deletionTimestamp) return plan;
  const uid = owner.metadata.uid ?? '';
  const mine = dependents.filter((d) => ownerReferenceTo(d, uid));
  if (hasFinalizer(owner, orphanFinalizer)) {
    plan.orphan = mine;
    plan.removeFinalizers.push(orphanFinalizer);
    // Orphaned dependents no longer block a foreground deletion requested alongside.
    return finishForeground(owner, [], plan);
  }
  return finishForeground(owner, mine, plan);
}

function finishForeground(owner: KubeObject, mine: KubeObject[], plan: OwnerDeletionPlan): OwnerDeletionPlan {
  if (!hasFinalizer(owner, foregroundDeletionFinalizer)) return plan;
  const uid = owner.metadata.uid ?? '';
  plan.blocking = mine.filter((d) => ownerReferenceTo(d, uid)?.blockOwnerDeletion === true);
  plan.attemptToDelete = mine.filter((d) => !d.metadata.deletionTimestamp);
  if (plan.blocking.length === 0) plan.removeFinalizers.push(foregroundDeletionFinalizer);
  return plan;
}

/** The owner references left after removing those to `uids` (null when none remain, for merge patch). */
export function ownerReferencesWithout(obj: KubeObject, uids: readonly string[]): OwnerReference[] | null {
  const left = (obj.metadata.ownerReferences ?? []).filter((r) => !uids.includes(r.uid));
  return left.length ? left : null;
}

/** The owner references with blockOwnerDeletion cleared on those to `uids`. */
export function ownerReferencesUnblocked(obj: KubeObject, uids: readonly string[]): OwnerReference[] {
  return (obj.metadata.ownerReferences ?? []).map((r) => (uids.includes(r.uid) ? { ...r, blockOwnerDeletion: false } : r));
}

/** The finalizers left after removing `names` (null when none remain, for merge patch). */
export function finalizersWithout(obj: KubeObject, names: readonly string[]): string[] | null {
  const left = (obj.metadata.finalizers ?? []).filter((f) => !names.includes(f));
  return left.length ? left : null;
}
