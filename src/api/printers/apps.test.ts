import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../types.js';
import { controllerRevisionPrinter, daemonSetPrinter, statefulSetPrinter } from './apps.js';

const now = Date.parse('2026-01-01T00:10:00Z');
const created = '2026-01-01T00:00:00Z';
const containers = [{ name: 'web', image: 'nginx' }];
const obj = (o: unknown) => o as KubeObject;

test('statefulset rows: NAME READY AGE (+ CONTAINERS IMAGES wide)', () => {
  const sts = { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'web', creationTimestamp: created }, spec: { replicas: 3, template: { spec: { containers } } }, status: { readyReplicas: 2 } };
  assert.deepEqual(statefulSetPrinter.columns.map((c) => [c.name, c.priority]), [['Name', 0], ['Ready', 0], ['Age', 0], ['Containers', 1], ['Images', 1]]);
  assert.deepEqual(statefulSetPrinter.cells(obj(sts), now), ['web', '2/3', '10m', 'web', 'nginx']);
  assert.deepEqual(statefulSetPrinter.cells(obj({ ...sts, status: undefined }), now).slice(0, 2), ['web', '0/3']);
});

test('daemonset rows', () => {
  const ds = { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'agent', creationTimestamp: created }, spec: { selector: { matchLabels: { app: 'agent' } }, template: { spec: { containers, nodeSelector: { os: 'linux' } } } }, status: { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 1, numberAvailable: 2 } };
  assert.deepEqual(daemonSetPrinter.columns.map((c) => c.name), ['Name', 'Desired', 'Current', 'Ready', 'Up-to-date', 'Available', 'Node Selector', 'Age', 'Containers', 'Images', 'Selector']);
  assert.deepEqual(daemonSetPrinter.cells(obj(ds), now), ['agent', 3, 3, 2, 1, 2, 'os=linux', '10m', 'web', 'nginx', 'app=agent']);
  assert.equal(daemonSetPrinter.cells(obj({ ...ds, spec: { ...ds.spec, template: { spec: { containers } } } }), now)[6], '<none>');
});

test('controllerrevision rows name the controller as kind.group/name', () => {
  const cr = { apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: 'web-abc', creationTimestamp: created, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'u', controller: true }] }, revision: 2 };
  assert.deepEqual(controllerRevisionPrinter.cells(obj(cr), now), ['web-abc', 'statefulset.apps/web', 2, '10m']);
  assert.deepEqual(controllerRevisionPrinter.cells(obj({ ...cr, metadata: { name: 'x', creationTimestamp: created } }), now), ['x', '<none>', 2, '10m']);
});
