// Adopting a container a dead agent left running: the process of a previous "agent" (a child we
// SIGKILL) started it with output FIFOs; this process takes it over by PID + start time.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ContainerProcess } from './process-runtime.js';
import { parseCriLogLine } from './cri-log.js';
import { findLeftoverContainers, canAdopt } from './leftovers.js';
import { isProcessLive } from './proc.js';
import { tempDir, waitFor } from '../../util/testing.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const ENV = { PATH: '/usr/local/bin:/usr/bin:/bin' };
// The runtime's timers (exit polling) do not hold the event loop open, as in the agent its servers do.
const keepAlive = setInterval(() => {}, 1000);
after(() => clearInterval(keepAlive));
const TICKER = 'i=0; while true; do echo "tick $i"; i=$((i+1)); sleep 0.05; done';

function ticks(file: string): number[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => Number(/^tick (\d+)$/.exec(parseCriLogLine(l)!.content)?.[1]));
}

/** A previous agent run: starts the ticker with FIFOs, records it, then is SIGKILLed by the test. */
async function deadAgent(podsDir: string): Promise<{ containerDir: string; logPath: string }> {
  const containerDir = path.join(podsDir, 'default_p_uid1', 'containers', 'c');
  const logPath = path.join(podsDir, 'default_p_uid1', 'logs', 'c', '0.log');
  fs.mkdirSync(containerDir, { recursive: true });
  const script = `
    import { ContainerProcess } from ${JSON.stringify(path.join(here, 'process-runtime.ts'))};
    import { recordContainerProcess } from ${JSON.stringify(path.join(here, 'leftovers.ts'))};
    const c = new ContainerProcess({ name: 'c', argv: ['/bin/sh', '-c', ${JSON.stringify(TICKER)}], env: ${JSON.stringify(ENV)}, logPath: ${JSON.stringify(logPath)}, fifoDir: ${JSON.stringify(containerDir)} });
    await c.start();
    recordContainerProcess(${JSON.stringify(containerDir)}, c.pid, { containerID: 'skiff://abc', startedAt: c.startedAt });
    console.log('started');
    setInterval(() => {}, 1000);
  `;
  const file = path.join(podsDir, 'agent.mts');
  fs.writeFileSync(file, script);
  const agent = spawn(process.execPath, ['--import', 'tsx', file], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  agent.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor('old agent started the container', () => out.includes('started'), 20_000);
  await waitFor('ticks logged by the old agent', () => fs.existsSync(logPath) && ticks(logPath).length >= 3);
  const gone = new Promise((r) => agent.once('exit', r));
  agent.kill('SIGKILL');
  await gone;
  return { containerDir, logPath };
}

test('a container left by a killed agent is adopted: same process, its output goes on into the same log, its exit is seen', async () => {
  const podsDir = tempDir();
  const { containerDir, logPath } = await deadAgent(podsDir);
  const [left] = findLeftoverContainers(podsDir);
  assert.ok(left && left.record, 'the record');
  assert.equal(left.podUID, 'uid1');
  assert.equal(left.container, 'c');
  assert.ok(isProcessLive(left.record.pid), 'the container outlived its agent');
  assert.ok(canAdopt(left, 'skiff://abc'));
  assert.ok(!canAdopt(left, 'skiff://other'), 'another instance of the container is not this one');
  const seen = ticks(logPath).length;

  const c = new ContainerProcess({ name: 'c', argv: ['/bin/sh', '-c', TICKER], env: ENV, logPath, fifoDir: containerDir });
  try {
    assert.equal(c.adopt({ pid: left.record.pid, startTime: left.record.startTime, startedAt: left.record.startedAt! }), true);
    assert.equal(c.state, 'running');
    assert.equal(c.pid, left.record.pid);
    // the shell and, at times, its `sleep`: the adopted process's tree, found from /proc
    assert.ok(c.processes().includes(left.record.pid));
    await waitFor('ticks after the adoption', () => ticks(logPath).length >= seen + 10);
    const all = ticks(logPath);
    assert.deepEqual(all, all.map((_, i) => i), 'no line lost or doubled across the agent restart');

    const exit = await c.stop({ gracePeriodMs: 2000 });
    assert.ok(exit);
    assert.equal(c.state, 'exited');
    assert.ok(!isProcessLive(left.record.pid));
  } finally {
    // a failed assertion must not leave the ticker (and this file's run) going
    if (isProcessLive(left.record.pid)) process.kill(left.record.pid, 'SIGKILL');
  }
});

test('an adopted container that exits by itself is seen to exit (polling /proc)', async () => {
  const podsDir = tempDir();
  const { containerDir, logPath } = await deadAgent(podsDir);
  const [left] = findLeftoverContainers(podsDir);
  const c = new ContainerProcess({ name: 'c', argv: ['true'], env: ENV, logPath, fifoDir: containerDir });
  assert.equal(c.adopt({ pid: left!.record!.pid, startTime: left!.record!.startTime, startedAt: 1 }), true);
  process.kill(left!.record!.pid, 'SIGKILL');
  const exit = await c.wait();
  assert.equal(exit.exitCode, 255);
  assert.equal(exit.startedAt, 1);
  assert.equal(c.state, 'exited');
});

test('adopt refuses a recycled PID (start time differs) and a process that is gone', () => {
  const dir = tempDir();
  const c = new ContainerProcess({ name: 'c', argv: ['true'], env: ENV, logPath: path.join(dir, '0.log'), fifoDir: dir });
  const self = fs.readFileSync('/proc/self/stat', 'utf8');
  const startTime = Number(self.slice(self.lastIndexOf(')') + 2).split(' ')[19]);
  assert.equal(c.adopt({ pid: process.pid, startTime: startTime + 1, startedAt: 0 }), false);
  assert.equal(c.adopt({ pid: 2 ** 22 + 7, startTime, startedAt: 0 }), false);
  assert.equal(c.state, 'created');
});
