/** CronJob (batch/v1): defaults and validation (pkg/apis/batch/v1/defaults.go, pkg/apis/batch/validation). */
import type { CronJob, CronJobSpec } from 'kubernetes-types/batch/v1.js';
import { CronParseError, isValidTimeZone, parseCronSchedule } from '../../util/cron.js';
import type { ResourceStrategy } from '../strategy.js';
import type { FieldError } from '../status.js';
import type { KubeObject } from '../types.js';
import { invalid, invalidGo, notSupported, required } from '../validation/field.js';
import { nameIsDNSSubdomain, validateLabels, validateObjectMeta, validateObjectMetaUpdate } from '../validation/metadata.js';
import { validateJobSpecCommon } from './job.js';
import { defaultPodSpec } from './podspec-defaults.js';
import { goLabelSelector } from './workloads.js';

export type CronJobObject = CronJob & KubeObject;

export function applyCronJobDefaults(cj: CronJobObject): void {
  const spec = (cj.spec ??= { schedule: '', jobTemplate: {} });
  spec.concurrencyPolicy ||= 'Allow';
  spec.suspend ??= false;
  spec.successfulJobsHistoryLimit ??= 3;
  spec.failedJobsHistoryLimit ??= 1;
  spec.jobTemplate ??= {};
  const t = spec.jobTemplate.spec?.template;
  if (t) defaultPodSpec((t.spec ??= { containers: [] }));
}

function nonNegative(v: number | undefined | null, field: string): FieldError[] {
  return v != null && v < 0 ? [invalid(field, v, 'must be greater than or equal to 0')] : [];
}

function validateSchedule(schedule: string | undefined, allowTZ: boolean, timeZone: string | undefined): FieldError[] {
  const f = 'spec.schedule';
  if (!schedule) return [required(f)];
  const errs: FieldError[] = [];
  try {
    parseCronSchedule(schedule);
  } catch (err) {
    if (!(err instanceof CronParseError)) throw err;
    errs.push(invalid(f, schedule, err.message));
  }
  if (schedule.includes('TZ')) {
    if (!allowTZ) errs.push(invalid(f, schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'));
    else if (timeZone != null) errs.push(invalid(f, schedule, 'cannot use both timeZone field and TZ or CRON_TZ in schedule'));
  }
  return errs;
}

const validTimeZoneCharacters = /^[A-Za-z._+\-0-9]+$/;

function validateTimeZone(tz: string | undefined): FieldError[] {
  const f = 'spec.timeZone';
  if (tz == null) return [];
  if (tz === '') return [invalid(f, tz, 'timeZone must be nil or non-empty string')];
  for (const part of tz.split('/')) {
    if (part === '.' || part === '..' || part.startsWith('-') || !validTimeZoneCharacters.test(part)) return [invalid(f, tz, `unknown time zone ${tz}`)];
  }
  if (tz.toLowerCase() === 'local') return [invalid(f, tz, 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones')];
  return isValidTimeZone(tz) ? [] : [invalid(f, tz, `unknown time zone ${tz}`)];
}

function validateCronJobSpec(spec: CronJobSpec | undefined, allowTZ: boolean): FieldError[] {
  if (!spec) return [required('spec')];
  const errs = validateSchedule(spec.schedule, allowTZ, spec.timeZone);
  errs.push(...nonNegative(spec.startingDeadlineSeconds, 'spec.startingDeadlineSeconds'));
  const cp = spec.concurrencyPolicy;
  if (!cp) errs.push(required('spec.concurrencyPolicy'));
  else if (!['Allow', 'Forbid', 'Replace'].includes(cp)) errs.push(notSupported('spec.concurrencyPolicy', cp, ['Allow', 'Forbid', 'Replace']));
  errs.push(...nonNegative(spec.successfulJobsHistoryLimit, 'spec.successfulJobsHistoryLimit'));
  errs.push(...nonNegative(spec.failedJobsHistoryLimit, 'spec.failedJobsHistoryLimit'));
  errs.push(...validateTimeZone(spec.timeZone));
  // ValidateJobTemplateSpec
  const jt = spec.jobTemplate;
  errs.push(...validateLabels(jt?.metadata?.labels, 'spec.jobTemplate.metadata.labels'));
  errs.push(...validateJobSpecCommon(jt?.spec, 'spec.jobTemplate.spec'));
  if (jt?.spec?.selector) errs.push(invalidGo('spec.jobTemplate.spec.selector', goLabelSelector(jt.spec.selector), '`selector` will be auto-generated'));
  if (jt?.spec?.manualSelector) errs.push(notSupported('spec.jobTemplate.spec.manualSelector', true, ['nil', 'false']));
  return errs;
}

export function validateCronJob(cj: CronJobObject): FieldError[] {
  const errs = validateObjectMeta(cj.metadata, { namespaced: true, nameFn: nameIsDNSSubdomain });
  // the Job names <cronjob>-<minutes> must stay within 63 characters
  const name = cj.metadata.name ?? '';
  if (name.length > 52) errs.push(invalid('metadata.name', name, 'must be no more than 52 characters'));
  errs.push(...validateCronJobSpec(cj.spec, false));
  return errs;
}

export function cronJobStrategy(): ResourceStrategy {
  return {
    tracksGeneration: true,
    applyDefaults: (obj: KubeObject) => applyCronJobDefaults(obj as CronJobObject),
    validate: (obj: KubeObject) => validateCronJob(obj as CronJobObject),
    validateUpdate: (obj: KubeObject, old: KubeObject) => {
      const cj = obj as CronJobObject;
      const o = old as CronJobObject;
      const errs = validateObjectMetaUpdate(cj.metadata, o.metadata);
      // an existing schedule with TZ keeps working; a new one may not add it
      errs.push(...validateCronJobSpec(cj.spec, (o.spec?.schedule ?? '').includes('TZ')));
      return errs;
    },
  };
}
