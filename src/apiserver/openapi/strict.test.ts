import { test } from 'node:test';
import assert from 'node:assert/strict';
import { strictBodyError, strictDecodingMessage, strictPatchError, strictWarnings, unknownFields, warningHeaderValue } from './strict.js';

const svc = { group: '', version: 'v1', kind: 'Service' };
const deploy = { group: 'apps', version: 'v1', kind: 'Deployment' };

test('a valid object has no unknown fields', () => {
  const obj = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', labels: { a: 'b' }, annotations: { x: 'y' }, managedFields: [{ manager: 'm', fieldsV1: { 'f:spec': {} } }] },
    spec: { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }], clusterIPs: ['10.0.0.1'] },
    status: { loadBalancer: { ingress: [{ ip: '1.2.3.4', ipMode: 'VIP' }] } },
  };
  assert.deepEqual(unknownFields(obj, svc), []);
});

test('unknown fields are reported in document order with Kubernetes paths', () => {
  const obj = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'x', bogus: 1 }, spec: { foo: 1, ports: [{ port: 80 }, { port: 81, bogus: 2 }] }, extra: true };
  assert.deepEqual(unknownFields(obj, svc), ['metadata.bogus', 'spec.foo', 'spec.ports[1].bogus', 'extra']);
});

test('nested pod template fields and quantities', () => {
  const obj = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', imagee: 'nginx', resources: { limits: { cpu: 1, memory: '1Gi' } }, env: [{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'x' } } }] }] } },
    },
  };
  assert.deepEqual(unknownFields(obj, deploy), ['spec.template.spec.containers[0].imagee']);
});

test('MetalLB kinds are checked against their hand-written schemas', () => {
  const pool = { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'p' }, spec: { addresses: ['10.0.0.0/24'], autoAssign: false, avoidBuggyIPs: true, serviceAllocation: { priority: 1, namespaces: ['a'] }, nope: 1 } };
  assert.deepEqual(unknownFields(pool, { group: 'metallb.io', version: 'v1beta1', kind: 'IPAddressPool' }), ['spec.nope']);
  const l2 = { apiVersion: 'metallb.io/v1beta1', kind: 'L2Advertisement', metadata: { name: 'l' }, spec: { ipAddressPools: ['p'], interfaces: ['eth0'], nodeSelectors: [{ matchLabels: { a: 'b' }, bad: 1 }] } };
  assert.deepEqual(unknownFields(l2, { group: 'metallb.io', version: 'v1beta1', kind: 'L2Advertisement' }), ['spec.nodeSelectors[0].bad']);
});

test('an unknown kind reports nothing', () => {
  assert.deepEqual(unknownFields({ spec: { x: 1 } }, { group: 'example.com', version: 'v1', kind: 'Widget' }), []);
});

test('messages are the ones kube-apiserver sends', () => {
  assert.equal(strictDecodingMessage(['spec.foo', 'spec.bar']), 'strict decoding error: unknown field "spec.foo", unknown field "spec.bar"');
  const e = strictBodyError(svc, ['spec.foo']);
  assert.equal(e.status.code, 400);
  assert.equal(e.status.reason, 'BadRequest');
  assert.equal(e.status.message, 'Service in version "v1" cannot be handled as a Service: strict decoding error: unknown field "spec.foo"');
  const p = strictPatchError('{"spec":{"foo":1}}', ['spec.foo']);
  assert.equal(p.status.code, 422);
  assert.equal(p.status.reason, 'Invalid');
  assert.equal(p.status.message, ' "" is invalid: patch: Invalid value: "{\\"spec\\":{\\"foo\\":1}}": strict decoding error: unknown field "spec.foo"');
  assert.deepEqual(strictWarnings(['spec.foo']), ['unknown field "spec.foo"']);
  assert.equal(warningHeaderValue('unknown field "spec.foo"'), '299 - "unknown field \\"spec.foo\\""');
});
