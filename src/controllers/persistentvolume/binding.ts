/** Pure decisions of the PV controller (pkg/controller/volume/persistentvolume): which volume fits a claim. */
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import { quantityValue } from '../../api/kinds/storage.js';

export const annBindCompleted = 'pv.kubernetes.io/bind-completed';
export const annBoundByController = 'pv.kubernetes.io/bound-by-controller';
export const annSelectedNode = 'volume.kubernetes.io/selected-node';
export const annStorageProvisioner = 'volume.kubernetes.io/storage-provisioner';
export const annBetaStorageProvisioner = 'volume.beta.kubernetes.io/storage-provisioner';
export const annProvisionedBy = 'pv.kubernetes.io/provisioned-by';

const storageOf = quantityValue;

/** The claim's class: spec.storageClassName, else the beta annotation, else "". */
export function claimClass(c: PersistentVolumeClaim): string {
  return c.spec?.storageClassName ?? c.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? '';
}

/** Whether `pv` is bound (or pre-bound) to exactly this claim. */
export function isVolumeBoundToClaim(pv: PersistentVolume, c: PersistentVolumeClaim): boolean {
  const ref = pv.spec?.claimRef;
  if (!ref || ref.name !== c.metadata?.name || ref.namespace !== c.metadata?.namespace) return false;
  return !ref.uid || ref.uid === c.metadata?.uid;
}

/**
 * findMatchingVolume: an unbound (or pre-bound to this claim) volume of the claim's class with every
 * requested access mode and at least the requested size; the smallest such volume wins.
 */
export function findMatchingVolume(c: PersistentVolumeClaim, volumes: PersistentVolume[]): PersistentVolume | undefined {
  const want = storageOf(c.spec?.resources?.requests?.storage);
  const cls = claimClass(c);
  const modes = c.spec?.accessModes ?? [];
  let best: PersistentVolume | undefined;
  for (const pv of volumes) {
    if (pv.metadata?.deletionTimestamp) continue;
    const pre = isVolumeBoundToClaim(pv, c);
    if (pv.spec?.claimRef && !pre) continue;
    if (pre) return pv;
    if (pv.status?.phase && pv.status.phase !== 'Available' && pv.status.phase !== 'Pending') continue;
    if ((pv.spec?.storageClassName ?? '') !== cls) continue;
    if ((pv.spec?.volumeMode ?? 'Filesystem') !== (c.spec?.volumeMode ?? 'Filesystem')) continue;
    if (!modes.every((m) => (pv.spec?.accessModes ?? []).includes(m))) continue;
    const size = storageOf(pv.spec?.capacity?.storage);
    if (size < want) continue;
    if (!best || size < storageOf(best.spec?.capacity?.storage)) best = pv;
  }
  return best;
}
