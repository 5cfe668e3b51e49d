import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyCronJobDefaults, type CronJobObject } from '../../api/kinds/cronjob.js';
import type { JobObject } from '../../api/kinds/job.js';
import type { KubeObject } from '../../api/types.js';
import { FakeClock, rfc3339 } from '../../util/clock.js';
import { parseCronSchedule } from '../../util/cron.js';
import { jobNameFor, mostRecentScheduleTime, nextScheduleTimeDuration, rfc3339In } from './schedule.js';
import { jobsToPrune, jobRef, planCronJobSync } from './sync.js';

const t0 = Date.parse('2026-01-01T10:00:30Z');

function cronJob(spec: Record<string, unknown> = {}, status: Record<string, unknown> = {}, created = t0): CronJobObject {
  const cj = {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'tick', namespace: 'default', uid: 'cj-uid', creationTimestamp: rfc3339(created) },
    spec: {
      schedule: '*/1 * * * *',
      jobTemplate: { metadata: { labels: { app: 'tick' } }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } },
      ...spec,
    },
    status,
  } as unknown as CronJobObject;
  applyCronJobDefaults(cj);
  return cj;
}

function finishedJob(name: string, type: 'Complete' | 'Failed', startedAt: number): JobObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'tick', uid: 'cj-uid', controller: true }] },
    spec: { template: {} },
    status: { startTime: rfc3339(startedAt), completionTime: rfc3339(startedAt + 1000), conditions: [{ type, status: 'True' }] },
  } as unknown as JobObject;
}

test('*/1: nothing before the first minute; then one Job named by its minute, with the scheduled-timestamp annotation', () => {
  const clock = new FakeClock(t0);
  let cj = cronJob();
  let plan = planCronJobSync(cj, [], clock.now());
  assert.equal(plan.create, undefined);
  assert.equal(plan.requeueAfterMs, 30_100, 'requeued for 10:01:00 plus the 100 ms delta');
  clock.step(plan.requeueAfterMs!);
  plan = planCronJobSync(cj, [], clock.now());
  const scheduled = Date.parse('2026-01-01T10:01:00Z');
  assert.equal(plan.create?.scheduledTime, scheduled);
  const job = plan.create!.job;
  assert.equal(job.metadata.name, `tick-${scheduled / 60_000}`);
  assert.equal(job.metadata.name, 'tick-29454361');
  assert.deepEqual(job.metadata.annotations, { 'batch.kubernetes.io/cronjob-scheduled-timestamp': '2026-01-01T10:01:00Z' });
  assert.deepEqual(job.metadata.labels, { app: 'tick' });
  assert.equal(job.metadata.ownerReferences![0]!.uid, 'cj-uid');
  assert.equal(plan.status.lastScheduleTime, '2026-01-01T10:01:00Z');
  assert.ok(plan.requeueAfterMs! > 59_000 && plan.requeueAfterMs! <= 60_100);
  // the same minute again: already handled
  cj = cronJob({}, { ...plan.status, active: [jobRef({ ...job, metadata: { ...job.metadata, uid: 'j1' } })] });
  plan = planCronJobSync(cj, [], clock.now());
  assert.equal(plan.create, undefined);
});

test('missed starts: the most recent one runs once; more than 100 missed warns; startingDeadlineSeconds bounds it', () => {
  const sched = parseCronSchedule('*/1 * * * *');
  const created = Date.parse('2026-01-01T00:00:00Z');
  const cj = cronJob({}, {}, created);
  const now = Date.parse('2026-01-01T00:10:30Z');
  const r = mostRecentScheduleTime(cj, now, sched, undefined, true);
  assert.equal(r.mostRecent, Date.parse('2026-01-01T00:10:00Z'));
  assert.equal(r.missed, 'few');
  let plan = planCronJobSync(cj, [], now);
  assert.equal(plan.create?.scheduledTime, Date.parse('2026-01-01T00:10:00Z'));
  assert.ok(!plan.events.some((e) => e.reason === 'TooManyMissedTimes'));
  // three hours down: 180 missed
  const late = Date.parse('2026-01-01T03:00:30Z');
  plan = planCronJobSync(cj, [], late);
  assert.deepEqual(plan.events.find((e) => e.reason === 'TooManyMissedTimes'), {
    type: 'Warning',
    reason: 'TooManyMissedTimes',
    message: 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew',
  });
  assert.equal(plan.create?.scheduledTime, Date.parse('2026-01-01T03:00:00Z'));
  // a starting deadline looks back only that far: no warning, still starts the latest
  plan = planCronJobSync(cronJob({ startingDeadlineSeconds: 200 }, {}, created), [], late);
  assert.ok(!plan.events.some((e) => e.reason === 'TooManyMissedTimes'));
  assert.equal(plan.create?.scheduledTime, Date.parse('2026-01-01T03:00:00Z'));
  // past the deadline for the last start: missed
  const hourly = cronJob({ schedule: '0 * * * *', startingDeadlineSeconds: 10 }, {}, created);
  plan = planCronJobSync(hourly, [], Date.parse('2026-01-01T03:00:30Z'));
  assert.equal(plan.create, undefined);
  assert.deepEqual(plan.events, []);
  const r2 = mostRecentScheduleTime(hourly, Date.parse('2026-01-01T03:00:05Z'), parseCronSchedule('0 * * * *'), undefined, true);
  assert.equal(r2.mostRecent, Date.parse('2026-01-01T03:00:00Z'));
});

test('startingDeadlineSeconds: starts missed longer ago than the deadline are skipped, the next one is awaited', () => {
  const status = { lastScheduleTime: '2026-01-01T00:00:00Z' };
  const now = Date.parse('2026-01-01T03:00:30Z');
  // 03:00 is 30 s late: inside a 60 s deadline it runs
  assert.equal(planCronJobSync(cronJob({ schedule: '0 * * * *', startingDeadlineSeconds: 60 }, status), [], now).create?.scheduledTime, Date.parse('2026-01-01T03:00:00Z'));
  // outside a 10 s deadline nothing runs and the controller waits for 04:00
  const plan = planCronJobSync(cronJob({ schedule: '0 * * * *', startingDeadlineSeconds: 10 }, status), [], now);
  assert.equal(plan.create, undefined);
  assert.equal(plan.requeueAfterMs, Date.parse('2026-01-01T04:00:00Z') + 100 - now);
});

test('concurrencyPolicy Forbid skips while a Job runs; Replace deletes it first; Allow runs side by side', () => {
  const now = Date.parse('2026-01-01T10:02:05Z');
  const active = [{ kind: 'Job', name: 'tick-29454361', namespace: 'default', uid: 'a1', apiVersion: 'batch/v1' }];
  const running = { ...finishedJob('tick-29454361', 'Complete', 0), status: { startTime: rfc3339(t0) } } as JobObject;
  (running.metadata as KubeObject['metadata']).uid = 'a1';
  const status = { lastScheduleTime: '2026-01-01T10:01:00Z', active };
  let plan = planCronJobSync(cronJob({ concurrencyPolicy: 'Forbid' }, status), [running], now);
  assert.equal(plan.create, undefined);
  assert.deepEqual(plan.events.map((e) => e.reason), ['JobAlreadyActive']);
  plan = planCronJobSync(cronJob({ concurrencyPolicy: 'Replace' }, status), [running], now);
  assert.deepEqual(plan.replace, active);
  assert.equal(plan.create?.job.metadata.name, 'tick-29454362');
  assert.equal(plan.status.active, undefined, 'the replaced Job leaves the active list');
  plan = planCronJobSync(cronJob({}, status), [running], now);
  assert.deepEqual(plan.replace, []);
  assert.ok(plan.create);
  assert.deepEqual(plan.status.active, active);
});

test('finished Jobs leave the active list, lastSuccessfulTime follows them, missing ones are dropped', () => {
  const done = finishedJob('tick-1', 'Complete', t0);
  const status = { active: [jobRef(done), { kind: 'Job', name: 'tick-0', namespace: 'default', uid: 'gone' }] };
  const plan = planCronJobSync(cronJob({ suspend: true }, status), [done], t0 + 5000, new Set(['gone']));
  assert.equal(plan.status.active, undefined);
  assert.equal(plan.status.lastSuccessfulTime, rfc3339(t0 + 1000));
  assert.deepEqual(plan.events.map((e) => `${e.reason}: ${e.message}`), ['SawCompletedJob: Saw completed job: tick-1, condition: Complete', 'MissingJob: Active job went missing: tick-0']);
});

test('history limits: keep the newest 3 succeeded and 1 failed', () => {
  const cj = cronJob();
  assert.equal(cj.spec!.successfulJobsHistoryLimit, 3);
  assert.equal(cj.spec!.failedJobsHistoryLimit, 1);
  const jobs = [
    finishedJob('s1', 'Complete', t0 + 1000),
    finishedJob('s4', 'Complete', t0 + 4000),
    finishedJob('s2', 'Complete', t0 + 2000),
    finishedJob('s3', 'Complete', t0 + 3000),
    finishedJob('f1', 'Failed', t0 + 1500),
    finishedJob('f2', 'Failed', t0 + 2500),
  ];
  assert.deepEqual(jobsToPrune(cj, jobs).map((j) => j.metadata.name), ['s1', 'f1']);
  assert.deepEqual(jobsToPrune(cronJob({ successfulJobsHistoryLimit: 0, failedJobsHistoryLimit: 5 }), jobs).map((j) => j.metadata.name), ['s1', 's2', 's3', 's4']);
  // the controller prunes as it syncs, with an injected clock driving the schedule
  const clock = new FakeClock(t0);
  const history: JobObject[] = [];
  let c = cronJob();
  for (let i = 0; i < 5; i++) {
    clock.step(60_000);
    const plan = planCronJobSync(c, history, clock.now());
    for (const p of plan.prune) history.splice(history.indexOf(p), 1);
    const created = plan.create!.job;
    history.push(finishedJob(created.metadata.name!, 'Complete', clock.now()));
    c = { ...c, status: { ...plan.status, active: undefined } };
  }
  const last = planCronJobSync(c, history, clock.now());
  for (const p of last.prune) history.splice(history.indexOf(p), 1);
  assert.equal(history.length, 3);
});

test('time zones: the schedule runs on the zone wall clock, the annotation carries its offset', () => {
  const cj = cronJob({ schedule: '0 9 * * *', timeZone: 'Europe/Berlin' }, {}, Date.parse('2026-01-01T00:00:00Z'));
  const plan = planCronJobSync(cj, [], Date.parse('2026-01-01T08:00:05Z'));
  assert.equal(plan.create?.scheduledTime, Date.parse('2026-01-01T08:00:00Z'));
  assert.equal(plan.create!.job.metadata.annotations!['batch.kubernetes.io/cronjob-scheduled-timestamp'], '2026-01-01T09:00:00+01:00');
  assert.equal(rfc3339In(Date.parse('2026-07-01T12:00:00Z'), 'America/New_York'), '2026-07-01T08:00:00-04:00');
  const bad = planCronJobSync(cronJob({ timeZone: 'Mars/Olympus' }), [], t0 + 60_000);
  assert.equal(bad.create, undefined);
  assert.equal(bad.events[0]!.reason, 'UnknownTimeZone');
});

test('nextScheduleTimeDuration and job names', () => {
  const cj = cronJob({ schedule: '*/5 * * * *' }, { lastScheduleTime: '2026-01-01T10:00:00Z' });
  assert.equal(nextScheduleTimeDuration(cj, Date.parse('2026-01-01T10:01:00Z'), parseCronSchedule('*/5 * * * *'), undefined), 4 * 60_000 + 100);
  assert.equal(jobNameFor('hello', Date.parse('2026-01-01T10:01:00Z')), 'hello-29454361');
});
