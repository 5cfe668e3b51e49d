import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { invalid } from '../status.js';
import { applyPodDefaults, validatePod, validatePodUpdate } from './pod.js';
import { defaultImagePullPolicy } from './podspec-defaults.js';
import { messages } from './testing.js';

function pod(spec: Partial<Pod['spec']>, name = 'p'): Pod {
  const p: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: structuredClone(spec) as Pod['spec'] };
  applyPodDefaults(p);
  return p;
}

test('imagePullPolicy default', () => {
  assert.equal(defaultImagePullPolicy('nginx'), 'Always');
  assert.equal(defaultImagePullPolicy('nginx:latest'), 'Always');
  assert.equal(defaultImagePullPolicy('nginx:1.25'), 'IfNotPresent');
  assert.equal(defaultImagePullPolicy('localhost:5000/app'), 'Always');
  assert.equal(defaultImagePullPolicy('localhost:5000/app:v1'), 'IfNotPresent');
  assert.equal(defaultImagePullPolicy('nginx@sha256:abcd'), 'IfNotPresent');
});

test('pod defaults', () => {
  const p = pod({ containers: [{ name: 'c', image: 'busybox:1.36', ports: [{ containerPort: 80 }], readinessProbe: { httpGet: { port: 80 } } }] });
  const s = p.spec!;
  assert.equal(s.dnsPolicy, 'ClusterFirst');
  assert.equal(s.restartPolicy, 'Always');
  assert.equal(s.terminationGracePeriodSeconds, 30);
  assert.equal(s.schedulerName, 'default-scheduler');
  assert.equal(s.enableServiceLinks, true);
  assert.equal(s.serviceAccountName, 'default');
  assert.equal(s.tolerations!.length, 2);
  const c = s.containers[0]!;
  assert.equal(c.terminationMessagePath, '/dev/termination-log');
  assert.equal(c.terminationMessagePolicy, 'File');
  assert.equal(c.imagePullPolicy, 'IfNotPresent');
  assert.equal(c.ports![0]!.protocol, 'TCP');
  assert.deepEqual(c.readinessProbe, { httpGet: { port: 80, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
  assert.equal(p.status!.phase, 'Pending');
  assert.equal(p.status!.qosClass, 'BestEffort');
  assert.deepEqual(validatePod(p), []);
});

test('pod validation messages', () => {
  assert.deepEqual(messages(validatePod(pod({ containers: [] }))), ['spec.containers: Required value']);
  assert.deepEqual(messages(validatePod(pod({ containers: [{ name: 'a', image: 'x' }, { name: 'a' } as never] }))), [
    'spec.containers[1].name: Duplicate value: "a"',
    'spec.containers[1].image: Required value',
  ]);
  assert.deepEqual(messages(validatePod(pod({ containers: [{ name: 'Web', image: 'x', ports: [{ containerPort: 70000 }] }] }))), [
    `spec.containers[0].name: Invalid value: "Web": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
    'spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
  ]);
  assert.deepEqual(messages(validatePod(pod({ restartPolicy: 'Sometimes', containers: [{ name: 'a', image: 'x' }] }))), [
    'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "Never", "OnFailure"',
  ]);
  assert.deepEqual(messages(validatePod(pod({ containers: [{ name: 'a', image: 'x', livenessProbe: { successThreshold: 2, tcpSocket: { port: 80 } } }] }))), [
    'spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1',
  ]);
  const noName = pod({ containers: [{ name: 'a', image: 'x' }] });
  delete (noName.metadata as { name?: string }).name;
  assert.deepEqual(messages(validatePod(noName)), ['metadata.name: Required value: name or generateName is required']);
});

test('pod updates may only change images and a few fields', () => {
  const old = pod({ nodeName: 'n1', containers: [{ name: 'a', image: 'nginx:1' }] });
  const img = structuredClone(old);
  img.spec!.containers[0]!.image = 'nginx:2';
  assert.deepEqual(validatePodUpdate(img, old), []);
  const moved = structuredClone(old);
  moved.spec!.nodeName = 'n2';
  const errs = validatePodUpdate(moved, old);
  const msg = invalid({ group: '', kind: 'Pod' }, 'p', errs).status.message!;
  assert.ok(
    msg.startsWith(
      'Pod "p" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n  core.PodSpec{\n',
    ),
    msg,
  );
  assert.match(msg, /- \tNodeName: "n1",\n\+ \tNodeName: "n2",/);
  const tol = structuredClone(old);
  tol.spec!.tolerations!.push({ key: 'k', operator: 'Exists' });
  assert.deepEqual(validatePodUpdate(tol, old), []);
  const dropTol = structuredClone(old);
  dropTol.spec!.tolerations = [];
  assert.equal(validatePodUpdate(dropTol, old).length, 1);
});
