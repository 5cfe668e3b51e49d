import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { canAdopt, findLeftoverContainers, isRecordedProcess, killLeftover, killLeftoverContainers, PROCESS_RECORD, recordContainerProcess } from './leftovers.js';
import { isProcessLive, readProcStat } from './proc.js';
import { tempDir, waitFor } from '../../util/testing.js';

/** A container left behind: its own session (as the runtime starts it), a child, not waited on by us. */
async function leftover(): Promise<{ leader: number; child: number }> {
  const dir = tempDir();
  const pidFile = path.join(dir, 'child.pid');
  const p = spawn('/bin/sh', ['-c', `sleep 1000 & echo $! > ${pidFile}; wait`], { detached: true, stdio: 'ignore' });
  p.unref();
  const child = await waitFor('child pid', () => (fs.existsSync(pidFile) ? Number(fs.readFileSync(pidFile, 'utf8')) || undefined : undefined));
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
  await waitFor('all gone', () => [a.leader, a.child, b.leader, b.child].every((pid) => !isProcessLive(pid)));
  assert.ok(!fs.existsSync(path.join(podsDir, 'default_a_1', 'containers', 'c', PROCESS_RECORD)));
  assert.deepEqual(killLeftoverContainers(podsDir), []);
});

test('a session whose leader already died is still killed', async () => {
  const podsDir = tempDir();
  const a = await leftover();
  recordContainerProcess(containerDir(podsDir, 'default_a_1', 'c'), a.leader);
  process.kill(a.leader, 'SIGKILL');
  await waitFor('leader gone', () => !isProcessLive(a.leader));
  assert.ok(isProcessLive(a.child));
  assert.deepEqual(killLeftoverContainers(podsDir), [a.child]);
  await waitFor('child gone', () => !isProcessLive(a.child));
});

test('leaves alone a process that reuses a recorded PID (start time differs) and torn records', () => {
  const podsDir = tempDir();
  const st = readProcStat(process.pid)!;
  fs.writeFileSync(path.join(containerDir(podsDir, 'default_a_1', 'c'), PROCESS_RECORD), JSON.stringify({ pid: process.pid, startTime: st.startTime + 1 }));
  fs.writeFileSync(path.join(containerDir(podsDir, 'default_b_2', 'c'), PROCESS_RECORD), '{"pid": 12');
  assert.deepEqual(killLeftoverContainers(podsDir), []);
  assert.ok(isProcessLive(process.pid));
});

test('isRecordedProcess / canAdopt: same PID, same start time, running, same containerID', () => {
  const st = readProcStat(process.pid)!;
  const rec = { pid: process.pid, startTime: st.startTime, containerID: 'skiff://a' };
  assert.equal(isRecordedProcess(rec, st), true);
  assert.equal(isRecordedProcess({ ...rec, startTime: st.startTime + 1 }, st), false, 'a recycled PID');
  assert.equal(isRecordedProcess(rec, { ...st, state: 'Z' }), false, 'a zombie has exited');
  assert.equal(isRecordedProcess(rec, undefined), false, 'gone');
  assert.equal(isRecordedProcess({ ...rec, pid: 1 }, { ...st, pid: 1 }), false, 'never init');
  assert.equal(isRecordedProcess(undefined, st), false, 'a torn record');
  const left = { podDir: 'default_p_u1', podUID: 'u1', container: 'c', file: '/nonexistent', record: rec };
  assert.equal(canAdopt(left, 'skiff://a', st), true);
  assert.equal(canAdopt(left, 'skiff://b', st), false, 'the API reports another instance');
  assert.equal(canAdopt(left, undefined, st), false);
  assert.equal(canAdopt({ ...left, record: { pid: rec.pid, startTime: rec.startTime } }, 'skiff://a', st), false, 'a record of an older run names no instance');
});

test('findLeftoverContainers reads every record with its pod uid; killLeftover of one leaves the others', async () => {
  const podsDir = tempDir();
  const a = await leftover();
  const b = await leftover();
  recordContainerProcess(containerDir(podsDir, 'default_a_uid-a', 'c'), a.leader, { containerID: 'skiff://a', startedAt: 5 });
  recordContainerProcess(containerDir(podsDir, 'ns_b_uid-b', 'd'), b.leader);
  const found = findLeftoverContainers(podsDir).sort((x, y) => x.podUID.localeCompare(y.podUID));
  assert.deepEqual(found.map((l) => [l.podUID, l.container, l.record?.pid, l.record?.containerID, l.record?.startedAt]), [
    ['uid-a', 'c', a.leader, 'skiff://a', 5],
    ['uid-b', 'd', b.leader, undefined, undefined],
  ]);
  assert.deepEqual(killLeftover(found[1]!).sort(), [b.leader, b.child].sort());
  await waitFor('b gone', () => !isProcessLive(b.leader) && !isProcessLive(b.child));
  assert.ok(isProcessLive(a.leader) && isProcessLive(a.child), 'a still runs');
  assert.deepEqual(findLeftoverContainers(podsDir).map((l) => l.podUID), ['uid-a']);
  killLeftover(found[0]!);
  await waitFor('a gone', () => !isProcessLive(a.leader) && !isProcessLive(a.child));
});
