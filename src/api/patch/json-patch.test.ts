import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyJsonPatch } from './json-patch.js';
import { applyMergePatch, createMergePatch } from './merge-patch.js';
import { isStatusError } from '../status.js';

test('rollout undo patch replaces template and annotations', () => {
  const live = {
    metadata: { name: 'web', annotations: { 'deployment.kubernetes.io/revision': '3', other: 'x' } },
    spec: { replicas: 3, template: { spec: { containers: [{ name: 'c', image: 'nginx:1.26' }] } } },
  };
  const patch = [
    { op: 'replace', path: '/spec/template', value: { metadata: { creationTimestamp: null, labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx:1.25' }] } } },
    { op: 'replace', path: '/metadata/annotations', value: { 'deployment.kubernetes.io/revision': '2' } },
  ];
  const out = applyJsonPatch<typeof live>(live, patch);
  assert.equal(out.spec.template.spec.containers[0].image, 'nginx:1.25');
  assert.deepEqual(out.metadata.annotations, { 'deployment.kubernetes.io/revision': '2' });
  assert.equal(out.spec.replicas, 3);
  assert.equal(live.spec.template.spec.containers[0].image, 'nginx:1.26', 'original untouched');
});

test('json patch errors', () => {
  assert.throws(() => applyJsonPatch({ a: 1 }, [{ op: 'remove', path: '/b' }]), (e) => isStatusError(e, 'Invalid') && e.status.code === 422);
  assert.throws(() => applyJsonPatch({ a: 1 }, [{ op: 'test', path: '/a', value: 2 }]), (e) => isStatusError(e) && /test failed/.test(e.status.details?.causes?.[0].message ?? ''));
  assert.throws(() => applyJsonPatch({ a: 1 }, { op: 'add' }), (e) => isStatusError(e, 'BadRequest'));
  assert.throws(() => applyJsonPatch({ a: 1 }, [{ op: 'frob', path: '/a' }]), (e) => isStatusError(e, 'BadRequest'));
  assert.deepEqual(applyJsonPatch({ a: [1, 2] }, [{ op: 'add', path: '/a/-', value: 3 }, { op: 'test', path: '/a/2', value: 3 }]), { a: [1, 2, 3] });
});

test('merge patch (RFC 7386)', () => {
  const live = { spec: { replicas: 1, selector: { app: 'x' } }, list: [1, 2] };
  assert.deepEqual(applyMergePatch(live, { spec: { replicas: 5 } }), { spec: { replicas: 5, selector: { app: 'x' } }, list: [1, 2] });
  assert.deepEqual(applyMergePatch(live, { spec: { selector: null }, list: [3] }), { spec: { replicas: 1 }, list: [3] });
  assert.deepEqual(applyMergePatch({ a: 'b' }, { a: { c: null, d: 1 } }), { a: { d: 1 } });
  assert.deepEqual(live.spec.replicas, 1);
  assert.deepEqual(createMergePatch({ a: 1, b: { c: 1, d: 2 } }, { b: { c: 1, d: 3 }, e: 1 }), { a: null, b: { d: 3 }, e: 1 });
});
