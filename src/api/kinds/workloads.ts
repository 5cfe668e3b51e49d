/** Deployment and ReplicaSet (apps/v1): defaults and validation (pkg/apis/apps/validation). */
import type { Deployment, DeploymentStrategy, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
type IntOrString = number | string;
import type { ResourceStrategy, UpdateContext } from '../strategy.js';
import type { FieldError } from '../status.js';
import type { KubeObject } from '../types.js';
import { forbidden, goStringMap, invalid, invalidGo, notSupported, required } from '../validation/field.js';
import { fieldImmutableErrorMsg, isEmptySelector, labelSelectorMatches, nameIsDNSSubdomain, validateLabelSelector, validateObjectMeta, validateObjectMetaUpdate } from '../validation/metadata.js';
import { regexError } from '../validation/names.js';
import { defaultPodSpec } from './podspec-defaults.js';
import { validatePodTemplateSpec } from './podspec-validation.js';

/** Go's %#v of a metav1.LabelSelector, as field errors print it. */
export function goLabelSelector(sel: LabelSelector): string {
  const exprs = sel.matchExpressions
    ? `[]v1.LabelSelectorRequirement{${sel.matchExpressions
        .map((e) => `v1.LabelSelectorRequirement{Key:${JSON.stringify(e.key)}, Operator:${JSON.stringify(e.operator)}, Values:${e.values ? `[]string{${e.values.map((v) => JSON.stringify(v)).join(', ')}}` : '[]string(nil)'}}`)
        .join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)';
  return `v1.LabelSelector{MatchLabels:${goStringMap(sel.matchLabels)}, MatchExpressions:${exprs}}`;
}

export function goIntOrString(v: IntOrString | undefined): string {
  if (typeof v === 'string') return `intstr.IntOrString{Type:1, IntVal:0, StrVal:${JSON.stringify(v)}}`;
  return `intstr.IntOrString{Type:0, IntVal:${v ?? 0}, StrVal:""}`;
}

function nonNegative(v: number | undefined, field: string): FieldError[] {
  return v != null && v < 0 ? [invalid(field, v, 'must be greater than or equal to 0')] : [];
}

function defaultTemplate(t: PodTemplateSpec | undefined): void {
  if (t) defaultPodSpec((t.spec ??= { containers: [] }));
}

export function applyDeploymentDefaults(d: Deployment): void {
  const spec = (d.spec ??= { selector: undefined as unknown as LabelSelector, template: {} });
  spec.replicas ??= 1;
  const strategy = (spec.strategy ??= {});
  strategy.type ??= 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    const ru = (strategy.rollingUpdate ??= {});
    ru.maxUnavailable ??= '25%';
    ru.maxSurge ??= '25%';
  }
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  defaultTemplate(spec.template);
}

export function applyReplicaSetDefaults(rs: ReplicaSet): void {
  const spec = (rs.spec ??= { selector: undefined as unknown as LabelSelector });
  spec.replicas ??= 1;
  defaultTemplate(spec.template);
}

/** ValidatePositiveIntOrPercent + IsNotMoreThan100Percent */
export function validateIntOrPercent(v: IntOrString | undefined, field: string, max100: boolean): FieldError[] {
  if (typeof v === 'string') {
    if (!/^[0-9]+%$/.test(v)) return [invalidGo(field, goIntOrString(v), regexError("a valid percent string must be a numeric string followed by an ending '%'", '[0-9]+%', '1%', '93%'))];
    if (max100 && Number(v.slice(0, -1)) > 100) return [invalidGo(field, goIntOrString(v), 'must not be greater than 100%')];
    return [];
  }
  return nonNegative(v, field);
}

export function intOrPercentValue(v: IntOrString | undefined): number {
  return typeof v === 'string' ? Number.parseInt(v, 10) || 0 : (v ?? 0);
}

function validateStrategy(s: DeploymentStrategy | undefined): FieldError[] {
  const f = 'spec.strategy';
  switch (s?.type) {
    case 'Recreate':
      return s.rollingUpdate ? [forbidden(`${f}.rollingUpdate`, "may not be specified when strategy `type` is 'Recreate'")] : [];
    case 'RollingUpdate': {
      const ru = s.rollingUpdate;
      if (!ru) return [required(`${f}.rollingUpdate`, 'this should be defaulted and never be nil')];
      const errs = validateIntOrPercent(ru.maxUnavailable, `${f}.rollingUpdate.maxUnavailable`, true);
      errs.push(...validateIntOrPercent(ru.maxSurge, `${f}.rollingUpdate.maxSurge`, false));
      if (intOrPercentValue(ru.maxUnavailable) === 0 && intOrPercentValue(ru.maxSurge) === 0) {
        errs.push(invalidGo(`${f}.rollingUpdate.maxUnavailable`, goIntOrString(ru.maxUnavailable), 'may not be 0 when `maxSurge` is 0'));
      }
      return errs;
    }
    default:
      return [notSupported(`${f}.type`, s?.type ?? '', ['Recreate', 'RollingUpdate'])];
  }
}

/** Selector checks and ValidatePodTemplateSpecForReplicaSet, shared by Deployment and ReplicaSet. */
function validateSelectorAndTemplate(selector: LabelSelector | undefined, template: PodTemplateSpec | undefined): FieldError[] {
  const errs: FieldError[] = [];
  if (!selector) errs.push(required('spec.selector'));
  else {
    errs.push(...validateLabelSelector(selector, 'spec.selector'));
    if (isEmptySelector(selector)) errs.push(invalidGo('spec.selector', goLabelSelector(selector), 'empty selector is invalid for deployment'));
  }
  if (!template) return [...errs, required('spec.template')];
  // A nil selector selects nothing, so it never matches the template (as LabelSelectorAsSelector(nil) does).
  if (!selector || (!isEmptySelector(selector) && !labelSelectorMatches(selector, template.metadata?.labels))) {
    errs.push(invalidGo('spec.template.metadata.labels', goStringMap(template.metadata?.labels), '`selector` does not match template `labels`'));
  }
  errs.push(...validatePodTemplateSpec(template, 'spec.template'));
  const rp = template.spec?.restartPolicy;
  if (rp !== 'Always') errs.push(notSupported('spec.template.spec.restartPolicy', rp ?? '', ['Always']));
  if (template.spec?.activeDeadlineSeconds != null) {
    errs.push(invalid('spec.template.spec.activeDeadlineSeconds', template.spec.activeDeadlineSeconds, 'activeDeadlineSeconds in ReplicaSet is not Supported'));
  }
  return errs;
}

export function validateDeployment(d: Deployment): FieldError[] {
  const errs = validateObjectMeta(d.metadata, { namespaced: true, nameFn: nameIsDNSSubdomain });
  const spec = d.spec;
  errs.push(...nonNegative(spec?.replicas, 'spec.replicas'));
  errs.push(...validateSelectorAndTemplate(spec?.selector, spec?.template));
  errs.push(...validateStrategy(spec?.strategy));
  errs.push(...nonNegative(spec?.minReadySeconds, 'spec.minReadySeconds'));
  errs.push(...nonNegative(spec?.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  if (spec?.progressDeadlineSeconds != null) {
    errs.push(...nonNegative(spec.progressDeadlineSeconds, 'spec.progressDeadlineSeconds'));
    if (spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0)) {
      errs.push(invalid('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds, 'must be greater than minReadySeconds'));
    }
  }
  return errs;
}

export function validateReplicaSet(rs: ReplicaSet): FieldError[] {
  const errs = validateObjectMeta(rs.metadata, { namespaced: true, nameFn: nameIsDNSSubdomain });
  errs.push(...nonNegative(rs.spec?.replicas, 'spec.replicas'));
  errs.push(...nonNegative(rs.spec?.minReadySeconds, 'spec.minReadySeconds'));
  errs.push(...validateSelectorAndTemplate(rs.spec?.selector, rs.spec?.template));
  return errs;
}

/** apps/v1 selectors are immutable. */
export function selectorImmutable(sel: LabelSelector | undefined, old: LabelSelector | undefined): FieldError[] {
  if (JSON.stringify(sel ?? null) === JSON.stringify(old ?? null)) return [];
  // A nil pointer prints as the quoted string "null" in these messages.
  return [invalidGo('spec.selector', sel ? goLabelSelector(sel) : '"null"', fieldImmutableErrorMsg)];
}

/** The Deployment strategy's PrepareForUpdate: an annotation change bumps generation too. */
function prepareDeploymentForUpdate(obj: KubeObject, old: KubeObject, ctx: UpdateContext): void {
  if (ctx.subresource === 'status') return;
  if (JSON.stringify(obj.metadata.annotations ?? {}) !== JSON.stringify(old.metadata.annotations ?? {})) obj.metadata.generation = (old.metadata.generation ?? 1) + 1;
}

export function deploymentStrategy(): ResourceStrategy {
  return {
    applyDefaults: (obj: KubeObject) => applyDeploymentDefaults(obj as unknown as Deployment),
    validate: (obj: KubeObject) => validateDeployment(obj as unknown as Deployment),
    validateUpdate: (obj: KubeObject, old: KubeObject) => {
      const d = obj as unknown as Deployment;
      const o = old as unknown as Deployment;
      const errs = validateObjectMetaUpdate(d.metadata, o.metadata);
      errs.push(...validateDeployment(d).filter((e) => !e.field.startsWith('metadata.')));
      errs.push(...selectorImmutable(d.spec?.selector, o.spec?.selector));
      return errs;
    },
    tracksGeneration: true,
    prepareForUpdate: prepareDeploymentForUpdate,
    // deploymentStatusStrategy keeps all but spec and labels: the controller records the revision annotation this way, without a generation bump
    prepareForStatusUpdate: (next: KubeObject, requested: KubeObject) => {
      next.metadata.annotations = requested.metadata.annotations;
    },
  };
}

export function replicaSetStrategy(): ResourceStrategy {
  return {
    applyDefaults: (obj: KubeObject) => applyReplicaSetDefaults(obj as unknown as ReplicaSet),
    validate: (obj: KubeObject) => validateReplicaSet(obj as unknown as ReplicaSet),
    validateUpdate: (obj: KubeObject, old: KubeObject) => {
      const rs = obj as unknown as ReplicaSet;
      const o = old as unknown as ReplicaSet;
      const errs = validateObjectMetaUpdate(rs.metadata, o.metadata);
      errs.push(...validateReplicaSet(rs).filter((e) => !e.field.startsWith('metadata.')));
      errs.push(...selectorImmutable(rs.spec?.selector, o.spec?.selector));
      return errs;
    },
    tracksGeneration: true,
  };
}
