/**
 * batch/v1 Jobs and CronJobs in a real `skiff server` (with its node agent running busybox pods as
 * processes), driven by the real kubectl.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { findResource } from '../../src/api/resources.js';
import type { KubeObject } from '../../src/api/types.js';
import { loadKubeconfig } from '../../src/client/config.js';
import { RestClient } from '../../src/client/rest.js';
import { TestCluster } from '../support/cluster.js';
import { parseTable, parseTables, tableHeader } from '../support/kubectl.js';
import { waitFor } from '../support/ports.js';

const pods = findResource('', 'v1', 'pods')!;

const cronJobYaml = `apiVersion: batch/v1
kind: CronJob
metadata: {name: tick}
spec:
  schedule: "*/1 * * * *"
  jobTemplate:
    metadata: {labels: {app: tick}}
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: c, image: busybox, command: [sh, -c, 'echo tick']}]
`;

describe('Jobs and CronJobs', () => {
  let cluster: TestCluster;
  let client: RestClient;
  let cronCreatedAt = 0;
  before(async () => {
    cluster = await TestCluster.start();
    client = new RestClient(loadKubeconfig(cluster.kubeconfig));
    // created first so its first scheduled minute comes while the Job tests run
    const r = await cluster.kubectl(['apply', '-f', '-'], { input: cronJobYaml });
    assert.equal(r.code, 0, r.stderr);
    cronCreatedAt = Date.now();
  });
  after(async () => {
    await cluster?.destroy();
  });

  it('a Job with completions 3, parallelism 2 completes, never running more than 2 pods, and kubectl wait returns', async () => {
    // watch the Job's pods from before it exists: count those neither Succeeded nor Failed after every event
    const abort = new AbortController();
    const phases = new Map<string, string>();
    let maxActive = 0;
    let created = 0;
    const watching = (async () => {
      try {
        for await (const ev of client.watch<Pod & KubeObject>(pods, { namespace: 'default', labelSelector: 'job-name=hi', signal: abort.signal })) {
          const uid = ev.object.metadata.uid!;
          if (ev.type === 'ADDED' && !phases.has(uid)) created++;
          if (ev.type === 'DELETED') phases.delete(uid);
          else phases.set(uid, ev.object.status?.phase ?? 'Pending');
          maxActive = Math.max(maxActive, [...phases.values()].filter((p) => p !== 'Succeeded' && p !== 'Failed').length);
        }
      } catch (err) {
        if (!abort.signal.aborted) throw err;
      }
    })();
    try {
      const job = `apiVersion: batch/v1
kind: Job
metadata: {name: hi}
spec:
  completions: 3
  parallelism: 2
  template:
    spec:
      restartPolicy: Never
      containers: [{name: c, image: busybox, command: [sh, -c, 'echo hi']}]
`;
      const r = await cluster.kubectl(['apply', '-f', '-'], { input: job });
      assert.equal(r.code, 0, r.stderr);
      const wait = await cluster.kubectl(['wait', '--for=condition=complete', 'job/hi', '--timeout=90s'], { timeoutMs: 100_000 });
      assert.equal(wait.code, 0, wait.stderr);
      assert.equal(wait.stdout.trim(), 'job.batch/hi condition met');
      await waitFor('the watch to see 3 finished pods', () => ([...phases.values()].filter((p) => p === 'Succeeded').length >= 3 ? true : undefined));
    } finally {
      abort.abort();
      await watching;
    }
    assert.equal(created, 3, 'exactly one pod per completion');
    assert.ok(maxActive <= 2 && maxActive >= 1, `at most 2 pods at once (saw ${maxActive})`);

    const out = await cluster.k('get', 'jobs', 'hi');
    assert.deepEqual(tableHeader(out), ['NAME', 'STATUS', 'COMPLETIONS', 'DURATION', 'AGE']);
    const [row] = parseTable(out);
    assert.equal(row!.NAME, 'hi');
    assert.equal(row!.STATUS, 'Complete');
    assert.equal(row!.COMPLETIONS, '3/3');
    assert.match(row!.DURATION, /^\d+s$/);
    const status = JSON.parse(await cluster.k('get', 'job', 'hi', '-o', 'jsonpath={.status}')) as Record<string, unknown>;
    assert.equal(status.succeeded, 3);
    assert.deepEqual(status.uncountedTerminatedPods, {});
    assert.ok(status.completionTime && status.startTime);
    assert.deepEqual(
      (status.conditions as Array<{ type: string; reason: string }>).map((c) => `${c.type}:${c.reason}`),
      ['SuccessCriteriaMet:CompletionsReached', 'Complete:CompletionsReached'],
    );
    // the pods are Succeeded with a terminated container (exit 0), and released from the tracking finalizer
    const list = JSON.parse(await cluster.k('get', 'pods', '-l', 'job-name=hi', '-o', 'json')) as { items: Array<Pod & KubeObject> };
    assert.equal(list.items.length, 3);
    for (const p of list.items) {
      assert.equal(p.status?.phase, 'Succeeded');
      assert.equal(p.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 0);
      assert.equal(p.status?.containerStatuses?.[0]?.state?.terminated?.reason, 'Completed');
      assert.deepEqual(p.metadata.finalizers ?? [], []);
    }
    assert.equal((await cluster.k('logs', 'job/hi')).trim(), 'hi');
    const pod = parseTable(await cluster.k('get', 'pods', '-l', 'job-name=hi'));
    assert.deepEqual(pod.map((p) => p.STATUS), ['Completed', 'Completed', 'Completed']);
  });

  it('a failing Job stops at backoffLimit with BackoffLimitExceeded, after the 10 s pod failure backoff', async () => {
    const job = `apiVersion: batch/v1
kind: Job
metadata: {name: bad}
spec:
  backoffLimit: 1
  template:
    spec:
      restartPolicy: Never
      containers: [{name: c, image: busybox, command: [sh, -c, 'exit 3']}]
`;
    assert.equal((await cluster.kubectl(['apply', '-f', '-'], { input: job })).code, 0);
    const wait = await cluster.kubectl(['wait', '--for=condition=failed', 'job/bad', '--timeout=60s'], { timeoutMs: 70_000 });
    assert.equal(wait.code, 0, wait.stderr);
    const status = JSON.parse(await cluster.k('get', 'job', 'bad', '-o', 'jsonpath={.status}')) as { failed: number; succeeded?: number; conditions: Array<Record<string, string>> };
    assert.equal(status.failed, 2, 'backoffLimit 1: the first failure is retried once');
    const failed = status.conditions.find((c) => c.type === 'Failed')!;
    assert.equal(failed.reason, 'BackoffLimitExceeded');
    assert.equal(failed.message, 'Job has reached the specified backoff limit');
    assert.equal(status.conditions.find((c) => c.type === 'FailureTarget')?.reason, 'BackoffLimitExceeded');
    const list = JSON.parse(await cluster.k('get', 'pods', '-l', 'job-name=bad', '-o', 'json')) as { items: Array<Pod & KubeObject> };
    assert.equal(list.items.length, 2, 'no pod after the limit');
    const [first, second] = list.items.sort((a, b) => Date.parse(a.metadata.creationTimestamp!) - Date.parse(b.metadata.creationTimestamp!));
    for (const p of list.items) {
      assert.equal(p.status?.phase, 'Failed');
      assert.equal(p.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 3);
      assert.equal(p.status?.containerStatuses?.[0]?.state?.terminated?.reason, 'Error');
    }
    const firstDone = Date.parse(first!.status!.containerStatuses![0]!.state!.terminated!.finishedAt!);
    const gap = Date.parse(second!.metadata.creationTimestamp!) - firstDone;
    assert.ok(gap >= 9_000, `the replacement waited out the backoff (${gap} ms)`);
    const [row] = parseTable(await cluster.k('get', 'job', 'bad'));
    assert.equal(row!.STATUS, 'Failed');
    assert.equal(row!.COMPLETIONS, '0/1');
    const events = await cluster.k('get', 'events', '--field-selector', 'involvedObject.name=bad');
    assert.match(events, /Warning\s+BackoffLimitExceeded\s+job\/bad\s+Job has reached the specified backoff limit/);
  });

  it('activeDeadlineSeconds fails a Job with DeadlineExceeded, OnFailure restarts count against backoffLimit, podFailurePolicy FailJob; deleting Jobs takes their pods', async () => {
    const manifest = `apiVersion: batch/v1
kind: Job
metadata: {name: slow}
spec:
  activeDeadlineSeconds: 2
  template:
    spec:
      restartPolicy: Never
      containers: [{name: c, image: busybox, command: [sh, -c, 'sleep 60']}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: crashy}
spec:
  backoffLimit: 1
  template:
    spec:
      restartPolicy: OnFailure
      containers: [{name: c, image: busybox, command: [sh, -c, 'exit 2']}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: fatal}
spec:
  backoffLimit: 6
  podFailurePolicy:
    rules:
    - action: FailJob
      onExitCodes: {operator: In, values: [42]}
  template:
    spec:
      restartPolicy: Never
      containers: [{name: c, image: busybox, command: [sh, -c, 'exit 42']}]
`;
    const applied = await cluster.kubectl(['apply', '-f', '-'], { input: manifest });
    assert.equal(applied.code, 0, applied.stderr);
    const wait = await cluster.kubectl(['wait', '--for=condition=failed', 'job/slow', 'job/crashy', 'job/fatal', '--timeout=60s'], { timeoutMs: 70_000 });
    assert.equal(wait.code, 0, wait.stderr);
    const reason = async (name: string) => (await cluster.k('get', 'job', name, '-o', 'jsonpath={.status.conditions[?(@.type=="Failed")].reason}: {.status.conditions[?(@.type=="Failed")].message}'));
    assert.equal(await reason('slow'), 'DeadlineExceeded: Job was active longer than specified deadline');
    assert.equal(await reason('crashy'), 'BackoffLimitExceeded: Job has reached the specified backoff limit');
    // podFailurePolicy FailJob: the first exit 42 ends the Job, backoffLimit 6 notwithstanding
    assert.match(await reason('fatal'), /^PodFailurePolicy: Container c for pod default\/fatal-\w+ failed with exit code 42 matching FailJob rule at index 0$/);
    assert.equal(await cluster.k('get', 'job', 'fatal', '-o', 'jsonpath={.status.failed}'), '1');
    assert.equal(await cluster.k('delete', 'job', 'slow', 'crashy', 'fatal'), 'job.batch "slow" deleted\njob.batch "crashy" deleted\njob.batch "fatal" deleted\n');
    // the pods go too, released from the job-tracking finalizer by the Job controller
    await waitFor('their pods to go', async () => ((await cluster.k('get', 'pods', '-l', 'job-name in (slow,crashy,fatal)', '-o', 'name')).trim() === '' ? true : undefined), 30_000, 200);
  });

  it('rejects a Job whose pods would restart Always, with the Kubernetes message', async () => {
    const r = await cluster.kubectl(['create', 'job', 'always', '--image=busybox', '--dry-run=client', '-o', 'yaml']);
    assert.equal(r.code, 0);
    const bad = r.stdout.replace('restartPolicy: Never', 'restartPolicy: Always');
    const c = await cluster.kubectl(['create', '-f', '-'], { input: bad });
    assert.notEqual(c.code, 0);
    assert.match(c.stderr, /The Job "always" is invalid: spec\.template\.spec\.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"/);
  });

  it('ttlSecondsAfterFinished removes a finished Job and its pods', async () => {
    const job = `apiVersion: batch/v1
kind: Job
metadata: {name: brief}
spec:
  ttlSecondsAfterFinished: 1
  template:
    spec:
      restartPolicy: Never
      containers: [{name: c, image: busybox, command: [sh, -c, 'true']}]
`;
    assert.equal((await cluster.kubectl(['apply', '-f', '-'], { input: job })).code, 0);
    const wait = await cluster.kubectl(['wait', '--for=delete', 'job/brief', '--timeout=60s'], { timeoutMs: 70_000 });
    assert.equal(wait.code, 0, wait.stderr);
    await waitFor('its pod to go', async () => ((await cluster.k('get', 'pods', '-l', 'job-name=brief', '-o', 'name')).trim() === '' ? true : undefined), 30_000, 200);
  });

  it('a CronJob */1 creates its Job within a minute; kubectl create job --from=cronjob copies the template', async () => {
    const manual = await cluster.kubectl(['create', 'job', 'by-hand', '--from=cronjob/tick']);
    assert.equal(manual.code, 0, manual.stderr);
    const j = JSON.parse(await cluster.k('get', 'job', 'by-hand', '-o', 'json')) as KubeObject & { spec: { template: { spec: { restartPolicy: string; containers: Array<{ command: string[] }> } } } };
    assert.equal(j.metadata.annotations?.['cronjob.kubernetes.io/instantiate'], 'manual');
    assert.equal(j.metadata.labels?.app, 'tick');
    assert.deepEqual(j.spec.template.spec.containers[0]!.command, ['sh', '-c', 'echo tick']);
    assert.equal((await cluster.kubectl(['wait', '--for=condition=complete', 'job/by-hand', '--timeout=60s'], { timeoutMs: 70_000 })).code, 0);

    // the first schedule after creation is at most 60 s after it; allow 15 s beyond for the Job to show
    const left = Math.max(5_000, cronCreatedAt + 75_000 - Date.now());
    const name = await waitFor(
      'the CronJob to create its first Job',
      async () => {
        const names = (await cluster.k('get', 'jobs', '-l', 'app=tick', '-o', 'jsonpath={.items[*].metadata.name}')).split(/\s+/);
        // the newest, should the run be slow enough for two schedules to have passed
        return names.filter((n) => /^tick-\d+$/.test(n)).sort((a, b) => Number(b.slice(5)) - Number(a.slice(5)))[0];
      },
      left,
      500,
    );
    const minutes = Number(name.slice('tick-'.length));
    const job = JSON.parse(await cluster.k('get', 'job', name, '-o', 'json')) as KubeObject;
    const scheduled = job.metadata.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp'];
    assert.equal(scheduled, new Date(minutes * 60_000).toISOString().replace('.000Z', 'Z'), 'named by its scheduled minute');
    assert.equal(job.metadata.ownerReferences?.[0]?.kind, 'CronJob');
    // status.lastScheduleTime names the newest scheduled Job (read both until no minute ticks in between)
    await waitFor('lastScheduleTime of a created Job', async () => {
      const last = await cluster.k('get', 'cj', 'tick', '-o', 'jsonpath={.status.lastScheduleTime}');
      const stamps = (await cluster.k('get', 'jobs', '-l', 'app=tick', '-o', `jsonpath={.items[*].metadata.annotations['batch\\.kubernetes\\.io/cronjob-scheduled-timestamp']}`)).split(/\s+/);
      return last && stamps.includes(last) && Date.parse(last) >= Date.parse(scheduled!) ? true : undefined;
    });

    const out = await cluster.k('get', 'jobs,cronjobs');
    const tables = parseTables(out);
    assert.equal(tables.length, 2);
    const header = out.split('\n\n')[1]!.split('\n')[0]!;
    assert.deepEqual(header.match(/\S+(?: \S+)*/g), ['NAME', 'SCHEDULE', 'TIMEZONE', 'SUSPEND', 'ACTIVE', 'LAST SCHEDULE', 'AGE']);
    const cj = tables[1]!.find((r) => r.NAME === 'cronjob.batch/tick')!;
    assert.equal(cj.SCHEDULE, '*/1 * * * *');
    assert.equal(cj.TIMEZONE, '<none>');
    assert.equal(cj.SUSPEND, 'False');
    assert.match(cj.ACTIVE!, /^[01]$/);
    assert.match(cj['LAST SCHEDULE']!, /^\d+[sm]/);
    assert.ok(tables[0]!.some((r) => r.NAME === `job.batch/${name}`));
  });

  it('kubectl explain and api-resources know the batch kinds', async () => {
    const explain = await cluster.k('explain', 'cronjob.spec.schedule');
    assert.match(explain, /KIND:\s+CronJob/);
    assert.match(explain, /The schedule in Cron format/);
    const res = parseTable(await cluster.k('api-resources', '--api-group=batch'));
    assert.deepEqual(res.map((r) => [r.NAME, r.SHORTNAMES, r.APIVERSION, r.KIND]), [['cronjobs', 'cj', 'batch/v1', 'CronJob'], ['jobs', '', 'batch/v1', 'Job']]);
  });
});
