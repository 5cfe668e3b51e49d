import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { ContainerSlot } from './container-slot.js';
import { restorePreviousRun } from './previous-run.js';
import { findLeftoverContainers, recordContainerProcess } from '../runtime/leftovers.js';
import { isProcessLive } from '../runtime/proc.js';
import { tempDir, waitFor } from '../../util/testing.js';

/** A pod dir with one recorded running container (a `sleep` of its own session). */
function leftover(containerID: string): { podsDir: string; pid: number } {
  const podsDir = tempDir();
  const dir = path.join(podsDir, 'default_p_u1', 'containers', 'c');
  fs.mkdirSync(dir, { recursive: true });
  const p = spawn('sleep', ['1000'], { detached: true, stdio: 'ignore' });
  p.unref();
  recordContainerProcess(dir, p.pid!, { containerID, startedAt: 1000 });
  return { podsDir, pid: p.pid! };
}

const pod = (o: { containerID: string; deleting?: boolean }): Pod => ({
  metadata: { name: 'p', namespace: 'default', uid: 'u1', ...(o.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
  spec: { containers: [{ name: 'c', image: 'busybox' }] },
  status: { containerStatuses: [{ name: 'c', image: 'busybox', imageID: '', ready: true, started: true, restartCount: 2, containerID: o.containerID, state: { running: { startedAt: '2026-01-01T00:00:01Z' } } }] },
});

test('a running container of the same instance is adopted: restartCount, ready and state kept', () => {
  const { podsDir, pid } = leftover('skiff://a');
  const slot = new ContainerSlot({ name: 'c', image: 'busybox' }, false);
  assert.equal(restorePreviousRun({ pod: pod({ containerID: 'skiff://a' }), slots: [slot], leftovers: findLeftoverContainers(podsDir), now: 5, frozen: false }), true);
  assert.equal(slot.adopt?.leftover.record?.pid, pid);
  assert.equal(slot.adopt?.startedAt, Date.parse('2026-01-01T00:00:01Z'));
  assert.deepEqual([slot.record.restartCount, slot.record.ready, !!slot.record.state.running, slot.lastExit], [2, true, true, undefined]);
  assert.ok(isProcessLive(pid));
  process.kill(pid, 'SIGKILL');
});

for (const c of [
  { what: 'another instance (containerID differs)', containerID: 'skiff://other', deleting: false, frozen: false },
  { what: 'a pod being deleted', containerID: 'skiff://a', deleting: true, frozen: false },
  { what: 'a terminal pod', containerID: 'skiff://a', deleting: false, frozen: true },
]) {
  test(`not adopted, killed, and counted as lost: ${c.what}`, async () => {
    const { podsDir, pid } = leftover('skiff://a');
    const slot = new ContainerSlot({ name: 'c', image: 'busybox' }, false);
    assert.equal(restorePreviousRun({ pod: pod(c), slots: [slot], leftovers: findLeftoverContainers(podsDir), now: 5, frozen: c.frozen }), false);
    assert.equal(slot.adopt, undefined);
    assert.equal(slot.record.state.terminated?.reason, 'Unknown');
    assert.equal(slot.record.restartCount, 2);
    await waitFor('the leftover killed', () => !isProcessLive(pid));
  });
}
