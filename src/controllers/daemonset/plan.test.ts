import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Node } from 'kubernetes-types/core/v1.js';
import type { PodObject } from '../common/pods.js';
import { daemonSetStatus, planManage, planRollingUpdate, type DaemonPlanInput } from './plan.js';
import { newDaemonPod, nodeShouldRunDaemonPod, targetNodeName, type DaemonSetObject } from './pods.js';

const node = (name: string, o: { labels?: Record<string, string>; taints?: NonNullable<Node['spec']>['taints'] } = {}): Node => ({ metadata: { name, labels: o.labels ?? {} }, spec: { taints: o.taints } });
let seq = 0;
function pod(nodeName: string, o: { hash?: string; ready?: boolean; phase?: string; terminating?: boolean } = {}): PodObject {
  seq++;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `ds-${seq}`, namespace: 'default', creationTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(), labels: { 'controller-revision-hash': o.hash ?? 'new' }, ...(o.terminating ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    spec: { nodeName, containers: [] },
    status: { phase: o.phase ?? 'Running', conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] },
  } as PodObject;
}

function input(nodes: string[], pods: PodObject[], o: Partial<DaemonPlanInput> = {}): DaemonPlanInput {
  const podsByNode = new Map<string, PodObject[]>();
  for (const p of pods) podsByNode.set(p.spec!.nodeName!, [...(podsByNode.get(p.spec!.nodeName!) ?? []), p]);
  return { nodes: nodes.map((n) => ({ node: node(n), shouldRun: true, shouldContinueRunning: true })), podsByNode, hash: 'new', rollingUpdate: true, maxUnavailable: 1, maxSurge: 0, minReadySeconds: 0, now: Date.parse('2026-02-01T00:00:00Z'), ...o };
}

const names = (pods: PodObject[]) => pods.map((p) => p.metadata.name);

test('manage: a pod on every node that lacks one, extra pods deleted (the oldest stays), failed pods replaced', () => {
  const a = pod('a');
  assert.deepEqual(planManage(input(['a', 'b', 'c'], [a])).createOn, ['b', 'c']);
  const dup = pod('a');
  assert.deepEqual(names(planManage(input(['a'], [a, dup])).delete), [dup.metadata.name]);
  const failed = pod('a', { phase: 'Failed', ready: false });
  const plan = planManage(input(['a'], [failed]));
  assert.deepEqual(names(plan.delete), [failed.metadata.name]);
  assert.deepEqual(names(plan.failed), [failed.metadata.name]);
  // a node where the pod may not stay loses it
  const i = input(['a'], [a]);
  i.nodes[0] = { ...i.nodes[0]!, shouldRun: false, shouldContinueRunning: false };
  assert.deepEqual(names(planManage(i).delete), [a.metadata.name]);
});

test('rolling update with maxUnavailable: unavailable old pods first, then as many as the budget allows', () => {
  const olds = ['a', 'b', 'c'].map((n) => pod(n, { hash: 'old' }));
  assert.equal(planRollingUpdate(input(['a', 'b', 'c'], olds)).delete.length, 1);
  assert.equal(planRollingUpdate(input(['a', 'b', 'c'], olds, { maxUnavailable: '100%' })).delete.length, 3);
  // a new pod that is not ready yet uses up the budget
  const waiting = [pod('a', { ready: false }), pod('b', { hash: 'old' }), pod('c', { hash: 'old' })];
  assert.deepEqual(planRollingUpdate(input(['a', 'b', 'c'], waiting)).delete, []);
  // an unavailable old pod is replaced regardless
  const broken = [pod('a', { ready: false }), pod('b', { hash: 'old', ready: false }), pod('c', { hash: 'old' })];
  assert.deepEqual(names(planRollingUpdate(input(['a', 'b', 'c'], broken)).delete), [broken[1]!.metadata.name]);
});

test('rolling update with maxSurge: new pod beside the old one, old deleted once the new is available', () => {
  const olds = ['a', 'b'].map((n) => pod(n, { hash: 'old' }));
  assert.deepEqual(planRollingUpdate(input(['a', 'b'], olds, { maxSurge: 1, maxUnavailable: 0 })).createOn, ['a']);
  const surged = [pod('a', { hash: 'old' }), pod('a'), pod('b', { hash: 'old' })];
  const plan = planRollingUpdate(input(['a', 'b'], surged, { maxSurge: 1, maxUnavailable: 0 }));
  assert.deepEqual(names(plan.delete), [surged[0]!.metadata.name]);
  // manage keeps both while the new one is not available
  const notYet = [pod('a', { hash: 'old' }), pod('a', { ready: false })];
  assert.deepEqual(planManage(input(['a'], notYet, { maxSurge: 1, maxUnavailable: 0 })).delete, []);
});

test('status counts judge each node by its oldest pod', () => {
  const i = input(['a', 'b', 'c', 'd'], [pod('a'), pod('b', { hash: 'old' }), pod('c', { ready: false }), pod('x')]);
  i.nodes[3] = { ...i.nodes[3]!, shouldRun: false, shouldContinueRunning: false };
  i.podsByNode.set('d', [pod('d')]);
  assert.deepEqual(daemonSetStatus(i), { currentNumberScheduled: 3, numberMisscheduled: 1, desiredNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 2, numberAvailable: 2, numberUnavailable: 1 });
});

const ds = {
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name: 'agent', namespace: 'kube-system', uid: 'u' },
  spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'c', image: 'x' }], nodeSelector: { os: 'linux' } } } },
} as unknown as DaemonSetObject;

test('which nodes run a daemon: node selector, taints (NoExecute decides whether a pod may stay)', () => {
  const linux = { os: 'linux' };
  assert.deepEqual(nodeShouldRunDaemonPod(node('a', { labels: linux }), ds), { shouldRun: true, shouldContinueRunning: true });
  assert.deepEqual(nodeShouldRunDaemonPod(node('a'), ds), { shouldRun: false, shouldContinueRunning: false });
  assert.deepEqual(nodeShouldRunDaemonPod(node('a', { labels: linux, taints: [{ key: 'gpu', effect: 'NoSchedule' }] }), ds), { shouldRun: false, shouldContinueRunning: true });
  assert.deepEqual(nodeShouldRunDaemonPod(node('a', { labels: linux, taints: [{ key: 'gpu', effect: 'NoExecute' }] }), ds), { shouldRun: false, shouldContinueRunning: false });
  // the daemon tolerations cover an unschedulable node and a not-ready one
  assert.deepEqual(nodeShouldRunDaemonPod(node('a', { labels: linux, taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }, { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }] }), ds), { shouldRun: true, shouldContinueRunning: true });
});

test('a daemon pod targets its node through required node affinity', () => {
  const p = newDaemonPod(ds, ds.spec!.template, 'node-2', 'h1');
  assert.equal(p.metadata.generateName, 'agent-');
  assert.equal(p.spec!.nodeName, undefined);
  assert.equal(targetNodeName(p), 'node-2');
  assert.deepEqual(p.spec!.affinity, { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-2'] }] }] } } });
  assert.deepEqual(p.spec!.tolerations!.map((t) => `${t.key}:${t.effect}`), [
    'node.kubernetes.io/not-ready:NoExecute',
    'node.kubernetes.io/unreachable:NoExecute',
    'node.kubernetes.io/disk-pressure:NoSchedule',
    'node.kubernetes.io/memory-pressure:NoSchedule',
    'node.kubernetes.io/pid-pressure:NoSchedule',
    'node.kubernetes.io/unschedulable:NoSchedule',
  ]);
  assert.equal(p.metadata.labels!['controller-revision-hash'], 'h1');
});
