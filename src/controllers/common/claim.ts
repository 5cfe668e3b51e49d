/** ControllerRefManager's decision: own, adopt, release or ignore a candidate (pkg/controller/controller_ref_manager.go). */
import { matches, type LabelSelectorRequirements } from '../../api/labels.js';
import type { KubeObject } from '../../api/types.js';
import { controllerRefOf, newControllerRef } from './pods.js';

export type ClaimDecision = 'own' | 'adopt' | 'release' | 'ignore';

export function claimDecision(owner: KubeObject, obj: KubeObject, selector: LabelSelectorRequirements): ClaimDecision {
  const ref = controllerRefOf(obj);
  const matching = matches(selector, obj.metadata.labels);
  if (ref) {
    if (ref.uid !== owner.metadata.uid) return 'ignore';
    if (matching) return 'own';
    // An owner being deleted does not release: the GC handles its dependents.
    return owner.metadata.deletionTimestamp || obj.metadata.deletionTimestamp ? 'own' : 'release';
  }
  if (!matching || owner.metadata.deletionTimestamp || obj.metadata.deletionTimestamp) return 'ignore';
  return 'adopt';
}

/** The object with `owner` added as its controller. */
export function withControllerRef(obj: KubeObject, owner: KubeObject): KubeObject {
  const refs = (obj.metadata.ownerReferences ?? []).filter((r) => r.uid !== owner.metadata.uid);
  return { ...obj, metadata: { ...obj.metadata, ownerReferences: [...refs, newControllerRef(owner)] } };
}

/** The object without any reference to `owner`. */
export function withoutOwner(obj: KubeObject, owner: KubeObject): KubeObject {
  const refs = (obj.metadata.ownerReferences ?? []).filter((r) => r.uid !== owner.metadata.uid);
  return { ...obj, metadata: { ...obj.metadata, ownerReferences: refs.length ? refs : undefined } };
}
