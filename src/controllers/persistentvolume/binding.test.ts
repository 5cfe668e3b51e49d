import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import { findMatchingVolume, isVolumeBoundToClaim } from './binding.js';
import { provisionedVolume } from '../localpath/provisioner.js';

const claim = (o: Partial<NonNullable<PersistentVolumeClaim['spec']>> = {}): PersistentVolumeClaim => ({
  metadata: { name: 'data', namespace: 'default', uid: 'c-uid', resourceVersion: '7', annotations: { 'volume.kubernetes.io/selected-node': 'node-1' } },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: 'manual', ...o },
});
const pv = (name: string, size: string, o: Partial<NonNullable<PersistentVolume['spec']>> = {}): PersistentVolume => ({
  metadata: { name },
  spec: { capacity: { storage: size }, accessModes: ['ReadWriteOnce', 'ReadOnlyMany'], storageClassName: 'manual', hostPath: { path: `/x/${name}` }, ...o },
  status: { phase: 'Available' },
});

test('findMatchingVolume: class, modes and size; the smallest fit; a pre-bound volume first', () => {
  const vols = [pv('big', '10Gi'), pv('small', '2Gi'), pv('tiny', '512Mi'), pv('other-class', '1Gi', { storageClassName: 'fast' }), pv('rwx-only', '1Gi', { accessModes: ['ReadWriteMany'] })];
  assert.equal(findMatchingVolume(claim(), vols)?.metadata?.name, 'small');
  assert.equal(findMatchingVolume(claim({ accessModes: ['ReadWriteMany'] }), vols)?.metadata?.name, 'rwx-only');
  assert.equal(findMatchingVolume(claim({ resources: { requests: { storage: '20Gi' } } }), vols), undefined);
  const taken = pv('taken', '1Gi', { claimRef: { namespace: 'default', name: 'someone-else', uid: 'x' } });
  const pre = pv('pre', '50Gi', { claimRef: { namespace: 'default', name: 'data' } });
  assert.equal(findMatchingVolume(claim(), [taken, ...vols, pre])?.metadata?.name, 'pre');
  assert.ok(isVolumeBoundToClaim(pre, claim()));
  assert.ok(!isVolumeBoundToClaim(taken, claim()));
});

test('local-path: the provisioned volume is pre-bound, hostPath under the dir, pinned to the selected node', () => {
  const v = provisionedVolume(claim({ storageClassName: 'local-path' }), { metadata: { name: 'local-path' }, provisioner: 'rancher.io/local-path', reclaimPolicy: 'Delete' }, '/data/storage/pvc-c-uid_default_data');
  assert.equal(v.metadata.name, 'pvc-c-uid');
  assert.equal(v.metadata.annotations?.['pv.kubernetes.io/provisioned-by'], 'rancher.io/local-path');
  assert.deepEqual(v.spec?.claimRef, { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: 'default', name: 'data', uid: 'c-uid', resourceVersion: '7' });
  assert.deepEqual(v.spec?.hostPath, { path: '/data/storage/pvc-c-uid_default_data', type: 'DirectoryOrCreate' });
  assert.equal(v.spec?.persistentVolumeReclaimPolicy, 'Delete');
  assert.deepEqual(v.spec?.capacity, { storage: '1Gi' });
  assert.deepEqual(v.spec?.nodeAffinity?.required?.nodeSelectorTerms[0]?.matchExpressions, [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['node-1'] }]);
});
