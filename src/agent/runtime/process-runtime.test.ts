import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ContainerProcess } from './process-runtime.js';
import { parseCriLogLine, MAX_LOG_LINE } from './cri-log.js';
import { isProcessLive } from './proc.js';
import { tempDir, waitFor } from '../../util/testing.js';

const ENV = { PATH: '/usr/local/bin:/usr/bin:/bin' };

function container(name: string, script: string, extra: Partial<ConstructorParameters<typeof ContainerProcess>[0]> = {}): { c: ContainerProcess; log: string; dir: string } {
  const dir = tempDir();
  const log = path.join(dir, 'logs', `${name}.log`);
  return { c: new ContainerProcess({ name, argv: ['/bin/sh', '-c', script], env: ENV, cwd: dir, logPath: log, ...extra }), log, dir };
}

function records(file: string) {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const r = parseCriLogLine(l);
      assert.ok(r, `not a CRI log line: ${l}`);
      return r;
    });
}

test('captures stdout and stderr in CRI log format and reports the exit', async () => {
  const { c, log, dir } = container('out', 'echo hello; echo oops >&2; printf "no newline"; pwd; echo "$GREETING"; exit 3', {
    env: { ...ENV, GREETING: 'hi there' },
  });
  await c.start();
  assert.equal(c.state, 'running');
  assert.ok(c.pid! > 0);
  const exit = await c.wait();
  assert.equal(exit.exitCode, 3);
  assert.equal(exit.reason, 'Error');
  assert.equal(exit.signal, null);
  assert.ok(exit.finishedAt >= exit.startedAt);
  assert.equal(c.state, 'exited');
  const recs = records(log);
  for (const r of recs) assert.match(r.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
  const out = recs.filter((r) => r.stream === 'stdout').map((r) => r.content);
  assert.deepEqual(out, ['hello', `no newline${fs.realpathSync(dir)}`, 'hi there']);
  assert.deepEqual(recs.filter((r) => r.stream === 'stderr').map((r) => r.content), ['oops']);
  assert.ok(recs.every((r) => !r.partial));
});

test('long lines are split into partial records', async () => {
  const { c, log } = container('long', `head -c ${MAX_LOG_LINE + 10} /dev/zero | tr '\\0' x; echo`);
  await c.start();
  await c.wait();
  const recs = records(log);
  assert.deepEqual(recs.map((r) => [r.partial, r.content.length]), [[true, MAX_LOG_LINE], [false, 10]]);
});

test('a missing executable is a StartError', async () => {
  const dir = tempDir();
  const c = new ContainerProcess({ name: 'bad', argv: ['no-such-binary-xyz'], env: ENV, logPath: path.join(dir, 'x.log') });
  await assert.rejects(c.start(), { code: 'StartError', message: 'exec: "no-such-binary-xyz": executable file not found in $PATH' });
});

test('stop sends SIGTERM to the group and the exit code reflects the signal', async () => {
  const { c, log } = container('term', 'sleep 1000 & echo started; wait');
  await c.start();
  await waitFor('start', () => fs.existsSync(log) && fs.readFileSync(log, 'utf8').includes('started'));
  const procs = c.processes();
  assert.ok(procs.length >= 2, `expected sh and sleep, got ${procs}`);
  const exit = await c.stop({ gracePeriodMs: 10_000 });
  assert.equal(exit?.exitCode, 143);
  assert.equal(exit?.signal, 'SIGTERM');
  for (const pid of procs) assert.equal(isProcessLive(pid), false, `pid ${pid} survived`);
});

test('a process that ignores SIGTERM is killed after the grace period', async () => {
  const { c, log } = container('stubborn', 'trap "echo got TERM" TERM; echo ready; while true; do sleep 0.05; done');
  await c.start();
  await waitFor('ready', () => fs.existsSync(log) && fs.readFileSync(log, 'utf8').includes('ready'));
  const t0 = Date.now();
  const exit = await c.stop({ gracePeriodMs: 300 });
  assert.ok(Date.now() - t0 >= 250, 'killed before the grace period ended');
  assert.equal(exit?.exitCode, 137);
  assert.equal(exit?.signal, 'SIGKILL');
  assert.match(fs.readFileSync(log, 'utf8'), /stdout F got TERM/);
  assert.deepEqual(c.processes().filter(isProcessLive), []);
});

test('processes left behind by the main process are killed when it exits', async () => {
  const dir = tempDir();
  const pidFile = path.join(dir, 'bg.pid');
  const { c } = container('orphans', `sleep 1000 & echo $! > ${pidFile}; exit 0`);
  await c.start();
  const exit = await c.wait();
  assert.equal(exit.exitCode, 0);
  assert.equal(exit.reason, 'Completed');
  const bg = Number(fs.readFileSync(pidFile, 'utf8'));
  assert.equal(isProcessLive(bg), false);
});

test('stop also kills children that left the process group with setsid', async () => {
  const dir = tempDir();
  const pidFile = path.join(dir, 'escaped.pid');
  const { c } = container('escape', `setsid sh -c 'echo $$ > ${pidFile}; exec sleep 1000' & wait`);
  await c.start();
  const escaped = await waitFor('pid file', () => (fs.existsSync(pidFile) ? Number(fs.readFileSync(pidFile, 'utf8')) || undefined : undefined));
  assert.ok(c.processes().includes(escaped));
  await c.stop({ gracePeriodMs: 5000 });
  await waitFor('escaped process to die', () => !isProcessLive(escaped), 3000);
});

test('exec runs in the container environment, times out, and dies with the container', async () => {
  const { c, dir } = container('exec', 'sleep 1000', { env: { ...ENV, POD_IP: '127.1.2.3' } });
  await c.start();
  try {
    const r = await c.exec(['/bin/sh', '-c', 'echo $POD_IP; pwd; exit 4'], { timeoutMs: 5000 });
    assert.deepEqual([r.exitCode, r.stdout, r.timedOut], [4, `127.1.2.3\n${fs.realpathSync(dir)}\n`, false]);
    const slow = await c.exec(['sleep', '30'], { timeoutMs: 100 });
    assert.equal(slow.timedOut, true);
    const missing = await c.exec(['no-such-binary-xyz'], { timeoutMs: 1000 });
    assert.equal(missing.exitCode, 127);
    const child = c.spawnInContainer(['sleep', '1000']);
    const execPid = child.pid!;
    await c.stop({ gracePeriodMs: 2000 });
    await waitFor('exec process to die', () => !isProcessLive(execPid), 3000);
  } finally {
    await c.stop({ gracePeriodMs: 0 });
  }
});
