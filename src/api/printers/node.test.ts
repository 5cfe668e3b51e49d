import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../types.js';
import { configMapPrinter, leasePrinter, namespacePrinter, secretPrinter, serviceAccountPrinter } from './config.js';
import { eventPrinter } from './event.js';
import { nodePrinter } from './node.js';

const now = Date.parse('2025-01-10T00:00:00Z');
const ago = (ms: number) => new Date(now - ms).toISOString().replace('.000Z', 'Z');
const h = 3_600_000;

function node(labels: Record<string, string>, spec: Record<string, unknown>, status: Record<string, unknown>): KubeObject {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1', labels, creationTimestamp: ago(50 * h) }, spec, status };
}

test('nodes: Status, Roles, Version and wide columns', () => {
  assert.deepEqual(
    nodePrinter.columns.map((c) => [c.name, c.priority]),
    [['Name', 0], ['Status', 0], ['Roles', 0], ['Age', 0], ['Version', 0], ['Internal-IP', 1], ['External-IP', 1], ['OS-Image', 1], ['Kernel-Version', 1], ['Container-Runtime', 1]],
  );
  const ready = node(
    { 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/worker': 'true', 'kubernetes.io/hostname': 'node-1' },
    {},
    {
      conditions: [{ type: 'MemoryPressure', status: 'False' }, { type: 'Ready', status: 'True' }],
      addresses: [{ type: 'Hostname', address: 'node-1' }, { type: 'InternalIP', address: '127.0.10.1' }],
      nodeInfo: { kubeletVersion: 'v1.32.4-skiff', osImage: 'Debian GNU/Linux 12 (bookworm)', kernelVersion: '6.1.0', containerRuntimeVersion: 'skiff://0.1.0' },
    },
  );
  assert.deepEqual(nodePrinter.cells(ready, now), ['node-1', 'Ready', 'control-plane,worker', '2d2h', 'v1.32.4-skiff', '127.0.10.1', '<none>', 'Debian GNU/Linux 12 (bookworm)', '6.1.0', 'skiff://0.1.0']);
  const cordoned = node({ 'kubernetes.io/role': 'edge', 'node-role.kubernetes.io/': '' }, { unschedulable: true }, { conditions: [{ type: 'Ready', status: 'Unknown' }], addresses: [{ type: 'ExternalIP', address: '203.0.113.9' }] });
  assert.deepEqual(nodePrinter.cells(cordoned, now).slice(1), ['NotReady,SchedulingDisabled', 'edge', '2d2h', '', '<none>', '203.0.113.9', '<unknown>', '<unknown>', '<unknown>']);
  const fresh = node({}, {}, {});
  assert.deepEqual(nodePrinter.cells(fresh, now).slice(1, 3), ['Unknown', '<none>']);
});

test('core/v1 events: wide cells in printers.go order', () => {
  assert.deepEqual(
    eventPrinter.columns.map((c) => [c.name, c.priority, c.format]),
    [['Last Seen', 0, ''], ['Type', 0, ''], ['Reason', 0, ''], ['Object', 0, ''], ['Subobject', 1, ''], ['Source', 1, ''], ['Message', 0, ''], ['First Seen', 1, ''], ['Count', 1, ''], ['Name', 1, 'name']],
  );
  const ev: KubeObject = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'web-bmjgghcadc-c6xtg.17f3a', namespace: 'default' },
    involvedObject: { kind: 'Pod', name: 'web-bmjgghcadc-c6xtg', namespace: 'default', fieldPath: 'spec.containers{web}' },
    reason: 'Started',
    message: 'Started container web\n',
    source: { component: 'kubelet', host: 'node-1' },
    firstTimestamp: ago(5 * 60_000),
    lastTimestamp: ago(30_000),
    count: 3,
    type: 'Normal',
  };
  assert.deepEqual(eventPrinter.cells(ev, now), ['30s', 'Normal', 'Started', 'pod/web-bmjgghcadc-c6xtg', 'spec.containers{web}', 'kubelet, node-1', 'Started container web', '5m', 3, 'web-bmjgghcadc-c6xtg.17f3a']);
  // events.k8s.io-style: eventTime only, reporting fields, no count
  const newer: KubeObject = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'e2' },
    involvedObject: { kind: 'Node' },
    reason: 'RegisteredNode',
    message: 'registered',
    eventTime: new Date(now - 90_000).toISOString().replace('Z', '000Z'),
    reportingComponent: 'node-controller',
    type: 'Normal',
  };
  assert.deepEqual(eventPrinter.cells(newer, now), ['90s', 'Normal', 'RegisteredNode', 'node', '', 'node-controller', 'registered', '90s', 1, 'e2']);
  const series: KubeObject = { ...newer, series: { count: 7, lastObservedTime: ago(10_000) } };
  const cells = eventPrinter.cells(series, now);
  assert.equal(cells[0], '10s');
  assert.equal(cells[8], 7);
  const none: KubeObject = { apiVersion: 'v1', kind: 'Event', metadata: { name: 'e3' }, involvedObject: {} };
  assert.deepEqual(eventPrinter.cells(none, now).slice(0, 4), ['<unknown>', '', '', '']);
});

test('namespaces, configmaps, secrets, serviceaccounts, leases', () => {
  const m = (name: string) => ({ name, namespace: 'default', creationTimestamp: ago(8 * 24 * h + 3 * h) });
  assert.deepEqual(namespacePrinter.cells({ apiVersion: 'v1', kind: 'Namespace', metadata: m('default'), status: { phase: 'Active' } }, now), ['default', 'Active', '8d']);
  assert.deepEqual(namespacePrinter.cells({ apiVersion: 'v1', kind: 'Namespace', metadata: m('gone'), status: { phase: 'Terminating' } }, now)[1], 'Terminating');
  assert.deepEqual(namespacePrinter.columns.map((c) => c.name), ['Name', 'Status', 'Age']);
  assert.deepEqual(configMapPrinter.cells({ apiVersion: 'v1', kind: 'ConfigMap', metadata: m('cfg'), data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } }, now), ['cfg', 3, '8d']);
  assert.deepEqual(configMapPrinter.cells({ apiVersion: 'v1', kind: 'ConfigMap', metadata: m('kube-root-ca.crt') }, now), ['kube-root-ca.crt', 0, '8d']);
  assert.deepEqual(secretPrinter.cells({ apiVersion: 'v1', kind: 'Secret', metadata: m('tls'), type: 'kubernetes.io/tls', data: { 'tls.crt': 'eA==', 'tls.key': 'eA==' } }, now), ['tls', 'kubernetes.io/tls', 2, '8d']);
  assert.deepEqual(secretPrinter.cells({ apiVersion: 'v1', kind: 'Secret', metadata: m('s'), stringData: { a: 'b' } }, now), ['s', 'Opaque', 0, '8d']);
  assert.deepEqual(secretPrinter.columns.map((c) => c.name), ['Name', 'Type', 'Data', 'Age']);
  assert.deepEqual(serviceAccountPrinter.cells({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: m('default') }, now), ['default', 0, '8d']);
  assert.deepEqual(serviceAccountPrinter.cells({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: m('bot'), secrets: [{ name: 'x' }] }, now)[1], 1);
  assert.deepEqual(leasePrinter.cells({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: m('node-1'), spec: { holderIdentity: 'node-1', leaseDurationSeconds: 40 } }, now), ['node-1', 'node-1', '8d']);
  assert.deepEqual(leasePrinter.cells({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: m('free'), spec: {} }, now)[1], '');
});
