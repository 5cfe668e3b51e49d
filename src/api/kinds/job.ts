/** Job (batch/v1): defaults, the generated selector and validation (pkg/apis/batch, pkg/registry/batch/job). */
import type { Job, JobSpec } from 'kubernetes-types/batch/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import type { ResourceStrategy } from '../strategy.js';
import type { FieldError } from '../status.js';
import { clone, type KubeObject } from '../types.js';
import { duplicate, goStringMap, invalid, invalidGo, notSupported, required } from '../validation/field.js';
import { fieldImmutableErrorMsg, labelSelectorMatches, nameIsDNSSubdomain, validateLabelSelector, validateObjectMeta, validateObjectMetaUpdate } from '../validation/metadata.js';
import { defaultPodSpec } from './podspec-defaults.js';
import { validatePodTemplateSpec } from './podspec-validation.js';
import { goLabelSelector } from './workloads.js';

export const controllerUidLabel = 'batch.kubernetes.io/controller-uid';
export const jobNameLabel = 'batch.kubernetes.io/job-name';
export const legacyControllerUidLabel = 'controller-uid';
export const legacyJobNameLabel = 'job-name';
export const jobCompletionIndexAnnotation = 'batch.kubernetes.io/job-completion-index';
export const jobTrackingFinalizer = 'batch.kubernetes.io/job-tracking';
export const cronJobScheduledTimestampAnnotation = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

export type JobObject = Job & KubeObject;

const maxParallelismForIndexedJob = 100_000;

/** SetDefaults_Job for the spec fields (also used, minus completions/parallelism, by nothing else). */
export function applyJobSpecDefaults(spec: JobSpec): void {
  if (spec.completions == null && spec.parallelism == null) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  spec.parallelism ??= 1;
  spec.backoffLimit ??= spec.backoffLimitPerIndex != null ? 2147483647 : 6;
  spec.completionMode ??= 'NonIndexed';
  spec.suspend ??= false;
  spec.podReplacementPolicy ??= spec.podFailurePolicy ? 'Failed' : 'TerminatingOrFailed';
  for (const rule of spec.podFailurePolicy?.rules ?? []) for (const p of rule.onPodConditions ?? []) p.status ||= 'True';
  defaultPodSpec((spec.template.spec ??= { containers: [] }));
}

/**
 * The job strategy's generateSelector: unless manualSelector, the pod template carries the job's uid and
 * name labels (new and legacy keys) and the selector is the uid label. Needs metadata.uid (set on create
 * before defaults run).
 */
export function generateJobSelector(job: JobObject): void {
  const spec = job.spec!;
  spec.manualSelector ??= false;
  if (spec.manualSelector) return;
  const uid = job.metadata.uid;
  const name = job.metadata.name;
  if (!uid || !name) return;
  const md = (spec.template.metadata ??= {});
  const labels = (md.labels ??= {});
  labels[controllerUidLabel] ??= uid;
  labels[legacyControllerUidLabel] ??= uid;
  labels[jobNameLabel] ??= name;
  labels[legacyJobNameLabel] ??= name;
  spec.selector ??= { matchLabels: { [controllerUidLabel]: uid } };
}

export function applyJobDefaults(job: JobObject): void {
  const spec = (job.spec ??= { template: {} });
  spec.template ??= {};
  applyJobSpecDefaults(spec);
  generateJobSelector(job);
  const templateLabels = spec.template.metadata?.labels;
  if (templateLabels && Object.keys(job.metadata.labels ?? {}).length === 0) job.metadata.labels = { ...templateLabels };
}

function nonNegative(v: number | undefined | null, field: string): FieldError[] {
  return v != null && v < 0 ? [invalid(field, v, 'must be greater than or equal to 0')] : [];
}

function hasLabel(labels: Record<string, string> | undefined, path: string, k: string, want: string): FieldError[] {
  const got = labels?.[k];
  if (got === undefined) return [required(`${path}.labels[${k}]`)];
  return got === want ? [] : [invalid(`${path}.labels[${k}]`, got, `must be '${want}'`)];
}

/** ValidateGeneratedSelector */
function validateGeneratedSelector(job: JobObject): FieldError[] {
  const spec = job.spec;
  if (!spec || spec.manualSelector || !spec.selector) return [];
  const errs: FieldError[] = [];
  if (!job.metadata.uid) errs.push(required('metadata.uid'));
  const labels = spec.template?.metadata?.labels;
  const uid = job.metadata.uid ?? '';
  const name = job.metadata.name ?? '';
  errs.push(...hasLabel(labels, 'spec.template.metadata', legacyControllerUidLabel, uid));
  errs.push(...hasLabel(labels, 'spec.template.metadata', legacyJobNameLabel, name));
  errs.push(...hasLabel(labels, 'spec.template.metadata', controllerUidLabel, uid));
  errs.push(...hasLabel(labels, 'spec.template.metadata', jobNameLabel, name));
  const expected = { [controllerUidLabel]: uid, [jobNameLabel]: name, [legacyControllerUidLabel]: uid, [legacyJobNameLabel]: name };
  if (!labelSelectorMatches(spec.selector, expected)) errs.push(invalidGo('spec.selector', goLabelSelector(spec.selector), '`selector` not auto-generated'));
  return errs;
}

/** validateJobSpec: what a Job and a CronJob's jobTemplate share. */
export function validateJobSpecCommon(spec: JobSpec | undefined, path: string): FieldError[] {
  if (!spec) return [required(path)];
  const errs: FieldError[] = [];
  errs.push(...nonNegative(spec.parallelism, `${path}.parallelism`));
  errs.push(...nonNegative(spec.completions, `${path}.completions`));
  errs.push(...nonNegative(spec.activeDeadlineSeconds, `${path}.activeDeadlineSeconds`));
  errs.push(...nonNegative(spec.backoffLimit, `${path}.backoffLimit`));
  errs.push(...nonNegative(spec.ttlSecondsAfterFinished, `${path}.ttlSecondsAfterFinished`));
  if (spec.completionMode != null) {
    if (spec.completionMode !== 'NonIndexed' && spec.completionMode !== 'Indexed') {
      errs.push(notSupported(`${path}.completionMode`, spec.completionMode, ['NonIndexed', 'Indexed']));
    }
    if (spec.completionMode === 'Indexed') {
      if (spec.completions == null) errs.push(required(`${path}.completions`, 'when completion mode is Indexed'));
      if (spec.parallelism != null && spec.parallelism > maxParallelismForIndexedJob) {
        errs.push(invalid(`${path}.parallelism`, spec.parallelism, `must be less than or equal to ${maxParallelismForIndexedJob} when completion mode is Indexed`));
      }
    }
  }
  if (spec.podReplacementPolicy != null && !['TerminatingOrFailed', 'Failed'].includes(spec.podReplacementPolicy)) {
    errs.push(notSupported(`${path}.podReplacementPolicy`, spec.podReplacementPolicy, ['Failed', 'TerminatingOrFailed']));
  }
  errs.push(...validatePodTemplateSpec(spec.template, `${path}.template`));
  const rp = spec.template?.spec?.restartPolicy;
  if (rp !== 'OnFailure' && rp !== 'Never') errs.push(notSupported(`${path}.template.spec.restartPolicy`, rp ?? '', ['OnFailure', 'Never']));
  else if (spec.podFailurePolicy && rp !== 'Never') errs.push(invalid(`${path}.template.spec.restartPolicy`, rp, 'only "Never" is supported when podFailurePolicy is specified'));
  if (spec.podFailurePolicy) errs.push(...validatePodFailurePolicy(spec, `${path}.podFailurePolicy`));
  return errs;
}

/** validatePodFailurePolicy (the checks a hand-written rule most often trips). */
function validatePodFailurePolicy(spec: JobSpec, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const rules = spec.podFailurePolicy?.rules ?? [];
  if (rules.length > 20) errs.push({ type: 'FieldValueTooMany', field: `${path}.rules`, detail: 'must have at most 20 items' });
  rules.forEach((rule, i) => {
    const rp = `${path}.rules[${i}]`;
    const actions = spec.completionMode === 'Indexed' && spec.backoffLimitPerIndex != null ? ['Count', 'FailIndex', 'FailJob', 'Ignore'] : ['Count', 'FailJob', 'Ignore'];
    if (!rule.action) errs.push(required(`${rp}.action`));
    else if (!actions.includes(rule.action)) errs.push(notSupported(`${rp}.action`, rule.action, actions));
    if (rule.onExitCodes && rule.onPodConditions?.length) errs.push({ type: 'FieldValueInvalid', field: rp, detail: 'specifying both OnExitCodes and OnPodConditions is not supported' });
    else if (!rule.onExitCodes && !rule.onPodConditions?.length) errs.push({ type: 'FieldValueInvalid', field: rp, detail: 'specifying one of OnExitCodes and OnPodConditions is required' });
    const ec = rule.onExitCodes;
    if (ec) {
      const ep = `${rp}.onExitCodes`;
      if (!['In', 'NotIn'].includes(ec.operator)) errs.push(notSupported(`${ep}.operator`, ec.operator, ['In', 'NotIn']));
      if (!ec.values?.length) errs.push(required(`${ep}.values`, 'at least one value is required'));
      (ec.values ?? []).forEach((v, j) => {
        if (ec.operator === 'In' && v === 0) errs.push(invalid(`${ep}.values[${j}]`, v, 'must not be 0 for the In operator'));
        if (j > 0 && v === ec.values[j - 1]) errs.push(duplicate(`${ep}.values[${j}]`, v));
        else if (j > 0 && v < ec.values[j - 1]!) errs.push(invalid(`${ep}.values[${j}]`, v, 'must be ordered'));
      });
    }
  });
  return errs;
}

/** ValidateJobSpec: the common checks plus the selector. */
function validateJobSpec(spec: JobSpec | undefined): FieldError[] {
  const errs = validateJobSpecCommon(spec, 'spec');
  if (!spec) return errs;
  if (!spec.selector) errs.push(required('spec.selector'));
  else {
    errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
    if (!labelSelectorMatches(spec.selector, spec.template?.metadata?.labels)) {
      errs.push(invalidGo('spec.template.metadata.labels', goStringMap(spec.template?.metadata?.labels), '`selector` does not match template `labels`'));
    }
  }
  return errs;
}

export function validateJob(job: JobObject): FieldError[] {
  const errs = validateObjectMeta(job.metadata, { namespaced: true, nameFn: nameIsDNSSubdomain });
  errs.push(...validateGeneratedSelector(job));
  errs.push(...validateJobSpec(job.spec));
  return errs;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** ValidateJobSpecUpdate: completions (unless an elastic Indexed job), selector and template are immutable. */
function validateJobSpecUpdate(spec: JobSpec | undefined, old: JobSpec | undefined): FieldError[] {
  const errs: FieldError[] = [];
  const elastic = spec?.completionMode === 'Indexed' && spec.completions === spec.parallelism && old?.completions === old?.parallelism;
  if (!elastic && !same(spec?.completions, old?.completions)) errs.push(invalid('spec.completions', spec?.completions ?? null, fieldImmutableErrorMsg));
  if (!same(spec?.selector, old?.selector)) errs.push(invalidGo('spec.selector', spec?.selector ? goLabelSelector(spec.selector as LabelSelector) : '"null"', fieldImmutableErrorMsg));
  if (!same(spec?.template, old?.template)) {
    // Kubernetes allows scheduling directives to change while the job is suspended and never started.
    const stripSched = (t: JobSpec['template'] | undefined) => {
      const c = clone(t ?? {});
      if (c.spec) {
        delete c.spec.nodeSelector;
        delete c.spec.tolerations;
        delete c.spec.affinity;
        delete c.spec.schedulingGates;
      }
      if (c.metadata) {
        delete c.metadata.labels;
        delete c.metadata.annotations;
      }
      return c;
    };
    if (!(old?.suspend && same(stripSched(spec?.template), stripSched(old?.template)))) {
      errs.push({ type: 'FieldValueInvalid', field: 'spec.template', detail: `core.PodTemplateSpec{...}: ${fieldImmutableErrorMsg}` });
    }
  }
  if (!same(spec?.completionMode, old?.completionMode)) errs.push(invalid('spec.completionMode', spec?.completionMode ?? '', fieldImmutableErrorMsg));
  return errs;
}

export function jobStrategy(): ResourceStrategy {
  return {
    tracksGeneration: true,
    applyDefaults: (obj: KubeObject) => applyJobDefaults(obj as JobObject),
    validate: (obj: KubeObject) => validateJob(obj as JobObject),
    validateUpdate: (obj: KubeObject, old: KubeObject) => {
      const job = obj as JobObject;
      const o = old as JobObject;
      const errs = validateObjectMetaUpdate(job.metadata, o.metadata);
      errs.push(...validateJobSpec(job.spec));
      errs.push(...validateJobSpecUpdate(job.spec, o.spec));
      return errs;
    },
  };
}
