import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../types.js';
import { formatLabelSelector, labelSelectorString } from '../labels.js';
import { formatLabels } from './format.js';
import { ingressClassPrinter, ingressPrinter } from './ingress.js';
import { deploymentPrinter, replicaSetPrinter } from './workloads.js';

const now = Date.parse('2025-01-01T01:00:00Z');
const ago = (ms: number) => new Date(now - ms).toISOString().replace('.000Z', 'Z');
const meta = (name: string, age = 7000) => ({ name, namespace: 'default', creationTimestamp: ago(age) });

test('`kubectl get deploy,rs` rows (transcript 09), wide cells included', () => {
  const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }, { name: 'log', image: 'busybox' }] } };
  const deploy: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta('web'),
    spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template },
    status: { replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 },
  };
  assert.deepEqual(deploymentPrinter.cells(deploy, now), ['web', '2/2', 2, 2, '7s', 'web,log', 'nginx:1.27,busybox', 'app=web']);
  assert.deepEqual(
    deploymentPrinter.columns.map((c) => [c.name, c.type, c.priority]),
    [['Name', 'string', 0], ['Ready', 'string', 0], ['Up-to-date', 'string', 0], ['Available', 'string', 0], ['Age', 'string', 0], ['Containers', 'string', 1], ['Images', 'string', 1], ['Selector', 'string', 1]],
  );
  const rs: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: meta('web-bmjgghcadc'),
    spec: { replicas: 2, selector: { matchLabels: { 'pod-template-hash': 'bmjgghcadc', app: 'web' } }, template },
    status: { replicas: 2, readyReplicas: 2 },
  };
  assert.deepEqual(replicaSetPrinter.cells(rs, now), ['web-bmjgghcadc', 2, 2, 2, '7s', 'web,log', 'nginx:1.27,busybox', 'app=web,pod-template-hash=bmjgghcadc']);
  assert.deepEqual(replicaSetPrinter.columns.map((c) => c.type).slice(1, 4), ['integer', 'integer', 'integer']);
});

test('fresh deployment without status, defaulted replicas', () => {
  const d: KubeObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta('new', 1000), spec: { selector: { matchLabels: { a: 'b' } }, template: { spec: { containers: [] } } } };
  assert.deepEqual(deploymentPrinter.cells(d, now), ['new', '0/1', 0, 0, '1s', '', '', 'a=b']);
});

test('label selectors format as labels.Selector.String()', () => {
  assert.equal(labelSelectorString({ matchLabels: { b: '2', a: '1' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['z', 'a'] }, { key: 'legacy', operator: 'DoesNotExist' }, { key: 'env', operator: 'NotIn', values: ['prod'] }, { key: 'c', operator: 'Exists' }] }), 'a=1,b=2,c,env notin (prod),!legacy,tier in (a,z)');
  assert.equal(labelSelectorString(undefined), '');
  assert.equal(labelSelectorString({}), '');
  assert.equal(labelSelectorString({ matchExpressions: [{ key: 'a', operator: 'Bogus' }] }), undefined);
  assert.equal(formatLabelSelector({}), '<none>');
  assert.equal(formatLabelSelector({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }), '<error>');
  assert.equal(formatLabels({ z: '1', a: '' }), 'a=,z=1');
  assert.equal(formatLabels(undefined), '<none>');
  const bad: KubeObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta('bad'), spec: { selector: { matchExpressions: [{ key: 'a', operator: 'Bogus' }] } } };
  assert.equal(deploymentPrinter.cells(bad, now)[7], '<invalid>');
});

function ingress(spec: Record<string, unknown>, status: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: meta('web-ing', 65_000), spec, status };
}

test('ingresses: Class <none>, Hosts *, Address, Ports 80 / 80, 443', () => {
  assert.deepEqual(ingressPrinter.columns.map((c) => c.name), ['Name', 'Class', 'Hosts', 'Address', 'Ports', 'Age']);
  assert.deepEqual(ingressPrinter.cells(ingress({ defaultBackend: { service: { name: 'web', port: { number: 80 } } } }), now), ['web-ing', '<none>', '*', '', '80', '65s']);
  const full = ingress(
    { ingressClassName: 'skiff', rules: [{ host: 'a.example.com' }, { host: 'b.example.com' }], tls: [{ hosts: ['a.example.com'], secretName: 'tls' }] },
    { loadBalancer: { ingress: [{ ip: '127.0.0.241' }, { ip: '127.0.0.240' }] } },
  );
  assert.deepEqual(ingressPrinter.cells(full, now), ['web-ing', 'skiff', 'a.example.com,b.example.com', '127.0.0.240,127.0.0.241', '80, 443', '65s']);
  const many = ingress({ rules: [{ host: 'a' }, {}, { host: 'b' }, { host: 'c' }, { host: 'd' }] });
  assert.equal(ingressPrinter.cells(many, now)[2], 'a,b,c + 2 more...');
  assert.equal(ingressPrinter.cells(ingress({ rules: [{ http: { paths: [] } }] }), now)[2], '*');
});

test('ingressclasses: Controller and Parameters', () => {
  const ic = (spec: Record<string, unknown>): KubeObject => ({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'skiff', creationTimestamp: ago(3 * 3_600_000 + 5 * 60_000) }, spec });
  assert.deepEqual(ingressClassPrinter.cells(ic({ controller: 'skiff.dev/ingress' }), now), ['skiff', 'skiff.dev/ingress', '<none>', '3h5m']);
  assert.equal(ingressClassPrinter.cells(ic({ controller: 'x', parameters: { apiGroup: 'k8s.example.com', kind: 'IngressParameters', name: 'external-lb' } }), now)[2], 'IngressParameters.k8s.example.com/external-lb');
  assert.equal(ingressClassPrinter.cells(ic({ controller: 'x', parameters: { kind: 'ConfigMap', name: 'cfg', scope: 'Namespace', namespace: 'n' } }), now)[2], 'ConfigMap/cfg');
});
