import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFieldSelector, matchesFields, fieldsOf, validateFieldSelector, fieldSelectorToString, requiresExactMatch } from './fields.js';
import type { KubeObject } from './types.js';

const pod: KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'default' },
  spec: { nodeName: 'n1', restartPolicy: 'Always', schedulerName: 'default-scheduler', serviceAccountName: 'default' },
  status: { phase: 'Running', podIP: '127.1.0.5' },
};

test('parse and match like kubectl describe node does', () => {
  const sel = parseFieldSelector('spec.nodeName=n1,status.phase!=Succeeded,status.phase!=Failed');
  assert.equal(matchesFields(sel, fieldsOf(pod)), true);
  assert.equal(matchesFields(sel, fieldsOf({ ...pod, status: { phase: 'Failed' } })), false);
  assert.equal(matchesFields(parseFieldSelector('metadata.name==p'), fieldsOf(pod)), true);
  assert.equal(matchesFields(parseFieldSelector('status.nominatedNodeName='), fieldsOf(pod)), true);
  assert.equal(matchesFields(parseFieldSelector(''), fieldsOf(pod)), true);
  assert.equal(requiresExactMatch(parseFieldSelector('metadata.name=x'), 'metadata.name'), 'x');
});

test('sorting and escaping', () => {
  const sel = parseFieldSelector('b=2,a=x\\,y');
  assert.deepEqual(sel.requirements.map((r) => r.field), ['a', 'b']);
  assert.equal(sel.requirements[0].value, 'x,y');
  assert.equal(fieldSelectorToString(sel), 'a=x\\,y,b=2');
  assert.throws(() => parseFieldSelector('abc'), { message: "invalid selector: 'abc'; can't understand 'abc'" });
  assert.throws(() => parseFieldSelector('a=b\\x'), { message: 'invalid field selector: invalid escape sequence: \\x' });
});

test('events, secrets, nodes, namespaces, replicasets', () => {
  const ev = fieldsOf({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'e', namespace: 'default' },
    involvedObject: { kind: 'Service', name: 'web', namespace: 'default', uid: 'u1' },
    reason: 'Created',
    source: { component: 'kubelet' },
    type: 'Normal',
  });
  assert.equal(ev['involvedObject.uid'], 'u1');
  assert.equal(ev.source, 'kubelet');
  assert.equal(ev['involvedObject.fieldPath'], '');
  assert.equal(fieldsOf({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, type: 'Opaque' }).type, 'Opaque');
  assert.equal(fieldsOf({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' }, spec: {} })['spec.unschedulable'], 'false');
  assert.equal(fieldsOf({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n' }, status: { phase: 'Active' } })['status.phase'], 'Active');
  assert.equal(fieldsOf({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'r' }, status: { replicas: 3 } })['status.replicas'], '3');
  assert.deepEqual(fieldsOf({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'ns' } }), { 'metadata.name': 'c', 'metadata.namespace': 'ns' });
});

test('unsupported labels are rejected with Kubernetes text', () => {
  assert.throws(() => validateFieldSelector(parseFieldSelector('spec.foo=x'), { group: '', kind: 'Pod' }), { message: 'field label not supported: spec.foo' });
  assert.throws(() => validateFieldSelector(parseFieldSelector('spec.type=x'), { group: '', kind: 'ConfigMap' }), {
    message: '"spec.type" is not a known field selector: only "metadata.name", "metadata.namespace"',
  });
  validateFieldSelector(parseFieldSelector('involvedObject.name=web,type=Normal'), { group: '', kind: 'Event' });
  validateFieldSelector(parseFieldSelector('metadata.name=x'), { group: 'apps', kind: 'Deployment' });
});
