/** StatefulSet (apps/v1): SetDefaults_StatefulSet and ValidateStatefulSet{,Update} (pkg/apis/apps/validation). */
import type { StatefulSet, StatefulSetSpec, StatefulSetUpdateStrategy } from 'kubernetes-types/apps/v1.js';
import type { PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import type { FieldError } from '../status.js';
import type { ResourceStrategy } from '../strategy.js';
import type { KubeObject } from '../types.js';
import { forbidden, goStringMap, invalid, invalidGo, notSupported, required } from '../validation/field.js';
import { isEmptySelector, labelSelectorMatches, nameIsDNSLabel, validateAnnotations, validateLabelSelector, validateLabels, validateObjectMeta, validateObjectMetaUpdate } from '../validation/metadata.js';
import { defaultPodSpec } from './podspec-defaults.js';
import { semanticEqual } from './semantic.js';
import { goIntOrString, goLabelSelector, intOrPercentValue, validateIntOrPercent } from './workloads.js';

type Spec = StatefulSetSpec & { ordinals?: { start?: number } };

/** SetDefaults_PersistentVolumeClaim for claim templates (volumeMode and the Pending phase). */
function defaultClaimTemplate(pvc: PersistentVolumeClaim): void {
  const spec = ((pvc as { spec?: PersistentVolumeClaim['spec'] }).spec ??= {});
  spec.volumeMode ??= 'Filesystem';
  const status = ((pvc as { status?: { phase?: string } }).status ??= {});
  status.phase ??= 'Pending';
}

export function applyStatefulSetDefaults(sts: StatefulSet): void {
  const spec = (sts.spec ??= { selector: undefined as unknown as LabelSelector, serviceName: '', template: {} }) as Spec;
  spec.podManagementPolicy ||= 'OrderedReady';
  const us = (spec.updateStrategy ??= {});
  if (!us.type) {
    us.type = 'RollingUpdate';
    us.rollingUpdate ??= {};
  }
  if (us.type === 'RollingUpdate' && us.rollingUpdate) us.rollingUpdate.partition ??= 0;
  // StatefulSetAutoDeletePVC is on by default (beta since 1.27)
  const retention = (spec.persistentVolumeClaimRetentionPolicy ??= {});
  retention.whenDeleted ||= 'Retain';
  retention.whenScaled ||= 'Retain';
  spec.replicas ??= 1;
  spec.revisionHistoryLimit ??= 10;
  if (spec.template) defaultPodSpec((spec.template.spec ??= { containers: [] }));
  for (const t of spec.volumeClaimTemplates ?? []) defaultClaimTemplate(t);
}

function nonNegative(v: number | undefined, field: string): FieldError[] {
  return v != null && v < 0 ? [invalid(field, v, 'must be greater than or equal to 0')] : [];
}

function goUpdateStrategy(s: StatefulSetUpdateStrategy): string {
  const ru = s.rollingUpdate ? '(*apps.RollingUpdateStatefulSetStrategy)(0xc000000000)' : '(*apps.RollingUpdateStatefulSetStrategy)(nil)';
  return `apps.StatefulSetUpdateStrategy{Type:${JSON.stringify(s.type ?? '')}, RollingUpdate:${ru}}`;
}

function validateUpdateStrategy(s: StatefulSetUpdateStrategy | undefined): FieldError[] {
  const f = 'spec.updateStrategy';
  const us = s ?? {};
  switch (us.type ?? '') {
    case '':
      return [required(f)];
    case 'OnDelete':
      if (!us.rollingUpdate) return [];
      return [invalidGo(`${f}.rollingUpdate`, `&apps.RollingUpdateStatefulSetStrategy{Partition:${us.rollingUpdate.partition ?? 0}, MaxUnavailable:(*intstr.IntOrString)(nil)}`, "only allowed for updateStrategy 'RollingUpdate'")];
    case 'RollingUpdate': {
      const ru = us.rollingUpdate;
      if (!ru) return [];
      const errs = nonNegative(ru.partition, `${f}.rollingUpdate.partition`);
      if (ru.maxUnavailable !== undefined) {
        const p = `${f}.rollingUpdate.maxUnavailable`;
        errs.push(...validateIntOrPercent(ru.maxUnavailable, p, true));
        if (intOrPercentValue(ru.maxUnavailable) === 0) errs.push(invalidGo(p, goIntOrString(ru.maxUnavailable), 'cannot be 0'));
      }
      return errs;
    }
    default:
      return [invalidGo(f, goUpdateStrategy(us), "must be 'RollingUpdate' or 'OnDelete'")];
  }
}

function validateRetention(spec: Spec): FieldError[] {
  const p = spec.persistentVolumeClaimRetentionPolicy;
  if (!p) return [];
  const errs: FieldError[] = [];
  for (const k of ['whenDeleted', 'whenScaled'] as const) {
    const v = p[k] ?? '';
    if (v !== 'Retain' && v !== 'Delete') errs.push(notSupported(`spec.persistentVolumeClaimRetentionPolicy.${k}`, v, ['Retain', 'Delete']));
  }
  return errs;
}

/** ValidateStatefulSetSpec; like Kubernetes it does not validate the pod spec (the pods' own validation does). */
export function validateStatefulSetSpec(spec: Spec | undefined): FieldError[] {
  const s = spec ?? ({} as Spec);
  const errs: FieldError[] = [];
  const pmp = s.podManagementPolicy ?? '';
  if (pmp === '') errs.push(required('spec.podManagementPolicy'));
  else if (pmp !== 'OrderedReady' && pmp !== 'Parallel') errs.push(invalid('spec.podManagementPolicy', pmp, "must be 'OrderedReady' or 'Parallel'"));
  errs.push(...validateUpdateStrategy(s.updateStrategy));
  errs.push(...validateRetention(s));
  errs.push(...nonNegative(s.replicas, 'spec.replicas'));
  errs.push(...nonNegative(s.minReadySeconds, 'spec.minReadySeconds'));
  if (s.ordinals) errs.push(...nonNegative(s.ordinals.start, 'spec.ordinals.start'));
  if (!s.selector) errs.push(required('spec.selector'));
  else {
    errs.push(...validateLabelSelector(s.selector, 'spec.selector'));
    if (isEmptySelector(s.selector)) errs.push(invalidGo('spec.selector', `&${goLabelSelector(s.selector)}`, 'empty selector is invalid for statefulset'));
  }
  const t = s.template;
  if (!t) errs.push(required('spec.template'));
  else {
    // a nil selector is labels.Nothing(), which is not Empty() and matches nothing
    if (!s.selector || (!isEmptySelector(s.selector) && !labelSelectorMatches(s.selector, t.metadata?.labels))) {
      errs.push(invalidGo('spec.template.metadata.labels', goStringMap(t.metadata?.labels), '`selector` does not match template `labels`'));
    }
    errs.push(...validateLabels(t.metadata?.labels, 'spec.template.labels'));
    errs.push(...validateAnnotations(t.metadata?.annotations, 'spec.template.annotations'));
  }
  const rp = t?.spec?.restartPolicy ?? '';
  if (rp !== 'Always') errs.push(notSupported('spec.template.spec.restartPolicy', rp, ['Always']));
  if (t?.spec?.activeDeadlineSeconds != null) errs.push(forbidden('spec.template.spec.activeDeadlineSeconds', 'activeDeadlineSeconds in StatefulSet is not Supported'));
  return errs;
}

export function validateStatefulSet(sts: StatefulSet): FieldError[] {
  const errs = validateObjectMeta(sts.metadata, { namespaced: true, nameFn: nameIsDNSLabel });
  errs.push(...validateStatefulSetSpec(sts.spec as Spec));
  return errs;
}

const mutableSpecFields = ['replicas', 'template', 'updateStrategy', 'minReadySeconds', 'ordinals', 'persistentVolumeClaimRetentionPolicy'];

export function validateStatefulSetUpdate(sts: StatefulSet, old: StatefulSet): FieldError[] {
  const errs = validateObjectMetaUpdate(sts.metadata, old.metadata);
  errs.push(...validateStatefulSetSpec(sts.spec as Spec));
  const strip = (spec: object | undefined) => Object.fromEntries(Object.entries(spec ?? {}).filter(([k]) => !mutableSpecFields.includes(k)));
  if (!semanticEqual(strip(sts.spec), strip(old.spec))) {
    errs.push(forbidden('spec', "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"));
  }
  return errs;
}

export function statefulSetStrategy(): ResourceStrategy {
  return {
    tracksGeneration: true,
    applyDefaults: (obj: KubeObject) => applyStatefulSetDefaults(obj as unknown as StatefulSet),
    validate: (obj: KubeObject) => validateStatefulSet(obj as unknown as StatefulSet),
    validateUpdate: (obj: KubeObject, old: KubeObject) => validateStatefulSetUpdate(obj as unknown as StatefulSet, old as unknown as StatefulSet),
  };
}
