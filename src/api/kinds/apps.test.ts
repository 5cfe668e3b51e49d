import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DaemonSet, StatefulSet } from 'kubernetes-types/apps/v1.js';
import { invalid } from '../status.js';
import type { KubeObject } from '../types.js';
import { controllerRevisionStrategy } from './controllerrevision.js';
import { applyDaemonSetDefaults, daemonSetStrategy, validateDaemonSet } from './daemonset.js';
import { applyStatefulSetDefaults, statefulSetStrategy, validateStatefulSet } from './statefulset.js';
import { messages } from './testing.js';

const template = (labels: Record<string, string> = { app: 'web' }) => ({ metadata: { labels }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });

function sts(spec: Record<string, unknown> = {}, name = 'web'): StatefulSet {
  const s = { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name, namespace: 'default' }, spec: { serviceName: 'nginx', selector: { matchLabels: { app: 'web' } }, template: template(), ...structuredClone(spec) } } as unknown as StatefulSet;
  applyStatefulSetDefaults(s);
  return s;
}

function ds(spec: Record<string, unknown> = {}): DaemonSet {
  const d = { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'agent', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'web' } }, template: template(), ...structuredClone(spec) } } as unknown as DaemonSet;
  applyDaemonSetDefaults(d);
  return d;
}

test('statefulset defaults as SetDefaults_StatefulSet', () => {
  const s = sts({ volumeClaimTemplates: [{ metadata: { name: 'www' }, spec: { accessModes: ['ReadWriteOnce'] } }] });
  assert.equal(s.spec!.podManagementPolicy, 'OrderedReady');
  assert.deepEqual(s.spec!.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
  assert.deepEqual(s.spec!.persistentVolumeClaimRetentionPolicy, { whenDeleted: 'Retain', whenScaled: 'Retain' });
  assert.equal(s.spec!.replicas, 1);
  assert.equal(s.spec!.revisionHistoryLimit, 10);
  assert.equal(s.spec!.template.spec!.restartPolicy, 'Always');
  assert.equal(s.spec!.volumeClaimTemplates![0]!.spec!.volumeMode, 'Filesystem');
  assert.deepEqual((s.spec!.volumeClaimTemplates![0] as { status?: unknown }).status, { phase: 'Pending' });
  assert.deepEqual(validateStatefulSet(s), []);
  // OnDelete gets no rollingUpdate
  assert.deepEqual(sts({ updateStrategy: { type: 'OnDelete' } }).spec!.updateStrategy, { type: 'OnDelete' });
});

test('statefulset validation messages', () => {
  assert.equal(
    invalid({ group: 'apps', kind: 'StatefulSet' }, 'web', validateStatefulSet(sts({ selector: { matchLabels: { app: 'x' } } }))).status.message,
    'StatefulSet.apps "web" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
  );
  assert.deepEqual(messages(validateStatefulSet(sts({ podManagementPolicy: 'Sometimes', replicas: -1 }))), [
    "spec.podManagementPolicy: Invalid value: \"Sometimes\": must be 'OrderedReady' or 'Parallel'",
    'spec.replicas: Invalid value: -1: must be greater than or equal to 0',
  ]);
  assert.deepEqual(messages(validateStatefulSet(sts({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: -1 } } }))), ['spec.updateStrategy.rollingUpdate.partition: Invalid value: -1: must be greater than or equal to 0']);
  assert.deepEqual(messages(validateStatefulSet(sts({ selector: {} }))), ['spec.selector: Invalid value: &v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for statefulset']);
  // StatefulSet names are DNS labels (pods are named after them)
  assert.deepEqual(messages(validateStatefulSet(sts({}, 'a.b'))), ['metadata.name: Invalid value: "a.b": must not contain dots']);
});

test('statefulset updates may change only replicas, template, updateStrategy and a few more', () => {
  const st = statefulSetStrategy();
  const old = sts();
  const scaled = structuredClone(old);
  scaled.spec!.replicas = 5;
  scaled.spec!.template.spec!.containers[0]!.image = 'nginx:2';
  assert.deepEqual(st.validateUpdate!(scaled as unknown as KubeObject, old as unknown as KubeObject), []);
  const renamed = structuredClone(old);
  renamed.spec!.serviceName = 'other';
  assert.deepEqual(messages(st.validateUpdate!(renamed as unknown as KubeObject, old as unknown as KubeObject)), [
    "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
  ]);
});

test('daemonset defaults and validation', () => {
  const d = ds();
  assert.deepEqual(d.spec!.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
  assert.equal(d.spec!.revisionHistoryLimit, 10);
  assert.deepEqual(validateDaemonSet(d), []);
  assert.deepEqual(messages(validateDaemonSet(ds({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } } }))), ['spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0']);
  assert.deepEqual(messages(validateDaemonSet(ds({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: '10%' } } }))), [
    'spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"10%"}: may not be set when maxUnavailable is non-zero',
  ]);
  assert.deepEqual(messages(validateDaemonSet(ds({ selector: { matchLabels: { app: 'x' } } }))), ['spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`']);
  const noImage = ds();
  delete (noImage.spec!.template.spec!.containers[0] as { image?: string }).image;
  assert.deepEqual(messages(validateDaemonSet(noImage)), ['spec.template.spec.containers[0].image: Required value']);
  const st = daemonSetStrategy();
  const moved = ds({ selector: { matchLabels: { app: 'web', x: 'y' } }, template: template({ app: 'web', x: 'y' }) });
  assert.deepEqual(messages(st.validateUpdate!(moved as unknown as KubeObject, d as unknown as KubeObject)), [
    'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "x":"y"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
  ]);
});

test('controllerrevision: data is mandatory and immutable, revision may change', () => {
  const st = controllerRevisionStrategy();
  const cr = { apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: 'web-1', namespace: 'default' }, data: { a: 1 }, revision: 1 } as KubeObject;
  assert.deepEqual(st.validate!(cr), []);
  assert.deepEqual(messages(st.validate!({ ...cr, data: undefined })), ['data: Required value: data is mandatory']);
  assert.deepEqual(st.validateUpdate!({ ...cr, revision: 3 }, cr), []);
  assert.match(messages(st.validateUpdate!({ ...cr, data: { a: 2 } }, cr))[0]!, /^data: Invalid value: .*: field is immutable$/);
});
