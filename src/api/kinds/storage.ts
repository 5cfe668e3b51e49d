/**
 * PersistentVolume, PersistentVolumeClaim (core/v1) and StorageClass (storage.k8s.io/v1): SetDefaults_*
 * and the parts of pkg/apis/core/validation (ValidatePersistentVolume*, ValidateStorageClass) that users meet.
 */
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import type { ResourceStrategy } from '../strategy.js';
import type { FieldError } from '../status.js';
import { clone, type KubeObject } from '../types.js';
import { forbidden, invalid, key, notSupported, required } from '../validation/field.js';
import { nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from '../validation/metadata.js';
import { isDNS1123Subdomain, isQualifiedName } from '../validation/names.js';

export const accessModes = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'] as const;
const reclaimPolicies = ['Delete', 'Recycle', 'Retain'];
const volumeModes = ['Block', 'Filesystem'];
const bindingModes = ['Immediate', 'WaitForFirstConsumer'];
/** Volume sources a PV may carry; skiff serves hostPath and local (the local-path provisioner's). */
const pvSources = ['hostPath', 'local', 'nfs', 'csi', 'iscsi', 'fc', 'rbd', 'cephfs', 'glusterfs', 'awsElasticBlockStore', 'gcePersistentDisk', 'azureDisk', 'azureFile', 'cinder', 'flexVolume', 'flocker', 'vsphereVolume', 'quobyte', 'portworxVolume', 'scaleIO', 'storageos', 'photonPersistentDisk'];

const QUANTITY = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;

function validateAccessModes(modes: string[] | undefined, path: string): FieldError[] {
  if (!modes || modes.length === 0) return [required(path, 'at least 1 access mode is required')];
  const errs: FieldError[] = [];
  for (const m of modes) if (!(accessModes as readonly string[]).includes(m)) errs.push(notSupported(path, m, accessModes));
  if (modes.includes('ReadWriteOncePod') && modes.length > 1) errs.push(forbidden(path, 'may not use ReadWriteOncePod with other access modes'));
  return errs;
}

function validateStorageQuantity(value: unknown, path: string): FieldError[] {
  if (value === undefined || value === null || value === '') return [required(path)];
  const s = String(value);
  if (!QUANTITY.test(s)) return [invalid(path, s, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")];
  if (s.startsWith('-') || /^[+]?0*\.?0*[a-zA-Z]*$/.test(s)) return [invalid(path, s, 'must be greater than zero')];
  return [];
}

function validateClassName(name: string | undefined, path: string): FieldError[] {
  if (!name) return [];
  return isDNS1123Subdomain(name).map((m) => invalid(path, name, m));
}

export function applyPersistentVolumeDefaults(pv: PersistentVolume): void {
  pv.spec ??= {};
  pv.spec.persistentVolumeReclaimPolicy ||= 'Retain';
  pv.spec.volumeMode ||= 'Filesystem';
  const m = pv as { status?: { phase?: string } };
  m.status ??= {};
  m.status.phase ||= 'Pending';
}

export function applyPersistentVolumeClaimDefaults(pvc: PersistentVolumeClaim): void {
  pvc.spec ??= {};
  pvc.spec.volumeMode ||= 'Filesystem';
  const m = pvc as { status?: { phase?: string } };
  m.status ??= {};
  m.status.phase ||= 'Pending';
}

export function applyStorageClassDefaults(sc: StorageClass): void {
  sc.reclaimPolicy ||= 'Delete';
  sc.volumeBindingMode ||= 'Immediate';
}

export function validatePersistentVolume(pv: PersistentVolume): FieldError[] {
  const errs = validateObjectMeta(pv.metadata, { namespaced: false, nameFn: nameIsDNSSubdomain });
  const spec = pv.spec ?? {};
  errs.push(...validateAccessModes(spec.accessModes, 'spec.accessModes'));
  if (!spec.capacity || Object.keys(spec.capacity).length === 0) errs.push(required('spec.capacity'));
  else {
    for (const k of Object.keys(spec.capacity)) if (k !== 'storage') errs.push(notSupported(key('spec.capacity', k), k, ['storage']));
    if ('storage' in spec.capacity) errs.push(...validateStorageQuantity(spec.capacity.storage, key('spec.capacity', 'storage')));
  }
  if (spec.persistentVolumeReclaimPolicy && !reclaimPolicies.includes(spec.persistentVolumeReclaimPolicy))
    errs.push(notSupported('spec.persistentVolumeReclaimPolicy', spec.persistentVolumeReclaimPolicy, reclaimPolicies));
  if (spec.volumeMode && !volumeModes.includes(spec.volumeMode)) errs.push(notSupported('spec.volumeMode', spec.volumeMode, volumeModes));
  errs.push(...validateClassName(spec.storageClassName, 'spec.storageClassName'));
  const sources = pvSources.filter((s) => (spec as Record<string, unknown>)[s] !== undefined);
  if (sources.length === 0) errs.push(required('spec', 'must specify a volume type'));
  else if (sources.length > 1) errs.push(forbidden(`spec.${sources[1]}`, 'may not specify more than 1 volume type'));
  if (spec.hostPath) {
    if (!spec.hostPath.path) errs.push(required('spec.hostPath.path'));
    else if (spec.hostPath.path.split('/').includes('..')) errs.push(invalid('spec.hostPath.path', spec.hostPath.path, "must not contain '..'"));
  }
  if (spec.local) {
    if (!spec.local.path) errs.push(required('spec.local.path'));
    if (!spec.nodeAffinity) errs.push(required('spec.nodeAffinity', 'Local volume requires node affinity'));
  }
  if (spec.nodeAffinity && !spec.nodeAffinity.required) errs.push(required('spec.nodeAffinity.required'));
  return errs;
}

function validatePersistentVolumeUpdate(pv: PersistentVolume, old: PersistentVolume): FieldError[] {
  const errs = [...validateObjectMetaUpdate(pv.metadata, old.metadata), ...validatePersistentVolume(pv)];
  const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  if (!same(pv.spec?.volumeMode, old.spec?.volumeMode)) errs.push(invalid('spec.volumeMode', pv.spec?.volumeMode, 'field is immutable'));
  if (old.spec?.nodeAffinity && !same(pv.spec?.nodeAffinity, old.spec.nodeAffinity)) errs.push(invalid('spec.nodeAffinity', '', 'field is immutable'));
  for (const s of pvSources) {
    const v = (pv.spec as Record<string, unknown> | undefined)?.[s];
    const o = (old.spec as Record<string, unknown> | undefined)?.[s];
    if (o !== undefined && !same(v, o)) errs.push(forbidden('spec.persistentvolumesource', 'spec.persistentvolumesource is immutable after creation'));
  }
  return errs;
}

export function validatePersistentVolumeClaim(pvc: PersistentVolumeClaim): FieldError[] {
  const errs = validateObjectMeta(pvc.metadata, { namespaced: true, nameFn: nameIsDNSSubdomain });
  const spec = pvc.spec ?? {};
  errs.push(...validateAccessModes(spec.accessModes, 'spec.accessModes'));
  const requests = spec.resources?.requests ?? {};
  if (!('storage' in requests)) errs.push(required(key('spec.resources', 'storage')));
  else errs.push(...validateStorageQuantity(requests.storage, key('spec.resources.requests', 'storage')));
  if (spec.volumeMode && !volumeModes.includes(spec.volumeMode)) errs.push(notSupported('spec.volumeMode', spec.volumeMode, volumeModes));
  errs.push(...validateClassName(spec.storageClassName, 'spec.storageClassName'));
  return errs;
}

function validatePersistentVolumeClaimUpdate(pvc: PersistentVolumeClaim, old: PersistentVolumeClaim): FieldError[] {
  const errs = [...validateObjectMetaUpdate(pvc.metadata, old.metadata), ...validatePersistentVolumeClaim(pvc)];
  // spec is immutable except requests (expansion) and the binder's volumeName on an unbound claim
  const a = clone(pvc.spec ?? {});
  const b = clone(old.spec ?? {});
  if (!b.volumeName) b.volumeName = a.volumeName;
  if (a.resources?.requests) a.resources.requests = { ...a.resources.requests, storage: b.resources?.requests?.storage ?? '' };
  if (b.resources?.requests) b.resources.requests = { ...b.resources.requests, storage: b.resources.requests.storage ?? '' };
  if (!b.storageClassName && old.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'] === undefined) b.storageClassName = a.storageClassName;
  if (JSON.stringify(a) !== JSON.stringify(b))
    errs.push(forbidden('spec', 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims'));
  return errs;
}

export function validateStorageClass(sc: StorageClass): FieldError[] {
  const errs = validateObjectMeta(sc.metadata, { namespaced: false, nameFn: nameIsDNSSubdomain });
  if (!sc.provisioner) errs.push(required('provisioner'));
  else errs.push(...isQualifiedName(sc.provisioner.toLowerCase()).map((m) => invalid('provisioner', sc.provisioner, m)));
  if (sc.reclaimPolicy && !['Delete', 'Retain'].includes(sc.reclaimPolicy)) errs.push(notSupported('reclaimPolicy', sc.reclaimPolicy, ['Delete', 'Retain']));
  if (sc.volumeBindingMode && !bindingModes.includes(sc.volumeBindingMode)) errs.push(notSupported('volumeBindingMode', sc.volumeBindingMode, bindingModes));
  return errs;
}

function validateStorageClassUpdate(sc: StorageClass, old: StorageClass): FieldError[] {
  const errs = [...validateObjectMetaUpdate(sc.metadata, old.metadata), ...validateStorageClass(sc)];
  const same = (x: unknown, y: unknown) => JSON.stringify(x ?? null) === JSON.stringify(y ?? null);
  if (!same(sc.parameters, old.parameters)) errs.push(forbidden('parameters', 'updates to parameters are forbidden.'));
  if (sc.provisioner !== old.provisioner) errs.push(forbidden('provisioner', 'updates to provisioner are forbidden.'));
  if (sc.reclaimPolicy !== old.reclaimPolicy) errs.push(forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
  if (sc.volumeBindingMode !== old.volumeBindingMode) errs.push(forbidden('volumeBindingMode', 'field is immutable'));
  return errs;
}

const as = <T>(o: KubeObject): T => o as unknown as T;

export const persistentVolumeStrategy = (): ResourceStrategy => ({
  applyDefaults: (o) => applyPersistentVolumeDefaults(as(o)),
  validate: (o) => validatePersistentVolume(as(o)),
  validateUpdate: (o, old) => validatePersistentVolumeUpdate(as(o), as(old)),
});

export const persistentVolumeClaimStrategy = (): ResourceStrategy => ({
  applyDefaults: (o) => applyPersistentVolumeClaimDefaults(as(o)),
  validate: (o) => validatePersistentVolumeClaim(as(o)),
  validateUpdate: (o, old) => validatePersistentVolumeClaimUpdate(as(o), as(old)),
});

export const storageClassStrategy = (): ResourceStrategy => ({
  applyDefaults: (o) => applyStorageClassDefaults(as(o)),
  validate: (o) => validateStorageClass(as(o)),
  validateUpdate: (o, old) => validateStorageClassUpdate(as(o), as(old)),
});

/** The annotation that marks the default StorageClass (DefaultStorageClass admission). */
export const isDefaultClassAnnotation = 'storageclass.kubernetes.io/is-default-class';
const SUFFIX: Record<string, number> = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, Pi: 1024 ** 5 };

/** A Quantity's value (storage sizes: `1Gi`, `500M`, `1e9`); 0 when it does not parse. */
export function quantityValue(q: unknown): number {
  const m = /^([0-9.]+)(e[0-9]+|[a-zA-Z]*)$/.exec(String(q ?? '').trim());
  if (!m) return 0;
  if (m[2]!.startsWith('e')) return Number(m[1]) * 10 ** Number(m[2]!.slice(1));
  return Number(m[1]) * (SUFFIX[m[2]!] ?? (m[2] === '' ? 1 : 0));
}
