import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CronJobObject } from '../../api/kinds/cronjob.js';
import type { JobObject } from '../../api/kinds/job.js';
import { findResource } from '../../api/resources.js';
import { EventRecorder } from '../../client/events.js';
import { InformerFactory } from '../../client/informer-factory.js';
import { RestClient } from '../../client/rest.js';
import { FakeApiServer, runUntilTestEnds } from '../../client/testing/fake-apiserver.js';
import { FakeClock, rfc3339 } from '../../util/clock.js';
import { waitFor } from '../../util/testing.js';
import { CronJobController } from './controller.js';

const cronjobs = findResource('batch', 'v1', 'cronjobs')!;
const jobs = findResource('batch', 'v1', 'jobs')!;

test('the controller with an injected clock: one Job per minute, finished ones pruned to the history limit', async (t) => {
  const server = new FakeApiServer();
  await server.start();
  const client = new RestClient({ server: server.url, token: 't' });
  const clock = new FakeClock(Date.parse('2026-01-01T10:00:30Z'));
  server.put(cronjobs, {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'tick', namespace: 'default', creationTimestamp: rfc3339(clock.now()) },
    spec: { schedule: '*/1 * * * *', concurrencyPolicy: 'Allow', suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1, jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } } },
  } as unknown as CronJobObject);
  const recorder = new EventRecorder({ client, component: 'cronjob-controller', log: () => {} });
  const factory = new InformerFactory({ client, log: () => {} });
  const ctrl = new CronJobController({ factory, recorder, clock, log: () => {} });
  const signal = runUntilTestEnds(t, { server, recorder, run: (signal) => (factory.start(signal), ctrl.run(signal)) });
  const jobNames = () => server.listObjects(jobs, 'default').map((j) => j.metadata.name!).sort();
  const cj = () => server.getObject(cronjobs, 'default', 'tick') as CronJobObject;
  await waitFor('the caches', async () => ((await factory.waitForCacheSync(signal)) ? true : undefined));
  for (let i = 1; i <= 5; i++) {
    clock.step(60_000);
    const minute = Math.floor(Date.parse('2026-01-01T10:00:00Z') / 60_000) + i;
    const name = `tick-${minute}`;
    await waitFor(`job ${name}`, () => (jobNames().includes(name) && cj().status?.active?.some((r) => r.name === name) ? true : undefined));
    const job = server.getObject(jobs, 'default', name) as JobObject;
    assert.equal(job.metadata.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp'], rfc3339(minute * 60_000));
    assert.equal(cj().status?.lastScheduleTime, rfc3339(minute * 60_000));
    // the Job finishes a second later
    const done = rfc3339(minute * 60_000 + 1000);
    server.put(jobs, { ...job, status: { startTime: rfc3339(minute * 60_000), completionTime: done, succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] } } as JobObject);
    await waitFor('the Job to leave the active list', () => (!(cj().status?.active ?? []).length && cj().status?.lastSuccessfulTime === done ? true : undefined));
  }
  await waitFor('history pruned to 3', () => (jobNames().length === 3 ? true : undefined));
  const base = Math.floor(Date.parse('2026-01-01T10:00:00Z') / 60_000);
  assert.deepEqual(jobNames(), [`tick-${base + 3}`, `tick-${base + 4}`, `tick-${base + 5}`]);
});
