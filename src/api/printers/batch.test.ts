import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../types.js';
import { cronJobPrinter, jobPrinter } from './batch.js';

const now = Date.parse('2025-01-01T01:00:00Z');
const ago = (ms: number) => new Date(now - ms).toISOString().replace('.000Z', 'Z');
const template = { spec: { containers: [{ name: 'c', image: 'busybox' }] } };

test('`kubectl get jobs`: STATUS, COMPLETIONS, DURATION as printJob has them', () => {
  const job = (spec: Record<string, unknown>, status: Record<string, unknown> = {}, meta: Record<string, unknown> = {}) =>
    ({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'pi', creationTimestamp: ago(90_000), ...meta }, spec: { template, selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u' } }, ...spec }, status }) as KubeObject;
  assert.deepEqual(jobPrinter.columns.map((c) => [c.name, c.priority]), [['Name', 0], ['Status', 0], ['Completions', 0], ['Duration', 0], ['Age', 0], ['Containers', 1], ['Images', 1], ['Selector', 1]]);
  assert.deepEqual(jobPrinter.cells(job({ completions: 3, parallelism: 2 }, { succeeded: 1, startTime: ago(30_000) }), now), ['pi', 'Running', '1/3', '30s', '90s', 'c', 'busybox', 'batch.kubernetes.io/controller-uid=u']);
  const done = { succeeded: 3, startTime: ago(80_000), completionTime: ago(60_000), conditions: [{ type: 'SuccessCriteriaMet', status: 'True' }, { type: 'Complete', status: 'True' }] };
  assert.deepEqual(jobPrinter.cells(job({ completions: 3 }, done), now).slice(1, 4), ['Complete', '3/3', '20s']);
  assert.equal(jobPrinter.cells(job({ completions: 1 }, { conditions: [{ type: 'Failed', status: 'True' }] }), now)[1], 'Failed');
  assert.equal(jobPrinter.cells(job({ completions: 1 }, { conditions: [{ type: 'FailureTarget', status: 'True' }] }), now)[1], 'FailureTarget');
  assert.equal(jobPrinter.cells(job({ completions: 1 }, { conditions: [{ type: 'Suspended', status: 'True' }] }), now)[1], 'Suspended');
  assert.equal(jobPrinter.cells(job({ completions: 1 }, {}, { deletionTimestamp: ago(0) }), now)[1], 'Terminating');
  assert.equal(jobPrinter.cells(job({ parallelism: 4 }), now)[2], '0/1 of 4');
  assert.equal(jobPrinter.cells(job({ parallelism: 1 }), now)[3], '', 'no start time, no duration');
});

test('`kubectl get cronjobs`: SCHEDULE TIMEZONE SUSPEND ACTIVE LAST SCHEDULE', () => {
  const cj = (spec: Record<string, unknown>, status: Record<string, unknown> = {}) =>
    ({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'tick', creationTimestamp: ago(300_000) }, spec: { schedule: '*/1 * * * *', jobTemplate: { spec: { template } }, ...spec }, status }) as KubeObject;
  assert.deepEqual(cronJobPrinter.columns.map((c) => [c.name, c.type]).slice(0, 7), [['Name', 'string'], ['Schedule', 'string'], ['Timezone', 'string'], ['Suspend', 'boolean'], ['Active', 'integer'], ['Last Schedule', 'string'], ['Age', 'string']]);
  assert.deepEqual(cronJobPrinter.cells(cj({ suspend: false }), now), ['tick', '*/1 * * * *', '<none>', 'False', 0, '<none>', '5m', 'c', 'busybox', '<none>']);
  assert.deepEqual(cronJobPrinter.cells(cj({ suspend: true, timeZone: 'Europe/Berlin' }, { active: [{ name: 'a' }], lastScheduleTime: ago(20_000) }), now).slice(2, 6), ['Europe/Berlin', 'True', 1, '20s']);
  assert.equal(cronJobPrinter.cells(cj({}), now)[3], '<unset>');
});
