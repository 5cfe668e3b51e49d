import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { computePodStatus, podPhase, waitingRecord, type ContainerRecord } from './status.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');

function pod(restartPolicy: 'Always' | 'OnFailure' | 'Never' = 'Always', status: Pod['status'] = {}): Pod {
  return { metadata: { name: 'p', namespace: 'default', uid: 'u' }, spec: { restartPolicy, containers: [] }, status };
}

const running = (name: string, ready = true): ContainerRecord => ({
  name,
  image: 'docker.io/library/busybox:latest',
  imageID: 'docker.io/library/busybox@sha256:1',
  containerID: `skiff://${name}`,
  state: { running: { startedAt: '2026-01-01T00:00:01Z' } },
  lastState: {},
  ready,
  started: true,
  restartCount: 0,
});
const exited = (name: string, exitCode: number): ContainerRecord => ({
  ...running(name, false),
  state: { terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', startedAt: '2026-01-01T00:00:01Z', finishedAt: '2026-01-01T00:00:02Z' } },
  started: false,
});
const crashLooping = (name: string): ContainerRecord => ({
  ...exited(name, 1),
  state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s' } },
  lastState: exited(name, 1).state,
  restartCount: 1,
});

describe('podPhase (kubelet getPhase)', () => {
  it('Pending while any container waits for its first start', () => {
    assert.equal(podPhase(pod(), [], [running('a'), waitingRecord({ name: 'b', image: 'x', reason: 'ContainerCreating' })]), 'Pending');
  });
  it('Running with a crash-looping container (it has a last termination)', () => {
    assert.equal(podPhase(pod(), [], [crashLooping('a')]), 'Running');
  });
  it('Succeeded/Failed by restart policy once all containers stopped', () => {
    assert.equal(podPhase(pod('Never'), [], [exited('a', 0), exited('b', 0)]), 'Succeeded');
    assert.equal(podPhase(pod('Never'), [], [exited('a', 0), exited('b', 2)]), 'Failed');
    assert.equal(podPhase(pod('OnFailure'), [], [exited('a', 2)]), 'Running');
    assert.equal(podPhase(pod('OnFailure'), [], [exited('a', 0)]), 'Succeeded');
    assert.equal(podPhase(pod('Always'), [], [exited('a', 0)]), 'Running');
  });
  it('Pending behind init containers; Failed when an init container fails with restartPolicy Never', () => {
    assert.equal(podPhase(pod(), [running('init')], [waitingRecord({ name: 'a', image: 'x', reason: 'PodInitializing' })]), 'Pending');
    assert.equal(podPhase(pod('Never'), [exited('init', 1)], [waitingRecord({ name: 'a', image: 'x', reason: 'PodInitializing' })]), 'Failed');
  });
});

describe('computePodStatus', () => {
  it('reports conditions in Kubernetes order with unready containers named', () => {
    const s = computePodStatus({ pod: pod(), initContainers: [], containers: [running('b', false), running('a')], podIP: '127.42.0.2', hostIP: '127.0.0.1', startTime: T0, sandboxReady: true, now: T0 + 1000 });
    assert.equal(s.phase, 'Running');
    assert.deepEqual(s.conditions!.map((c) => [c.type, c.status]), [
      ['PodReadyToStartContainers', 'True'],
      ['Initialized', 'True'],
      ['Ready', 'False'],
      ['ContainersReady', 'False'],
      ['PodScheduled', 'True'],
    ]);
    const ready = s.conditions!.find((c) => c.type === 'Ready')!;
    assert.equal(ready.reason, 'ContainersNotReady');
    assert.equal(ready.message, 'containers with unready status: [b]');
    assert.deepEqual(s.containerStatuses!.map((c) => c.name), ['a', 'b']);
    assert.deepEqual(s.podIPs, [{ ip: '127.42.0.2' }]);
    assert.deepEqual(s.hostIPs, [{ ip: '127.0.0.1' }]);
    assert.equal(s.startTime, '2026-01-01T00:00:00Z');
  });

  it('keeps lastTransitionTime while a condition keeps its status, and the scheduler\'s PodScheduled', () => {
    const scheduled = { type: 'PodScheduled', status: 'True', lastProbeTime: null as unknown as string, lastTransitionTime: '2025-12-31T23:59:59Z' };
    const first = computePodStatus({ pod: pod('Always', { conditions: [scheduled] }), initContainers: [], containers: [running('a')], podIP: '127.42.0.2', hostIP: '127.0.0.1', startTime: T0, sandboxReady: true, now: T0 + 1000 });
    const second = computePodStatus({ pod: pod('Always', first), initContainers: [], containers: [running('a', false)], podIP: '127.42.0.2', hostIP: '127.0.0.1', startTime: T0, sandboxReady: true, now: T0 + 5000 });
    const at = (s: typeof first, type: string) => s.conditions!.find((c) => c.type === type)!.lastTransitionTime;
    assert.equal(at(second, 'Initialized'), '2026-01-01T00:00:01Z');
    assert.equal(at(second, 'Ready'), '2026-01-01T00:00:05Z');
    assert.equal(at(second, 'PodScheduled'), '2025-12-31T23:59:59Z');
  });

  it('a completed pod is not ready with reason PodCompleted', () => {
    const s = computePodStatus({ pod: pod('Never'), initContainers: [], containers: [exited('a', 0)], podIP: '127.42.0.2', hostIP: '127.0.0.1', startTime: T0, sandboxReady: true, now: T0 });
    assert.equal(s.phase, 'Succeeded');
    assert.equal(s.conditions!.find((c) => c.type === 'Ready')!.reason, 'PodCompleted');
    assert.equal(s.conditions!.find((c) => c.type === 'PodReadyToStartContainers')!.status, 'False');
  });
});
