import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../types.js';
import { podPrinter } from './pod.js';

const now = Date.parse('2025-01-01T01:00:00Z');
const ago = (ms: number) => new Date(now - ms).toISOString().replace('.000Z', 'Z');

function pod(spec: Record<string, unknown>, status: Record<string, unknown>, meta: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', creationTimestamp: ago(4000), ...meta },
    spec: { containers: [{ name: 'c', image: 'nginx' }], ...spec },
    status,
  };
}

const running = (name = 'c', restartCount = 0) => ({
  name,
  ready: true,
  restartCount,
  started: true,
  state: { running: { startedAt: ago(3000) } },
});

/** The five default columns. */
const narrow = (obj: KubeObject) => podPrinter.cells(obj, now).slice(1, 5);

test('pod columns are printers.go podColumnDefinitions', () => {
  assert.deepEqual(
    podPrinter.columns.map((c) => [c.name, c.type, c.format, c.priority]),
    [
      ['Name', 'string', 'name', 0],
      ['Ready', 'string', '', 0],
      ['Status', 'string', '', 0],
      ['Restarts', 'string', '', 0],
      ['Age', 'string', '', 0],
      ['IP', 'string', '', 1],
      ['Node', 'string', '', 1],
      ['Nominated Node', 'string', '', 1],
      ['Readiness Gates', 'string', '', 1],
    ],
  );
  assert.equal(podPrinter.columns[1].description, 'The aggregate readiness state of this pod for accepting traffic.');
});

test('running pod as in `kubectl get pods -o wide` (transcript 05)', () => {
  const p = pod(
    { nodeName: 'node-1' },
    {
      phase: 'Running',
      podIP: '10.244.0.6',
      podIPs: [{ ip: '10.244.0.6' }],
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [running()],
    },
    { name: 'web-bmjgghcadc-c6xtg' },
  );
  assert.deepEqual(podPrinter.cells(p, now), ['web-bmjgghcadc-c6xtg', '1/1', 'Running', '0', '4s', '10.244.0.6', 'node-1', '<none>', '<none>']);
  assert.equal(podPrinter.conditions?.(p), undefined);
});

test('pending pod: ContainerCreating, no IP, no node; SchedulingGated', () => {
  const creating = pod({ nodeName: 'node-1' }, { phase: 'Pending', containerStatuses: [{ name: 'c', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] });
  assert.deepEqual(podPrinter.cells(creating, now).slice(1), ['0/1', 'ContainerCreating', '0', '4s', '<none>', 'node-1', '<none>', '<none>']);
  const gated = pod({}, { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] });
  assert.deepEqual(podPrinter.cells(gated, now).slice(1), ['0/1', 'SchedulingGated', '0', '4s', '<none>', '<none>', '<none>', '<none>']);
  const nominated = pod({}, { phase: 'Pending', nominatedNodeName: 'node-2' });
  assert.equal(podPrinter.cells(nominated, now)[7], 'node-2');
  const onlyPodIP = pod({ nodeName: 'node-1' }, { phase: 'Running', podIP: '127.1.0.5', containerStatuses: [running()] });
  assert.equal(podPrinter.cells(onlyPodIP, now)[5], '127.1.0.5');
});

test('init containers: Init:x/y, Init:<reason>, Init:ExitCode, Init:Signal', () => {
  const spec = { initContainers: [{ name: 'i1', image: 'busybox' }, { name: 'i2', image: 'busybox' }] };
  const init = (statuses: unknown[]) => pod(spec, { phase: 'Pending', initContainerStatuses: statuses, containerStatuses: [{ name: 'c', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }] });
  const done = { name: 'i1', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } };
  assert.deepEqual(narrow(init([{ name: 'i1', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }])), ['0/1', 'Init:0/2', '0', '4s']);
  assert.deepEqual(narrow(init([done, { name: 'i2', ready: false, restartCount: 0, state: { running: {} } }])), ['0/1', 'Init:1/2', '0', '4s']);
  assert.deepEqual(narrow(init([{ name: 'i1', ready: false, restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, finishedAt: ago(90_000) } } }])), ['0/1', 'Init:CrashLoopBackOff', '4 (90s ago)', '4s']);
  assert.deepEqual(narrow(init([{ name: 'i1', ready: false, restartCount: 0, state: { terminated: { exitCode: 1, reason: 'Error' } } }])), ['0/1', 'Init:Error', '0', '4s']);
  assert.deepEqual(narrow(init([{ name: 'i1', ready: false, restartCount: 0, state: { terminated: { exitCode: 2 } } }])), ['0/1', 'Init:ExitCode:2', '0', '4s']);
  assert.deepEqual(narrow(init([{ name: 'i1', ready: false, restartCount: 0, state: { terminated: { exitCode: 137, signal: 9 } } }])), ['0/1', 'Init:Signal:9', '0', '4s']);
});

test('crash looping container: reason and restarts with the last restart age', () => {
  const p = pod({ nodeName: 'node-1' }, {
    phase: 'Running',
    containerStatuses: [{ name: 'c', ready: false, restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(5 * 60_000) } } }],
  });
  assert.deepEqual(narrow(p), ['0/1', 'CrashLoopBackOff', '3 (5m ago)', '4s']);
  // restarts without a recorded termination time print as a bare number
  const q = pod({}, { phase: 'Running', containerStatuses: [running('c', 2)] });
  assert.deepEqual(narrow(q), ['1/1', 'Running', '2', '4s']);
});

test('terminated containers: reason, ExitCode:N, Signal:N', () => {
  const t = (terminated: Record<string, unknown>) => narrow(pod({}, { phase: 'Running', containerStatuses: [{ name: 'c', ready: false, restartCount: 0, state: { terminated } }] }));
  assert.deepEqual(t({ exitCode: 137, reason: 'OOMKilled' }), ['0/1', 'OOMKilled', '0', '4s']);
  assert.deepEqual(t({ exitCode: 3 }), ['0/1', 'ExitCode:3', '0', '4s']);
  assert.deepEqual(t({ exitCode: 0, signal: 15 }), ['0/1', 'Signal:15', '0', '4s']);
});

test('completed pod carries the Completed row condition; failed too', () => {
  const p = pod({}, { phase: 'Succeeded', containerStatuses: [{ name: 'c', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] });
  assert.deepEqual(narrow(p), ['0/1', 'Completed', '0', '4s']);
  assert.deepEqual(podPrinter.conditions?.(p), [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }]);
  const f = pod({}, { phase: 'Failed', reason: 'Evicted' });
  assert.deepEqual(narrow(f), ['0/1', 'Evicted', '0', '4s']);
  assert.deepEqual(podPrinter.conditions?.(f), [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }]);
});

test('one container Completed while another runs: Running if Ready, else NotReady', () => {
  const spec = { containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'y' }] };
  const statuses = [running('a'), { name: 'b', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }];
  assert.deepEqual(narrow(pod(spec, { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: statuses })), ['1/2', 'Running', '0', '4s']);
  assert.deepEqual(narrow(pod(spec, { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }], containerStatuses: statuses })), ['1/2', 'NotReady', '0', '4s']);
});

test('deleting pods: Terminating, or Unknown when the node is lost; finished pods keep their status', () => {
  const meta = { deletionTimestamp: ago(1000) };
  assert.equal(narrow(pod({}, { phase: 'Running', containerStatuses: [running()] }, meta))[1], 'Terminating');
  assert.equal(narrow(pod({}, { phase: 'Running', reason: 'NodeLost', containerStatuses: [running()] }, meta))[1], 'Unknown');
  assert.equal(narrow(pod({}, { phase: 'Succeeded' }, meta))[1], 'Succeeded');
});

test('restartable init containers (sidecars) count as containers and their restarts stay', () => {
  const p = pod(
    { initContainers: [{ name: 'sidecar', image: 'envoy', restartPolicy: 'Always' }] },
    {
      phase: 'Running',
      conditions: [{ type: 'Initialized', status: 'True' }],
      initContainerStatuses: [{ ...running('sidecar', 2), lastState: { terminated: { exitCode: 1, finishedAt: ago(10 * 60_000) } } }],
      containerStatuses: [running('c', 1)],
    },
  );
  assert.deepEqual(narrow(p), ['2/2', 'Running', '3 (10m ago)', '4s']);
});

test('readiness gates count the True conditions', () => {
  const p = pod(
    { readinessGates: [{ conditionType: 'example.com/a' }, { conditionType: 'example.com/b' }] },
    { phase: 'Running', conditions: [{ type: 'example.com/a', status: 'True' }, { type: 'example.com/b', status: 'False' }], containerStatuses: [running()] },
  );
  assert.equal(podPrinter.cells(p, now)[8], '1/2');
});
