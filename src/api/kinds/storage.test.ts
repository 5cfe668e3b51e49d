import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../types.js';
import { persistentVolumeClaimPrinter, persistentVolumePrinter, storageClassPrinter } from '../printers/storage.js';
import { strategies } from './index.js';
import { quantityValue } from './storage.js';
import { messages } from './testing.js';

const o = (kind: string, body: Record<string, unknown>, meta: Record<string, unknown> = { name: 'x', namespace: 'default' }): KubeObject =>
  ({ apiVersion: kind === 'StorageClass' ? 'storage.k8s.io/v1' : 'v1', kind, metadata: meta, ...structuredClone(body) }) as KubeObject;
const check = (key: string, obj: KubeObject): string[] => {
  strategies[key]!.applyDefaults?.(obj);
  return messages(strategies[key]!.validate?.(obj) ?? []);
};

test('PersistentVolumeClaim: defaults and validation messages', () => {
  const pvc = o('PersistentVolumeClaim', { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
  assert.deepEqual(check('persistentvolumeclaims', pvc), []);
  assert.equal((pvc.spec as { volumeMode: string }).volumeMode, 'Filesystem');
  assert.deepEqual(pvc.status, { phase: 'Pending' });
  assert.deepEqual(check('persistentvolumeclaims', o('PersistentVolumeClaim', { spec: {} })), [
    'spec.accessModes: Required value: at least 1 access mode is required',
    'spec.resources[storage]: Required value',
  ]);
  assert.deepEqual(check('persistentvolumeclaims', o('PersistentVolumeClaim', { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '0' } } } })), [
    'spec.resources.requests[storage]: Invalid value: "0": must be greater than zero',
  ]);
});

test('PersistentVolumeClaim update: spec immutable except requests and the binder\'s volumeName', () => {
  const st = strategies['persistentvolumeclaims']!;
  const old = o('PersistentVolumeClaim', { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: 'local-path' } });
  st.applyDefaults!(old);
  const bound = structuredClone(old);
  (bound.spec as { volumeName?: string }).volumeName = 'pvc-1';
  assert.deepEqual(messages(st.validateUpdate!(bound, old)), []);
  const changed = structuredClone(old);
  (changed.spec as { accessModes: string[] }).accessModes = ['ReadWriteMany'];
  assert.deepEqual(messages(st.validateUpdate!(changed, old)), ['spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims']);
});

test('PersistentVolume: one volume source, capacity, reclaim policy default', () => {
  const pv = o('PersistentVolume', { spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/tmp/x' } } }, { name: 'pv1' });
  assert.deepEqual(check('persistentvolumes', pv), []);
  assert.equal((pv.spec as { persistentVolumeReclaimPolicy: string }).persistentVolumeReclaimPolicy, 'Retain');
  assert.deepEqual(check('persistentvolumes', o('PersistentVolume', { spec: { accessModes: ['ReadWriteOnce'] } }, { name: 'pv2' })), [
    'spec.capacity: Required value',
    'spec: Required value: must specify a volume type',
  ]);
});

test('StorageClass: provisioner required, defaults', () => {
  const sc = o('StorageClass', { provisioner: 'rancher.io/local-path' }, { name: 'fast' });
  assert.deepEqual(check('storageclasses.storage.k8s.io', sc), []);
  assert.equal((sc as unknown as { reclaimPolicy: string }).reclaimPolicy, 'Delete');
  assert.equal((sc as unknown as { volumeBindingMode: string }).volumeBindingMode, 'Immediate');
  assert.deepEqual(check('storageclasses.storage.k8s.io', o('StorageClass', {}, { name: 'none' })), ['provisioner: Required value']);
});

test('Table cells: pvc, pv, sc as kubectl get prints them', () => {
  const now = Date.parse('2026-01-01T00:10:00Z');
  const meta = { name: 'data', namespace: 'default', creationTimestamp: '2026-01-01T00:00:00Z' };
  const pvc = o('PersistentVolumeClaim', { spec: { volumeName: 'pvc-1', storageClassName: 'local-path', volumeMode: 'Filesystem' }, status: { phase: 'Bound', capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'] } }, meta);
  assert.deepEqual(persistentVolumeClaimPrinter.columns.map((c) => c.name), ['Name', 'Status', 'Volume', 'Capacity', 'Access Modes', 'StorageClass', 'VolumeAttributesClass', 'Age', 'VolumeMode']);
  assert.deepEqual(persistentVolumeClaimPrinter.cells(pvc, now), ['data', 'Bound', 'pvc-1', '1Gi', 'RWO', 'local-path', '<unset>', '10m', 'Filesystem']);
  const pv = o('PersistentVolume', { spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteMany', 'ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Delete', claimRef: { namespace: 'default', name: 'data' }, storageClassName: 'local-path' }, status: { phase: 'Bound' } }, { name: 'pvc-1', creationTimestamp: meta.creationTimestamp });
  assert.deepEqual(persistentVolumePrinter.cells(pv, now).slice(0, 9), ['pvc-1', '1Gi', 'RWO,RWX', 'Delete', 'Bound', 'default/data', 'local-path', '<unset>', '']);
  const sc = o('StorageClass', { provisioner: 'rancher.io/local-path', volumeBindingMode: 'WaitForFirstConsumer', reclaimPolicy: 'Delete' }, { name: 'local-path', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' }, creationTimestamp: meta.creationTimestamp });
  assert.deepEqual(storageClassPrinter.cells(sc, now), ['local-path (default)', 'rancher.io/local-path', 'Delete', 'WaitForFirstConsumer', 'false', '10m']);
});

test('quantityValue', () => {
  assert.equal(quantityValue('1Gi'), 1024 ** 3);
  assert.equal(quantityValue('500M'), 5e8);
  assert.equal(quantityValue('1e3'), 1000);
  assert.equal(quantityValue('junk'), 0);
});
