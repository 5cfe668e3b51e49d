import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resources } from '../resources.js';
import type { KubeObject } from '../types.js';
import { goJSON } from './crd.js';
import { crdPrinter, defaultPrinter, printerFor, toTable } from './index.js';

const now = Date.parse('2025-01-01T01:00:00Z');
const ago = (ms: number) => new Date(now - ms).toISOString().replace('.000Z', 'Z');

test('every served kind has its own printer', () => {
  for (const info of resources) {
    assert.notEqual(printerFor(info.group, info.kind), defaultPrinter, `${info.group}/${info.kind}`);
  }
  assert.equal(printerFor('example.com', 'Widget'), defaultPrinter);
  assert.equal(printerFor('apps', 'Pod'), defaultPrinter);
});

test('toTable: Table shape, PartialObjectMetadata rows by default, list metadata', () => {
  const svc: KubeObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'default', uid: 'u1', resourceVersion: '42', labels: { app: 'web' }, creationTimestamp: ago(3000) },
    spec: { type: 'ClusterIP', clusterIPs: ['10.96.0.11'], ports: [{ port: 80, protocol: 'TCP' }], selector: { app: 'web' } },
  };
  const table = toTable(printerFor('', 'Service'), [svc], { now, resourceVersion: '57', continue: 'abc' });
  assert.equal(table.kind, 'Table');
  assert.equal(table.apiVersion, 'meta.k8s.io/v1');
  assert.deepEqual(table.metadata, { resourceVersion: '57', continue: 'abc' });
  assert.deepEqual(table.columnDefinitions?.map((c) => c.name), ['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', 'Selector']);
  assert.deepEqual(Object.keys(table.columnDefinitions![0]), ['name', 'type', 'format', 'description', 'priority']);
  assert.deepEqual(table.rows, [
    {
      cells: ['web', 'ClusterIP', '10.96.0.11', '<none>', '80/TCP', '3s', 'app=web'],
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: svc.metadata },
    },
  ]);
  // the wire form kubectl reads
  const wire = JSON.parse(JSON.stringify(table));
  assert.equal(wire.rows[0].object.metadata.name, 'web');
  assert.equal(wire.columnDefinitions[0].format, 'name');
});

test('toTable: includeObject None / Object, no headers, empty lists, row conditions', () => {
  const done: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'job-x', creationTimestamp: ago(1000) }, spec: { containers: [{ name: 'c' }] }, status: { phase: 'Succeeded' } };
  const pods = printerFor('', 'Pod');
  const none = toTable(pods, [done], { now, includeObject: 'None' });
  assert.equal(none.rows[0].object, null);
  assert.equal(JSON.stringify(none.rows[0]).includes('"object":null'), true);
  assert.deepEqual(none.rows[0].conditions, [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }]);
  assert.deepEqual(Object.keys(none.rows[0]), ['cells', 'conditions', 'object']);
  assert.deepEqual(none.metadata, {});
  const full = toTable(pods, [done], { now, includeObject: 'Object', noHeaders: true });
  assert.equal(full.rows[0].object, done);
  assert.equal(full.columnDefinitions, null);
  assert.deepEqual(toTable(pods, [], { now, resourceVersion: '9' }).rows, []);
});

test('default printer: Name and Created At (RFC3339, UTC)', () => {
  assert.deepEqual(defaultPrinter.columns.map((c) => [c.name, c.type, c.format]), [['Name', 'string', 'name'], ['Created At', 'date', '']]);
  const obj: KubeObject = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', creationTimestamp: '2024-03-05T06:07:08Z' } };
  assert.deepEqual(defaultPrinter.cells(obj, now), ['w', '2024-03-05T06:07:08Z']);
  assert.deepEqual(defaultPrinter.cells({ ...obj, metadata: { name: 'x' } }, now), ['x', '0001-01-01T00:00:00Z']);
});

test('MetalLB IPAddressPool: CRD printer columns (no Age column)', () => {
  const p = printerFor('metallb.io', 'IPAddressPool');
  assert.deepEqual(
    p.columns.map((c) => [c.name, c.type, c.priority, c.description]),
    [
      ['Name', 'string', 0, p.columns[0].description],
      ['Auto Assign', 'boolean', 0, 'Custom resource definition column (in JSONPath format): .spec.autoAssign'],
      ['Avoid Buggy IPs', 'boolean', 0, 'Custom resource definition column (in JSONPath format): .spec.avoidBuggyIPs'],
      ['Addresses', 'string', 0, 'Custom resource definition column (in JSONPath format): .spec.addresses'],
    ],
  );
  const pool: KubeObject = { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'first-pool', namespace: 'metallb-system' }, spec: { addresses: ['127.0.0.240-127.0.0.250', '127.0.1.0/28'], autoAssign: true, avoidBuggyIPs: false } };
  assert.deepEqual(p.cells(pool, now), ['first-pool', true, false, '["127.0.0.240-127.0.0.250","127.0.1.0/28"]']);
  assert.deepEqual(p.cells({ ...pool, spec: { addresses: [] } }, now), ['first-pool', null, null, '[]']);
});

test('MetalLB L2Advertisement: selectors as Go JSON, Node Selectors at priority 10', () => {
  const p = printerFor('metallb.io', 'L2Advertisement');
  assert.deepEqual(p.columns.map((c) => [c.name, c.priority]), [['Name', 0], ['IPAddressPools', 0], ['IPAddressPool Selectors', 0], ['Interfaces', 0], ['Node Selectors', 10]]);
  const adv: KubeObject = {
    apiVersion: 'metallb.io/v1beta1',
    kind: 'L2Advertisement',
    metadata: { name: 'l2', namespace: 'metallb-system' },
    spec: { ipAddressPools: ['first-pool'], nodeSelectors: [{ matchLabels: { 'kubernetes.io/hostname': 'node-1', a: '<b>' } }] },
  };
  assert.deepEqual(p.cells(adv, now), ['l2', '["first-pool"]', null, null, '[{"matchLabels":{"a":"\\u003cb\\u003e","kubernetes.io/hostname":"node-1"}}]']);
  assert.deepEqual(p.cells({ ...adv, spec: {} }, now), ['l2', null, null, null, null]);
});

test('crdPrinter without columns serves Age as a date column', () => {
  const p = crdPrinter([]);
  assert.deepEqual(p.columns.map((c) => [c.name, c.type]), [['Name', 'string'], ['Age', 'date']]);
  assert.deepEqual(p.cells({ apiVersion: 'x/v1', kind: 'X', metadata: { name: 'x', creationTimestamp: ago(125_000) } }, now), ['x', '2m5s']);
  assert.equal(goJSON({ b: 1, a: [true, 'x&y'] }), '{"a":[true,"x\\u0026y"],"b":1}');
});
