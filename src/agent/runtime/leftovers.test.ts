import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { killLeftoverContainers, PROCESS_RECORD, recordContainerProcess } from './leftovers.js';
import { isProcessLive, readProcStat } from './proc.js';
import { tempDir, waitFor } from '../testutil.js';

/** A container left behind: its own session (as the runtime starts it), a child, not waited on by us. */
async function leftover(): Promise<{ leader: number; child: number }> {
  const dir = tempDir();
  const pidFile = path.join(dir, 'child.pid');
  const p = spawn('/bin/sh', ['-c', `sleep 1000 & echo $! > ${pidFile}; wait`], { detached: true, stdio: 'ignore' });
  p.unref();
  const child = await waitFor(() => (fs.existsSync(pidFile) ? Number(fs.readFileSync(pidFile, 'utf8')) || undefined : undefined), { what: 'child pid' });
  return { leader: p.pid!, child };
}

function containerDir(podsDir: string, pod: string, name: string): string {
  const dir = path.join(podsDir, pod, 'containers', name);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

test('kills recorded containers that still run, with their whole session, and drops the records', async () => {
  const podsDir = tempDir();
  const a = await leftover();
  const b = await leftover();
  recordContainerProcess(containerDir(podsDir, 'default_a_1', 'c'), a.leader);
  recordContainerProcess(containerDir(podsDir, 'default_b_2', 'c'), b.leader);
  const killed = killLeftoverContainers(podsDir);
  assert.deepEqual(killed.sort(), [a.leader, a.child, b.leader, b.child].sort());
  await waitFor(() => [a.leader, a.child, b.leader, b.child].every((pid) => !isProcessLive(pid)), { what: 'all gone' });
  assert.ok(!fs.existsSync(path.join(podsDir, 'default_a_1', 'containers', 'c', PROCESS_RECORD)));
  assert.deepEqual(killLeftoverContainers(podsDir), []);
});

test('a session whose leader already died is still killed', async () => {
  const podsDir = tempDir();
  const a = await leftover();
  recordContainerProcess(containerDir(podsDir, 'default_a_1', 'c'), a.leader);
  process.kill(a.leader, 'SIGKILL');
  await waitFor(() => !isProcessLive(a.leader), { what: 'leader gone' });
  assert.ok(isProcessLive(a.child));
  assert.deepEqual(killLeftoverContainers(podsDir), [a.child]);
  await waitFor(() => !isProcessLive(a.child), { what: 'child gone' });
});

test('leaves alone a process that reuses a recorded PID (start time differs) and torn records', () => {
  const podsDir = tempDir();
  const st = readProcStat(process.pid)!;
  fs.writeFileSync(path.join(containerDir(podsDir, 'default_a_1', 'c'), PROCESS_RECORD), JSON.stringify({ pid: process.pid, startTime: st.startTime + 1 }));
  fs.writeFileSync(path.join(containerDir(podsDir, 'default_b_2', 'c'), PROCESS_RECORD), '{"pid": 12');
  assert.deepEqual(killLeftoverContainers(podsDir), []);
  assert.ok(isProcessLive(process.pid));
});
