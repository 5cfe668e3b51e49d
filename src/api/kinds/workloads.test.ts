import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { invalid } from '../status.js';
import type { KubeObject } from '../types.js';
import { applyDeploymentDefaults, deploymentStrategy, replicaSetStrategy, validateDeployment } from './workloads.js';
import { messages } from './testing.js';

function deploy(spec: Partial<Deployment['spec']>, labels: Record<string, string> = { app: 'x' }): Deployment {
  const d = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd', namespace: 'default' },
    spec: { template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'nginx' }] } }, ...structuredClone(spec) },
  } as Deployment;
  applyDeploymentDefaults(d);
  return d;
}

test('deployment defaults', () => {
  const d = deploy({ selector: { matchLabels: { app: 'x' } } });
  assert.equal(d.spec!.replicas, 1);
  assert.deepEqual(d.spec!.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
  assert.equal(d.spec!.revisionHistoryLimit, 10);
  assert.equal(d.spec!.progressDeadlineSeconds, 600);
  assert.equal(d.spec!.template.spec!.restartPolicy, 'Always');
  assert.equal(d.spec!.template.spec!.containers[0]!.imagePullPolicy, 'Always');
  assert.deepEqual(validateDeployment(d), []);
});

test('selector must match the template labels', () => {
  const d = deploy({ selector: { matchLabels: { app: 'y' } } });
  assert.equal(
    invalid({ group: 'apps', kind: 'Deployment' }, 'd', validateDeployment(d)).status.message,
    'Deployment.apps "d" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"x"}: `selector` does not match template `labels`',
  );
  assert.deepEqual(messages(validateDeployment(deploy({}))), [
    'spec.selector: Required value',
    'spec.template.metadata.labels: Invalid value: map[string]string{"app":"x"}: `selector` does not match template `labels`',
  ]);
  assert.deepEqual(messages(validateDeployment(deploy({ selector: {} }))), [
    'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment',
  ]);
  const bare = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { namespace: 'default' }, spec: { template: {} } } as unknown as Deployment;
  applyDeploymentDefaults(bare);
  assert.equal(
    invalid({ group: 'apps', kind: 'Deployment' }, '', validateDeployment(bare)).status.message,
    'Deployment.apps "" is invalid: [metadata.name: Required value: name or generateName is required, spec.selector: Required value, spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template `labels`, spec.template.spec.containers: Required value]',
  );
  assert.deepEqual(validateDeployment(deploy({ selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['x', 'z'] }] } })), []);
});

test('strategy validation', () => {
  const d = deploy({ selector: { matchLabels: { app: 'x' } }, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } } });
  assert.deepEqual(messages(validateDeployment(d)), ['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: may not be 0 when `maxSurge` is 0']);
  const pct = deploy({ selector: { matchLabels: { app: 'x' } }, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '0%', maxUnavailable: '150%' } } });
  assert.deepEqual(messages(validateDeployment(pct)), ['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"150%"}: must not be greater than 100%']);
  const rec = deploy({ selector: { matchLabels: { app: 'x' } }, strategy: { type: 'Recreate', rollingUpdate: {} } });
  assert.deepEqual(messages(validateDeployment(rec)), ["spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"]);
  const never = deploy({ selector: { matchLabels: { app: 'x' } } });
  never.spec!.template.spec!.restartPolicy = 'Never';
  assert.deepEqual(messages(validateDeployment(never)), ['spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"']);
});

test('selector is immutable on update', () => {
  const st = deploymentStrategy();
  const old = deploy({ selector: { matchLabels: { app: 'x' } } });
  const changed = deploy({ selector: { matchLabels: { app: 'y' } } }, { app: 'y' });
  assert.deepEqual(messages(st.validateUpdate!(changed as unknown as KubeObject, old as unknown as KubeObject)), [
    'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"y"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
  ]);
  const scaled = structuredClone(old);
  scaled.spec!.replicas = 5;
  assert.deepEqual(st.validateUpdate!(scaled as unknown as KubeObject, old as unknown as KubeObject), []);
});

test('replicaset', () => {
  const st = replicaSetStrategy();
  const rs = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'r', namespace: 'default' }, spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } } } as ReplicaSet;
  st.applyDefaults!(rs as unknown as KubeObject);
  assert.equal(rs.spec!.replicas, 1);
  assert.deepEqual(st.validate!(rs as unknown as KubeObject), []);
  rs.spec!.replicas = -1;
  assert.deepEqual(messages(st.validate!(rs as unknown as KubeObject)), ['spec.replicas: Invalid value: -1: must be greater than or equal to 0']);
});
