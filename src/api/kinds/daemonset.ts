/** DaemonSet (apps/v1): SetDefaults_DaemonSet and ValidateDaemonSet{,Update} (pkg/apis/apps/validation). */
import type { DaemonSet, DaemonSetSpec, DaemonSetUpdateStrategy } from 'kubernetes-types/apps/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import type { FieldError } from '../status.js';
import type { ResourceStrategy } from '../strategy.js';
import type { KubeObject } from '../types.js';
import { forbidden, goStringMap, invalid, invalidGo, notSupported, required } from '../validation/field.js';
import { isEmptySelector, labelSelectorMatches, nameIsDNSSubdomain, validateLabelSelector, validateObjectMeta, validateObjectMetaUpdate } from '../validation/metadata.js';
import { defaultPodSpec } from './podspec-defaults.js';
import { validatePodTemplateSpec } from './podspec-validation.js';
import { goIntOrString, goLabelSelector, intOrPercentValue, selectorImmutable, validateIntOrPercent } from './workloads.js';

export function applyDaemonSetDefaults(ds: DaemonSet): void {
  const spec = (ds.spec ??= { selector: undefined as unknown as LabelSelector, template: {} });
  const us = (spec.updateStrategy ??= {});
  us.type ||= 'RollingUpdate';
  if (us.type === 'RollingUpdate') {
    const ru = (us.rollingUpdate ??= {});
    ru.maxUnavailable ??= 1;
    ru.maxSurge ??= 0;
  }
  spec.revisionHistoryLimit ??= 10;
  if (spec.template) defaultPodSpec((spec.template.spec ??= { containers: [] }));
}

function nonNegative(v: number | undefined, field: string): FieldError[] {
  return v != null && v < 0 ? [invalid(field, v, 'must be greater than or equal to 0')] : [];
}

function validateUpdateStrategy(s: DaemonSetUpdateStrategy | undefined): FieldError[] {
  const f = 'spec.updateStrategy';
  switch (s?.type) {
    case 'OnDelete':
      return [];
    case 'RollingUpdate': {
      const ru = s.rollingUpdate;
      if (!ru) return [required(`${f}.rollingUpdate`)];
      const mu = `${f}.rollingUpdate.maxUnavailable`;
      const ms = `${f}.rollingUpdate.maxSurge`;
      const errs = [...validateIntOrPercent(ru.maxUnavailable, mu, true), ...validateIntOrPercent(ru.maxSurge, ms, true)];
      const hasUnavailable = intOrPercentValue(ru.maxUnavailable) !== 0;
      const hasSurge = intOrPercentValue(ru.maxSurge) !== 0;
      if (hasUnavailable && hasSurge) errs.push(invalidGo(ms, goIntOrString(ru.maxSurge), 'may not be set when maxUnavailable is non-zero'));
      else if (!hasUnavailable && !hasSurge) errs.push(required(mu, 'cannot be 0 when maxSurge is 0'));
      return errs;
    }
    default: {
      const ru = s?.rollingUpdate ? '(*apps.RollingUpdateDaemonSet)(0xc000000000)' : '(*apps.RollingUpdateDaemonSet)(nil)';
      const go = `&apps.DaemonSetUpdateStrategy{Type:${JSON.stringify(s?.type ?? '')}, RollingUpdate:${ru}}`;
      return [{ type: 'FieldValueNotSupported', field: f, detail: `${go}: supported values: "RollingUpdate", "OnDelete"` }];
    }
  }
}

export function validateDaemonSetSpec(spec: DaemonSetSpec | undefined): FieldError[] {
  const s = spec ?? ({} as DaemonSetSpec);
  const errs = validateLabelSelector(s.selector, 'spec.selector');
  const t = s.template;
  if (!s.selector || (!isEmptySelector(s.selector) && !labelSelectorMatches(s.selector, t?.metadata?.labels))) {
    errs.push(invalidGo('spec.template.metadata.labels', goStringMap(t?.metadata?.labels), '`selector` does not match template `labels`'));
  }
  if (s.selector && isEmptySelector(s.selector)) errs.push(invalidGo('spec.selector', `&${goLabelSelector(s.selector)}`, 'empty selector is invalid for daemonset'));
  errs.push(...validatePodTemplateSpec(t ?? {}, 'spec.template'));
  const rp = t?.spec?.restartPolicy ?? '';
  if (rp !== 'Always') errs.push(notSupported('spec.template.spec.restartPolicy', rp, ['Always']));
  if (t?.spec?.activeDeadlineSeconds != null) errs.push(forbidden('spec.template.spec.activeDeadlineSeconds', 'activeDeadlineSeconds in DaemonSet is not Supported'));
  errs.push(...nonNegative(s.minReadySeconds, 'spec.minReadySeconds'));
  errs.push(...validateUpdateStrategy(s.updateStrategy));
  errs.push(...nonNegative(s.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  return errs;
}

export function validateDaemonSet(ds: DaemonSet): FieldError[] {
  const errs = validateObjectMeta(ds.metadata, { namespaced: true, nameFn: nameIsDNSSubdomain });
  errs.push(...validateDaemonSetSpec(ds.spec));
  return errs;
}

export function daemonSetStrategy(): ResourceStrategy {
  return {
    tracksGeneration: true,
    applyDefaults: (obj: KubeObject) => applyDaemonSetDefaults(obj as unknown as DaemonSet),
    validate: (obj: KubeObject) => validateDaemonSet(obj as unknown as DaemonSet),
    validateUpdate: (obj: KubeObject, old: KubeObject) => {
      const ds = obj as unknown as DaemonSet;
      const o = old as unknown as DaemonSet;
      const errs = validateObjectMetaUpdate(ds.metadata, o.metadata);
      errs.push(...validateDaemonSetSpec(ds.spec));
      errs.push(...selectorImmutable(ds.spec?.selector, o.spec?.selector));
      return errs;
    },
  };
}
