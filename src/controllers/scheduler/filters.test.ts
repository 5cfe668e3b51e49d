import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { filterNode, fitErrorMessage, pickNode, toleratesTaint } from './filters.js';

const ready = [{ type: 'Ready', status: 'True' }];
function node(name: string, o: Partial<Node['spec']> & { labels?: Record<string, string>; readyStatus?: string } = {}): Node {
  const { labels, readyStatus, ...spec } = o;
  return { metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } }, spec, status: { conditions: readyStatus ? [{ type: 'Ready', status: readyStatus }] : ready } };
}
const defaultTolerations = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
];
function pod(spec: Partial<Pod['spec']> = {}): Pod {
  return { metadata: { name: 'p' }, spec: { containers: [], tolerations: defaultTolerations, ...spec } };
}

test('filters: nodeName, nodeSelector, taints, unschedulable, readiness', () => {
  assert.equal(filterNode(pod(), node('a')), undefined);
  assert.equal(filterNode(pod({ nodeSelector: { disk: 'ssd' } }), node('a')), "node(s) didn't match Pod's node affinity/selector");
  assert.equal(filterNode(pod({ nodeSelector: { disk: 'ssd' } }), node('a', { labels: { disk: 'ssd' } })), undefined);
  assert.equal(filterNode(pod({ nodeName: 'b' }), node('a')), "node(s) didn't match the requested node name");
  assert.equal(filterNode(pod(), node('a', { unschedulable: true })), 'node(s) were unschedulable');
  const tainted = node('a', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] });
  assert.equal(filterNode(pod(), tainted), 'node(s) had untolerated taint {dedicated: gpu}');
  assert.equal(filterNode(pod({ tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu' }] }), tainted), undefined);
  assert.equal(filterNode(pod(), node('a', { taints: [{ key: 'x', effect: 'PreferNoSchedule' }] })), undefined);
  // the default NoExecute tolerations do not tolerate the NoSchedule taint of a node that is not ready
  assert.equal(filterNode(pod(), node('a', { readyStatus: 'False' })), 'node(s) had untolerated taint {node.kubernetes.io/not-ready: }');
  assert.equal(filterNode(pod(), node('a', { readyStatus: 'Unknown' })), 'node(s) had untolerated taint {node.kubernetes.io/unreachable: }');
  assert.ok(toleratesTaint({ operator: 'Exists' }, { key: 'anything', effect: 'NoExecute' }));
  assert.ok(!toleratesTaint({ key: 'k', value: 'v' }, { key: 'k', value: 'w', effect: 'NoSchedule' }));
});

test('FailedScheduling message as kube-scheduler 1.32 writes it', () => {
  const r = "node(s) didn't match Pod's node affinity/selector";
  assert.equal(fitErrorMessage(3, [r, r, r]), "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.");
  assert.equal(
    fitErrorMessage(3, ['node(s) were unschedulable', r, r]),
    "0/3 nodes are available: 1 node(s) were unschedulable, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
  );
  assert.equal(fitErrorMessage(0, []), 'no nodes available to schedule pods');
});

test('scoring spreads an owner across nodes, then prefers the emptiest', () => {
  const loads: Record<string, { sameOwner: number; total: number }> = { a: { sameOwner: 1, total: 1 }, b: { sameOwner: 0, total: 5 }, c: { sameOwner: 0, total: 2 } };
  assert.equal(pickNode(['a', 'b', 'c'], (n) => loads[n]), 'c');
  assert.equal(pickNode([], (n) => loads[n]), undefined);
});

test('filters: required node affinity (matchExpressions and matchFields metadata.name)', () => {
  const onNode = (name: string) => ({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [name] }] }] } } });
  assert.equal(filterNode(pod({ affinity: onNode('a') }), node('a')), undefined);
  assert.equal(filterNode(pod({ affinity: onNode('b') }), node('a')), "node(s) didn't match Pod's node affinity/selector");
  const zone = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['x'] }] }, { matchExpressions: [{ key: 'gpu', operator: 'Exists' }] }] } } };
  assert.equal(filterNode(pod({ affinity: zone }), node('a', { labels: { gpu: '1' } })), undefined);
  assert.equal(filterNode(pod({ affinity: zone }), node('a', { labels: { zone: 'y' } })), "node(s) didn't match Pod's node affinity/selector");
});
