import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyJobDefaults, jobTrackingFinalizer, type JobObject } from '../../api/kinds/job.js';
import type { KubeObject } from '../../api/types.js';
import { FakeClock, rfc3339 } from '../../util/clock.js';
import type { PodObject } from '../common/pods.js';
import { podFromJob } from './pod-template.js';
import { planJobSync, type JobPlan } from './sync.js';
import { backoffRecord, formatIndexes, parseIndexes, remainingBackoffMs } from './tracking.js';

function job(spec: Record<string, unknown> = {}, status?: Record<string, unknown>): JobObject {
  const j = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'pi', namespace: 'default', uid: 'job-uid', creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } }, ...spec },
    status,
  } as unknown as JobObject;
  applyJobDefaults(j);
  return j;
}

let n = 0;
function pod(phase: string, opts: { finishedAt?: number; finalizer?: boolean; ready?: boolean; index?: number; deleting?: boolean; restarts?: number } = {}): PodObject {
  const p = podFromJob(job(), opts.index);
  const md = p.metadata as KubeObject['metadata'];
  md.name = `pi-${n}`;
  md.uid = `pod-${n++}`;
  md.creationTimestamp = '2026-01-01T00:00:00Z';
  if (opts.index !== undefined) p.metadata.annotations = { 'batch.kubernetes.io/job-completion-index': String(opts.index) };
  if (opts.finalizer === false) p.metadata.finalizers = [];
  if (opts.deleting) md.deletionTimestamp = '2026-01-01T00:00:00Z';
  p.spec!.nodeName = 'n1';
  const terminated = opts.finishedAt !== undefined ? { terminated: { exitCode: phase === 'Succeeded' ? 0 : 1, finishedAt: rfc3339(opts.finishedAt) } } : { running: {} };
  (p as { status?: unknown }).status = {
    phase,
    conditions: [{ type: 'Ready', status: opts.ready ? 'True' : 'False' }],
    containerStatuses: [{ name: 'c', image: 'busybox', imageID: '', ready: !!opts.ready, restartCount: opts.restarts ?? 0, state: terminated }],
  } as PodObject['status'];
  return p;
}

/** The Job after a plan ran: status written, uncounted pods' finalizers dropped. */
function apply(j: JobObject, plan: JobPlan): JobObject {
  return { ...j, status: plan.status };
}

test('completions 3, parallelism 2: never more than 2 pods, counts move through uncountedTerminatedPods', () => {
  const clock = new FakeClock();
  let j = job({ completions: 3, parallelism: 2 });
  let plan = planJobSync(j, [], clock.now());
  assert.equal(plan.create.length, 2);
  assert.equal(plan.status.active, 2);
  assert.ok(plan.status.startTime);
  j = apply(j, plan);
  const a = pod('Running', { ready: true });
  const b = pod('Running');
  plan = planJobSync(j, [a, b], clock.now());
  assert.equal(plan.create.length, 0);
  assert.equal(plan.status.ready, 1);
  clock.step(1000);
  const aDone = pod('Succeeded', { finishedAt: clock.now() });
  plan = planJobSync(j, [aDone, b], clock.now());
  assert.deepEqual(plan.uncounted, { succeeded: [aDone.metadata.uid], failed: [] });
  assert.deepEqual(plan.removeFinalizers, [aDone]);
  assert.equal(plan.create.length, 1, 'one more: 3 - 1 succeeded = 2 wanted, 1 active');
  assert.equal(plan.status.succeeded, 1);
  assert.deepEqual(plan.status.uncountedTerminatedPods, {});
  j = apply(j, plan);
  aDone.metadata.finalizers = [];
  const c = pod('Running');
  const bDone = pod('Succeeded', { finishedAt: clock.now() });
  plan = planJobSync(j, [aDone, bDone, c], clock.now());
  assert.equal(plan.create.length, 0, 'only one completion left and one pod runs it');
  assert.equal(plan.status.succeeded, 2, 'a is not counted twice');
  j = apply(j, plan);
  bDone.metadata.finalizers = [];
  clock.step(1000);
  const cDone = pod('Succeeded', { finishedAt: clock.now() });
  plan = planJobSync(j, [aDone, bDone, cDone], clock.now());
  assert.equal(plan.status.succeeded, 3);
  assert.deepEqual(plan.status.conditions!.map((x) => [x.type, x.status, x.reason]), [
    ['SuccessCriteriaMet', 'True', 'CompletionsReached'],
    ['Complete', 'True', 'CompletionsReached'],
  ]);
  assert.equal(plan.status.completionTime, rfc3339(clock.now()));
  assert.equal(plan.status.active, undefined);
  assert.deepEqual(plan.events, [{ type: 'Normal', reason: 'Completed', message: 'Job completed' }]);
});

test('pod failure backoff: 10s, then 20s, 40s, … from the last failure, capped at 10 minutes', () => {
  assert.equal(remainingBackoffMs({ failuresAfterLastSuccess: 0 }, 0), 0);
  assert.equal(remainingBackoffMs({ failuresAfterLastSuccess: 1, lastFailureTime: 0 }, 0), 10_000);
  assert.equal(remainingBackoffMs({ failuresAfterLastSuccess: 2, lastFailureTime: 0 }, 5_000), 15_000);
  assert.equal(remainingBackoffMs({ failuresAfterLastSuccess: 3, lastFailureTime: 0 }, 0), 40_000);
  assert.equal(remainingBackoffMs({ failuresAfterLastSuccess: 20, lastFailureTime: 0 }, 0), 600_000);
  assert.equal(remainingBackoffMs({ failuresAfterLastSuccess: 1, lastFailureTime: 0 }, 11_000), 0);
  // failures before the last success do not count
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  const rec = backoffRecord([pod('Succeeded', { finishedAt: t0 + 5000 })], [pod('Failed', { finishedAt: t0 }), pod('Failed', { finishedAt: t0 + 9000 })]);
  assert.deepEqual(rec, { failuresAfterLastSuccess: 1, lastFailureTime: t0 + 9000 });
});

test('a failed pod is replaced only after the backoff; past backoffLimit the Job fails', () => {
  const clock = new FakeClock();
  let j = job({ backoffLimit: 1 });
  let plan = planJobSync(j, [], clock.now());
  j = apply(j, plan);
  clock.step(2000);
  const f1 = pod('Failed', { finishedAt: clock.now() });
  plan = planJobSync(j, [f1], clock.now());
  assert.equal(plan.status.failed, 1);
  assert.equal(plan.create.length, 0, 'waits out the backoff');
  assert.equal(plan.requeueAfterMs, 10_000);
  j = apply(j, plan);
  f1.metadata.finalizers = [];
  clock.step(10_000);
  plan = planJobSync(j, [f1], clock.now());
  assert.equal(plan.create.length, 1);
  j = apply(j, plan);
  clock.step(1000);
  const f2 = pod('Failed', { finishedAt: clock.now() });
  plan = planJobSync(j, [f1, f2], clock.now());
  assert.equal(plan.status.failed, 2);
  assert.equal(plan.create.length, 0);
  const types = plan.status.conditions!.map((c) => `${c.type}/${c.reason}/${c.message}`);
  assert.deepEqual(types, ['FailureTarget/BackoffLimitExceeded/Job has reached the specified backoff limit', 'Failed/BackoffLimitExceeded/Job has reached the specified backoff limit']);
  assert.deepEqual(plan.events, [{ type: 'Warning', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }]);
  assert.equal(plan.status.completionTime, undefined, 'a failed Job has no completionTime');
  // finished: nothing more happens, the last finalizer goes
  j = apply(j, plan);
  plan = planJobSync(j, [f1, f2], clock.now());
  assert.deepEqual(plan.create, []);
  assert.deepEqual(plan.removeFinalizers, [f2]);
});

test('FailureTarget first while pods still run; Failed once they are gone', () => {
  const clock = new FakeClock();
  let j = job({ backoffLimit: 0, parallelism: 2, completions: 2 });
  j = apply(j, planJobSync(j, [], clock.now()));
  const running = pod('Running');
  const failed = pod('Failed', { finishedAt: clock.now() });
  let plan = planJobSync(j, [running, failed], clock.now());
  assert.deepEqual(plan.deletePods, [running]);
  assert.deepEqual(plan.status.conditions!.map((c) => c.type), ['FailureTarget']);
  j = apply(j, plan);
  failed.metadata.finalizers = [];
  (running.metadata as KubeObject['metadata']).deletionTimestamp = rfc3339(clock.now());
  plan = planJobSync(j, [running, failed], clock.now());
  // the deleted pod counts as failed and its finalizer goes; nothing is terminating then
  assert.equal(plan.status.failed, 2);
  j = apply(j, plan);
  running.metadata.finalizers = [];
  running.status!.phase = 'Failed';
  plan = planJobSync(j, [running, failed], clock.now());
  assert.deepEqual(plan.status.conditions!.map((c) => c.type), ['FailureTarget', 'Failed']);
});

test('activeDeadlineSeconds: requeue at the deadline, then DeadlineExceeded and the pods go', () => {
  const clock = new FakeClock();
  let j = job({ activeDeadlineSeconds: 30 });
  let plan = planJobSync(j, [], clock.now());
  assert.equal(plan.requeueAfterMs, 30_000);
  j = apply(j, plan);
  const p = pod('Running');
  clock.step(30_000);
  plan = planJobSync(j, [p], clock.now());
  assert.deepEqual(plan.deletePods, [p]);
  assert.equal(plan.status.conditions![0]!.reason, 'DeadlineExceeded');
  assert.equal(plan.status.conditions![0]!.message, 'Job was active longer than specified deadline');
});

test('restartPolicy OnFailure: container restarts count against the backoff limit', () => {
  const j = apply(job({ backoffLimit: 2, template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'busybox' }] } } }), { status: {} } as JobPlan);
  j.status = { startTime: '2026-01-01T00:00:00Z' };
  const plan = planJobSync(j, [pod('Running', { restarts: 2 })], Date.parse('2026-01-01T00:00:05Z'));
  assert.equal(plan.status.conditions![0]!.reason, 'BackoffLimitExceeded');
});

test('suspend deletes the pods and resets startTime; resume starts again', () => {
  const now = Date.parse('2026-01-01T00:00:10Z');
  let j = job({ suspend: true }, { startTime: '2026-01-01T00:00:00Z', active: 1 });
  const p = pod('Running');
  let plan = planJobSync(j, [p], now);
  assert.deepEqual(plan.deletePods, [p]);
  assert.equal(plan.status.startTime, undefined);
  assert.deepEqual(plan.status.conditions!.map((c) => [c.type, c.status, c.reason]), [['Suspended', 'True', 'JobSuspended']]);
  j = { ...apply(j, plan), spec: { ...j.spec!, suspend: false } };
  plan = planJobSync(j, [], now + 1000);
  assert.equal(plan.create.length, 1);
  assert.equal(plan.status.startTime, rfc3339(now + 1000));
  assert.deepEqual(plan.status.conditions!.map((c) => [c.type, c.status, c.reason]), [['Suspended', 'False', 'JobResumed']]);
});

test('Indexed: one pod per missing index, completedIndexes, index env and hostname', () => {
  const now = Date.parse('2026-01-01T00:00:10Z');
  let j = job({ completionMode: 'Indexed', completions: 4, parallelism: 2 });
  let plan = planJobSync(j, [], now);
  assert.deepEqual(plan.create, [0, 1]);
  const p0 = podFromJob(j, 0);
  assert.equal(p0.metadata.generateName, 'pi-0-');
  assert.equal(p0.metadata.labels!['batch.kubernetes.io/job-completion-index'], '0');
  assert.equal(p0.spec!.hostname, 'pi-0');
  assert.deepEqual(p0.spec!.containers[0]!.env, [{ name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: "metadata.labels['batch.kubernetes.io/job-completion-index']" } } }]);
  assert.ok(p0.metadata.finalizers!.includes(jobTrackingFinalizer));
  j = apply(j, plan);
  plan = planJobSync(j, [pod('Succeeded', { index: 0, finishedAt: now }), pod('Running', { index: 1 })], now);
  assert.deepEqual(plan.create, [2]);
  assert.equal(plan.status.completedIndexes, '0');
  assert.equal(plan.status.succeeded, 1);
  assert.deepEqual([...parseIndexes('0,2-4,9', 5)], [0, 2, 3, 4]);
  assert.equal(formatIndexes([4, 0, 2, 3, 7]), '0,2-4,7');
});

test('no completions: done when any pod succeeded and none is left running', () => {
  const now = Date.parse('2026-01-01T00:00:10Z');
  const j = job({ parallelism: 2 }, { startTime: '2026-01-01T00:00:00Z' });
  assert.equal(j.spec!.completions, undefined);
  let plan = planJobSync(j, [pod('Succeeded', { finishedAt: now }), pod('Running')], now);
  assert.equal(plan.create.length, 0, 'after a success no new pods');
  assert.equal(plan.status.conditions, undefined);
  plan = planJobSync(j, [pod('Succeeded', { finishedAt: now }), pod('Succeeded', { finishedAt: now })], now);
  assert.deepEqual(plan.status.conditions!.map((c) => c.type), ['SuccessCriteriaMet', 'Complete']);
});

test('podFailurePolicy: FailJob on a matching exit code, Ignore does not count, others count', () => {
  const now = Date.parse('2026-01-01T00:00:10Z');
  const rules = [
    { action: 'FailJob', onExitCodes: { containerName: 'c', operator: 'In', values: [42] } },
    { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
  ];
  const j = job({ backoffLimit: 3, podFailurePolicy: { rules } }, { startTime: '2026-01-01T00:00:00Z' });
  const exited = (code: number) => {
    const p = pod('Failed', { finishedAt: now });
    p.status!.containerStatuses![0]!.state = { terminated: { exitCode: code, finishedAt: rfc3339(now) } };
    return p;
  };
  const fatal = exited(42);
  let plan = planJobSync(j, [fatal], now);
  const c = plan.status.conditions!.find((x) => x.type === 'FailureTarget')!;
  assert.equal(c.reason, 'PodFailurePolicy');
  assert.equal(c.message, `Container c for pod default/${fatal.metadata.name} failed with exit code 42 matching FailJob rule at index 0`);
  assert.deepEqual(plan.status.conditions!.map((x) => x.type), ['FailureTarget', 'Failed']);
  const disrupted = exited(137);
  (disrupted.status!.conditions as unknown as Array<Record<string, string>>).push({ type: 'DisruptionTarget', status: 'True' });
  plan = planJobSync(j, [disrupted], now);
  assert.equal(plan.status.failed, undefined, 'ignored: not a failure');
  assert.deepEqual(plan.removeFinalizers, [disrupted]);
  assert.equal(plan.create.length, 1, 'replaced at once, no backoff');
  plan = planJobSync(j, [exited(1)], now);
  assert.equal(plan.status.failed, 1);
  assert.equal(plan.status.conditions, undefined);
});
