/** printPersistentVolume, printPersistentVolumeClaim, printStorageClass from printers.go. */
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import type { KubeObject } from '../types.js';
import type { TablePrinter } from '../table.js';
import { translateTimestampSince } from './duration.js';
import { ageColumn, column, nameColumn } from './format.js';

const age = (obj: KubeObject, now: number): string => translateTimestampSince(obj.metadata?.creationTimestamp, now);
const short: Record<string, string> = { ReadWriteOnce: 'RWO', ReadOnlyMany: 'ROX', ReadWriteMany: 'RWX', ReadWriteOncePod: 'RWOP' };

/** helper.GetAccessModesAsString: in the fixed order RWO, ROX, RWX, RWOP, each once. */
export function accessModesString(modes: string[] | undefined): string {
  const set = new Set(modes ?? []);
  return ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'].filter((m) => set.has(m)).map((m) => short[m]).join(',');
}

export const persistentVolumePrinter: TablePrinter = {
  columns: [
    nameColumn(),
    column('Capacity', 'string', 'capacity is the description of the persistent volume\'s resources and capacity.'),
    column('Access Modes', 'string', 'accessModes contains all ways the volume can be mounted.'),
    column('Reclaim Policy', 'string', 'persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.'),
    column('Status', 'string', 'phase indicates if a volume is available, bound to a claim, or released by a claim.'),
    column('Claim', 'string', 'claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.'),
    column('StorageClass', 'string', 'storageClassName is the name of StorageClass to which this persistent volume belongs.'),
    column('VolumeAttributesClass', 'string', 'Name of VolumeAttributesClass to which this persistent volume belongs.'),
    column('Reason', 'string', 'reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.'),
    ageColumn(),
    column('VolumeMode', 'string', 'volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.', { priority: 1 }),
  ],
  cells(obj: KubeObject, now: number): unknown[] {
    const pv = obj as unknown as PersistentVolume;
    const ref = pv.spec?.claimRef;
    const claim = ref ? `${ref.namespace ?? ''}/${ref.name ?? ''}` : '';
    const phase = obj.metadata.deletionTimestamp ? 'Terminating' : pv.status?.phase ?? '';
    return [
      obj.metadata.name ?? '',
      pv.spec?.capacity?.storage ?? '',
      accessModesString(pv.spec?.accessModes),
      pv.spec?.persistentVolumeReclaimPolicy ?? '',
      phase,
      claim,
      pv.spec?.storageClassName ?? '',
      pv.spec?.volumeAttributesClassName || '<unset>',
      pv.status?.reason ?? '',
      age(obj, now),
      pv.spec?.volumeMode || '<unset>',
    ];
  },
};

export const persistentVolumeClaimPrinter: TablePrinter = {
  columns: [
    nameColumn(),
    column('Status', 'string', 'phase represents the current phase of PersistentVolumeClaim.'),
    column('Volume', 'string', 'volumeName is the binding reference to the PersistentVolume backing this claim.'),
    column('Capacity', 'string', 'capacity represents the actual resources of the underlying volume.'),
    column('Access Modes', 'string', 'accessModes contains the actual access modes the volume backing the PVC has.'),
    column('StorageClass', 'string', 'storageClassName is the name of the StorageClass required by the claim.'),
    column('VolumeAttributesClass', 'string', 'volumeAttributesClassName may be used to set the VolumeAttributesClass used by this claim.'),
    ageColumn(),
    column('VolumeMode', 'string', 'volumeMode defines what type of volume is required by the claim.', { priority: 1 }),
  ],
  cells(obj: KubeObject, now: number): unknown[] {
    const pvc = obj as unknown as PersistentVolumeClaim;
    const phase = obj.metadata.deletionTimestamp ? 'Terminating' : pvc.status?.phase ?? '';
    const bound = !!pvc.spec?.volumeName;
    return [
      obj.metadata.name ?? '',
      phase,
      pvc.spec?.volumeName ?? '',
      bound ? pvc.status?.capacity?.storage ?? '' : '',
      bound ? accessModesString(pvc.status?.accessModes) : '',
      pvc.spec?.storageClassName ?? '',
      pvc.spec?.volumeAttributesClassName || '<unset>',
      age(obj, now),
      pvc.spec?.volumeMode || '<unset>',
    ];
  },
};

export const storageClassPrinter: TablePrinter = {
  columns: [
    nameColumn(),
    column('Provisioner', 'string', 'Indicates the type of the provisioner.'),
    column('ReclaimPolicy', 'string', 'Dynamically provisioned PersistentVolumes of this storage class are created with this reclaimPolicy. Defaults to Delete.'),
    column('VolumeBindingMode', 'string', 'VolumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound. When unset, VolumeBindingImmediate is used.'),
    column('AllowVolumeExpansion', 'string', 'AllowVolumeExpansion shows whether the storage class allow volume expand.'),
    ageColumn(),
  ],
  cells(obj: KubeObject, now: number): unknown[] {
    const sc = obj as unknown as StorageClass;
    const a = sc.metadata?.annotations ?? {};
    const isDefault = a['storageclass.kubernetes.io/is-default-class'] === 'true' || a['storageclass.beta.kubernetes.io/is-default-class'] === 'true';
    return [
      `${obj.metadata.name ?? ''}${isDefault ? ' (default)' : ''}`,
      sc.provisioner ?? '',
      sc.reclaimPolicy || 'Delete',
      sc.volumeBindingMode || 'Immediate',
      String(sc.allowVolumeExpansion ?? false),
      age(obj, now),
    ];
  },
};
