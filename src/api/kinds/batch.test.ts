import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyCronJobDefaults, cronJobStrategy, type CronJobObject } from './cronjob.js';
import { applyJobDefaults, jobStrategy, type JobObject } from './job.js';
import type { KubeObject } from '../types.js';
import { messages } from './testing.js';

const podSpec = (restartPolicy?: string) => ({ ...(restartPolicy ? { restartPolicy } : {}), containers: [{ name: 'c', image: 'busybox' }] });

function job(spec: Record<string, unknown>, meta: Record<string, unknown> = {}): JobObject {
  const j = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'pi', namespace: 'default', uid: 'u-1', ...meta }, spec: structuredClone(spec) } as unknown as JobObject;
  applyJobDefaults(j);
  return j;
}

test('Job defaults: completions/parallelism 1, backoffLimit 6, NonIndexed, the generated selector and labels', () => {
  const j = job({ template: { spec: podSpec('Never') } });
  const s = j.spec!;
  assert.deepEqual([s.completions, s.parallelism, s.backoffLimit, s.completionMode, s.suspend, s.manualSelector, s.podReplacementPolicy], [1, 1, 6, 'NonIndexed', false, false, 'TerminatingOrFailed']);
  assert.deepEqual(s.selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u-1' } });
  const labels = { 'batch.kubernetes.io/controller-uid': 'u-1', 'batch.kubernetes.io/job-name': 'pi', 'controller-uid': 'u-1', 'job-name': 'pi' };
  assert.deepEqual(s.template.metadata!.labels, labels);
  assert.deepEqual(j.metadata.labels, labels);
  assert.deepEqual(jobStrategy().validate!(j), []);
  // parallelism alone leaves completions unset
  assert.equal(job({ parallelism: 3, template: { spec: podSpec('Never') } }).spec!.completions, undefined);
});

test('Job validation messages', () => {
  const v = (spec: Record<string, unknown>) => messages(jobStrategy().validate!(job(spec)));
  assert.deepEqual(v({ template: { spec: podSpec() } }), ['spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"']);
  assert.deepEqual(v({ backoffLimit: -1, parallelism: -2, template: { spec: podSpec('Never') } }), [
    'spec.parallelism: Invalid value: -2: must be greater than or equal to 0',
    'spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0',
  ]);
  assert.deepEqual(v({ completionMode: 'Indexed', parallelism: 2, template: { spec: podSpec('Never') } }), ['spec.completions: Required value: when completion mode is Indexed']);
  assert.deepEqual(v({ completionMode: 'Sometimes', template: { spec: podSpec('Never') } }), ['spec.completionMode: Unsupported value: "Sometimes": supported values: "NonIndexed", "Indexed"']);
  // a selector without manualSelector is not the generated one
  const own = v({ selector: { matchLabels: { app: 'x' } }, template: { metadata: { labels: { app: 'x' } }, spec: podSpec('Never') } });
  assert.ok(own.some((m) => m.startsWith('spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"x"}') && m.endsWith('`selector` not auto-generated')), own.join('\n'));
  // manualSelector: the user's selector must match the template
  const manual = v({ manualSelector: true, selector: { matchLabels: { app: 'x' } }, template: { metadata: { labels: { app: 'y' } }, spec: podSpec('Never') } });
  assert.deepEqual(manual, ['spec.template.metadata.labels: Invalid value: map[string]string{"app":"y"}: `selector` does not match template `labels`']);
});

test('Job updates: completions, selector and template are immutable', () => {
  const old = job({ completions: 2, template: { spec: podSpec('Never') } });
  (old.metadata as KubeObject['metadata']).resourceVersion = '1';
  const next = structuredClone(old);
  next.spec!.completions = 3;
  next.spec!.template.spec!.containers[0]!.image = 'alpine';
  assert.deepEqual(messages(jobStrategy().validateUpdate!(next, old)), ['spec.completions: Invalid value: 3: field is immutable', 'spec.template: Invalid value: core.PodTemplateSpec{...}: field is immutable']);
  const ok = structuredClone(old);
  ok.spec!.parallelism = 5;
  ok.spec!.suspend = true;
  assert.deepEqual(jobStrategy().validateUpdate!(ok, old), []);
});

function cronJob(spec: Record<string, unknown>, name = 'tick'): CronJobObject {
  const cj = {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace: 'default' },
    spec: { schedule: '*/1 * * * *', jobTemplate: { spec: { template: { spec: podSpec('OnFailure') } } }, ...structuredClone(spec) },
  } as unknown as CronJobObject;
  applyCronJobDefaults(cj);
  return cj;
}

test('CronJob defaults and validation messages', () => {
  const cj = cronJob({});
  assert.deepEqual([cj.spec!.concurrencyPolicy, cj.spec!.suspend, cj.spec!.successfulJobsHistoryLimit, cj.spec!.failedJobsHistoryLimit], ['Allow', false, 3, 1]);
  assert.equal(cj.spec!.jobTemplate.spec!.completions, undefined, 'the template is not defaulted as a Job');
  const v = (spec: Record<string, unknown>, name?: string) => messages(cronJobStrategy().validate!(cronJob(spec, name)));
  assert.deepEqual(v({}), []);
  assert.deepEqual(v({ schedule: 'every minute' }), ['spec.schedule: Invalid value: "every minute": expected exactly 5 fields, found 2: [every minute]']);
  assert.deepEqual(v({ schedule: 'TZ=UTC * * * * *' }), ['spec.schedule: Invalid value: "TZ=UTC * * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead']);
  assert.deepEqual(v({ timeZone: 'Mars/Olympus' }), ['spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus']);
  assert.deepEqual(v({ timeZone: 'Local' }), ['spec.timeZone: Invalid value: "Local": timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones']);
  assert.deepEqual(v({ timeZone: 'Europe/Berlin' }), []);
  assert.deepEqual(v({ concurrencyPolicy: 'Sometimes' }), ['spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"']);
  assert.deepEqual(v({}, 'a'.repeat(53)), [`metadata.name: Invalid value: "${'a'.repeat(53)}": must be no more than 52 characters`]);
  assert.deepEqual(v({ jobTemplate: { spec: { template: { spec: podSpec() } } } }), ['spec.jobTemplate.spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"']);
  assert.deepEqual(v({ schedule: '' }), ['spec.schedule: Required value']);
});

test('podFailurePolicy: restartPolicy Never only, rule checks, condition status defaults to True', () => {
  const v = (spec: Record<string, unknown>) => messages(jobStrategy().validate!(job(spec)));
  const rules = [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [42] } }];
  assert.deepEqual(v({ podFailurePolicy: { rules }, template: { spec: podSpec('Never') } }), []);
  assert.deepEqual(v({ podFailurePolicy: { rules }, template: { spec: podSpec('OnFailure') } }), ['spec.template.spec.restartPolicy: Invalid value: "OnFailure": only "Never" is supported when podFailurePolicy is specified']);
  assert.deepEqual(v({ podFailurePolicy: { rules: [{ action: 'Explode', onExitCodes: { operator: 'In', values: [0, 3, 2, 2] } }] }, template: { spec: podSpec('Never') } }), [
    'spec.podFailurePolicy.rules[0].action: Unsupported value: "Explode": supported values: "Count", "FailJob", "Ignore"',
    'spec.podFailurePolicy.rules[0].onExitCodes.values[0]: Invalid value: 0: must not be 0 for the In operator',
    'spec.podFailurePolicy.rules[0].onExitCodes.values[2]: Invalid value: 2: must be ordered',
    'spec.podFailurePolicy.rules[0].onExitCodes.values[3]: Duplicate value: 2',
  ]);
  const j = job({ podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }] }, template: { spec: podSpec('Never') } });
  assert.equal(j.spec!.podFailurePolicy!.rules[0]!.onPodConditions![0]!.status, 'True');
  assert.equal(j.spec!.podReplacementPolicy, 'Failed');
});
