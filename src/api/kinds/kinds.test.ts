import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resourceKey, resources } from '../resources.js';
import type { KubeObject } from '../types.js';
import { createStrategies, poolsOverlap, strategies } from './index.js';
import type { IPAddressPool } from './ipaddresspool.js';
import { parsePoolAddress } from './ipaddresspool.js';
import { messages } from './testing.js';

function obj(apiVersion: string, kind: string, body: Record<string, unknown>, meta: Record<string, unknown> = { name: 'x', namespace: 'default' }): KubeObject {
  return { apiVersion, kind, metadata: meta, ...structuredClone(body) } as KubeObject;
}

function check(key: string, o: KubeObject): string[] {
  const st = strategies[key]!;
  st.applyDefaults?.(o);
  return messages(st.validate?.(o) ?? []);
}

test('every served resource has a strategy', () => {
  for (const r of resources) assert.ok(strategies[resourceKey(r)], `${r.group}/${r.kind}`);
});

test('Namespace', () => {
  const ns = obj('v1', 'Namespace', {}, { name: 'team-a' });
  assert.deepEqual(check('namespaces', ns), []);
  assert.deepEqual(ns['spec'], { finalizers: ['kubernetes'] });
  assert.deepEqual(ns['status'], { phase: 'Active' });
  assert.equal(ns.metadata.labels?.['kubernetes.io/metadata.name'], 'team-a');
  assert.deepEqual(check('namespaces', obj('v1', 'Namespace', {}, { name: 'Team.A' })), [
    `metadata.name: Invalid value: "Team.A": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
  ]);
  assert.deepEqual(check('namespaces', obj('v1', 'Namespace', { spec: { finalizers: ['custom'] } }, { name: 'a' })), [
    'spec.finalizers: Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified',
  ]);
});

test('ConfigMap and Secret', () => {
  assert.deepEqual(check('configmaps', obj('v1', 'ConfigMap', { data: { 'good.key': 'v', 'bad key': 'v' } })), [
    `data[bad key]: Invalid value: "bad key": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
  ]);
  const s = obj('v1', 'Secret', { stringData: { password: 'hunter2' } });
  assert.deepEqual(check('secrets', s), []);
  assert.equal(s['type'], 'Opaque');
  assert.deepEqual(s['data'], { password: Buffer.from('hunter2').toString('base64') });
  assert.equal(s['stringData'], undefined);
  assert.deepEqual(check('secrets', obj('v1', 'Secret', { type: 'kubernetes.io/tls', data: { 'tls.crt': 'eA==' } })), ['data[tls.key]: Required value']);
  const st = strategies['configmaps']!;
  const old = obj('v1', 'ConfigMap', { immutable: true, data: { a: '1' } });
  const upd = obj('v1', 'ConfigMap', { immutable: true, data: { a: '2' } });
  assert.deepEqual(messages(st.validateUpdate!(upd, old)), ['data: Forbidden: field is immutable when `immutable` is set']);
  const sec = strategies['secrets']!;
  assert.deepEqual(messages(sec.validateUpdate!(obj('v1', 'Secret', { type: 'Opaque' }), obj('v1', 'Secret', { type: 'kubernetes.io/tls', data: { 'tls.crt': '', 'tls.key': '' } }))), [
    'type: Invalid value: "Opaque": field is immutable',
  ]);
});

test('Ingress', () => {
  const ing = (spec: unknown): KubeObject => obj('networking.k8s.io/v1', 'Ingress', { spec });
  const backend = { service: { name: 'web', port: { number: 80 } } };
  assert.deepEqual(check('ingresses.networking.k8s.io', ing({ rules: [{ host: 'a.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend }] } }] })), []);
  assert.deepEqual(check('ingresses.networking.k8s.io', ing({})), ['spec: Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must be specified']);
  assert.deepEqual(check('ingresses.networking.k8s.io', ing({ rules: [{ http: { paths: [{ path: '/', backend }] } }] })), [
    'spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified',
  ]);
  assert.deepEqual(check('ingresses.networking.k8s.io', ing({ rules: [{ http: { paths: [{ path: 'foo//bar/.', pathType: 'Exact', backend }] } }] })), [
    'spec.rules[0].http.paths[0].path: Invalid value: "foo//bar/.": must be an absolute path',
    `spec.rules[0].http.paths[0].path: Invalid value: "foo//bar/.": must not contain '//'`,
    `spec.rules[0].http.paths[0].path: Invalid value: "foo//bar/.": cannot end with '/.'`,
  ]);
  assert.deepEqual(check('ingresses.networking.k8s.io', ing({ rules: [{ host: '*', http: { paths: [{ path: '/', pathType: 'Prefix', backend }] } }] })), [
    `spec.rules[0].host: Invalid value: "*": a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
  ]);
  assert.deepEqual(check('ingresses.networking.k8s.io', ing({ rules: [{ host: '10.0.0.1', http: { paths: [{ path: '/', pathType: 'Exact', backend }] } }] })), [
    'spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address',
  ]);
  assert.deepEqual(check('ingresses.networking.k8s.io', ing({ defaultBackend: { service: { name: 'web', port: {} } } })), ['spec.defaultBackend: Required value: port name or number is required']);
  assert.deepEqual(check('ingresses.networking.k8s.io', ing({ defaultBackend: { service: { name: 'web', port: { name: 'http', number: 80 } } } })), [
    'spec.defaultBackend: Invalid value: "": cannot set both port name & port number',
  ]);
});

test('IngressClass', () => {
  const ic = (controller: string): KubeObject => obj('networking.k8s.io/v1', 'IngressClass', { spec: { controller } }, { name: 'nginx' });
  assert.deepEqual(check('ingressclasses.networking.k8s.io', ic('k8s.io/ingress-nginx')), []);
  assert.deepEqual(check('ingressclasses.networking.k8s.io', ic('nginx')), ['spec.controller: Invalid value: "nginx": must be a domain-prefixed path (such as "acme.io/foo")']);
  const st = strategies['ingressclasses.networking.k8s.io']!;
  assert.deepEqual(messages(st.validateUpdate!(ic('skiff.dev/ingress'), ic('k8s.io/ingress-nginx'))), ['spec.controller: Invalid value: "skiff.dev/ingress": field is immutable']);
});

test('Endpoints and EndpointSlice, loopback allowed only in loopback mode', () => {
  const ep = obj('v1', 'Endpoints', { subsets: [{ addresses: [{ ip: '127.0.10.2' }], ports: [{ port: 8080 }] }] });
  assert.deepEqual(check('endpoints', ep), []);
  assert.equal((ep['subsets'] as Array<{ ports: Array<{ protocol: string }> }>)[0]!.ports[0]!.protocol, 'TCP');
  const strict = createStrategies({ allowLoopbackIPs: false })['endpoints']!;
  assert.deepEqual(messages(strict.validate!(ep)), ['subsets[0].addresses[0].ip: Invalid value: "127.0.10.2": may not be in the loopback range (127.0.0.0/8, ::1/128)']);
  assert.deepEqual(check('endpoints', obj('v1', 'Endpoints', { subsets: [{ ports: [{ port: 80 }] }] })), ['subsets[0]: Required value: must specify `addresses` or `notReadyAddresses`']);
  const es = obj('discovery.k8s.io/v1', 'EndpointSlice', { addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.1'] }, { addresses: ['fe00::1'] }], ports: [{ name: 'http', port: 80 }] });
  assert.deepEqual(check('endpointslices.discovery.k8s.io', es), ['endpoints[1].addresses[0]: Invalid value: "fe00::1": must be a valid IPv4 address']);
  assert.deepEqual(check('endpointslices.discovery.k8s.io', obj('discovery.k8s.io/v1', 'EndpointSlice', { addressType: 'IPX' })), [
    'addressType: Unsupported value: "IPX": supported values: "FQDN", "IPv4", "IPv6"',
  ]);
});

test('Node', () => {
  const n = obj('v1', 'Node', { spec: { podCIDR: '10.244.0.0/24', taints: [{ key: 'k', effect: 'Sometimes' }] } }, { name: 'node-1' });
  assert.deepEqual(check('nodes', n), ['spec.taints[0].effect: Unsupported value: "Sometimes": supported values: "NoExecute", "NoSchedule", "PreferNoSchedule"']);
  assert.deepEqual((n['spec'] as { podCIDRs: string[] }).podCIDRs, ['10.244.0.0/24']);
  const st = strategies['nodes']!;
  const old = obj('v1', 'Node', { spec: { podCIDR: '10.244.0.0/24', podCIDRs: ['10.244.0.0/24'] } }, { name: 'node-1' });
  const upd = obj('v1', 'Node', { spec: { podCIDR: '10.244.1.0/24', podCIDRs: ['10.244.1.0/24'] } }, { name: 'node-1' });
  assert.deepEqual(messages(st.validateUpdate!(upd, old)), ['spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid']);
});

test('Event, Lease, ServiceAccount', () => {
  assert.deepEqual(check('events', obj('v1', 'Event', { involvedObject: { kind: 'Pod', namespace: 'other', name: 'p' } })), [
    'involvedObject.namespace: Invalid value: "other": does not match event.namespace',
  ]);
  assert.deepEqual(check('leases.coordination.k8s.io', obj('coordination.k8s.io/v1', 'Lease', { spec: { leaseDurationSeconds: 0 } })), ['spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0']);
  assert.deepEqual(check('serviceaccounts', obj('v1', 'ServiceAccount', {})), []);
});

test('IPAddressPool', () => {
  const pool = (name: string, addresses: string[]): IPAddressPool => obj('metallb.io/v1beta1', 'IPAddressPool', { spec: { addresses } }, { name, namespace: 'metallb-system' }) as IPAddressPool;
  const a = pool('a', ['127.0.100.0/24']);
  assert.deepEqual(check('ipaddresspools.metallb.io', a), []);
  assert.deepEqual(a.spec, { addresses: ['127.0.100.0/24'], autoAssign: true, avoidBuggyIPs: false });
  assert.deepEqual(parsePoolAddress('1.1.1.15-1.1.1.20').map((c) => c.text), ['1.1.1.15/32', '1.1.1.16/30', '1.1.1.20/32']);
  assert.deepEqual(check('ipaddresspools.metallb.io', pool('b', ['10.0.0.9-10.0.0.1', 'nope'])), [
    'spec.addresses[0]: Invalid value: "10.0.0.9-10.0.0.1": invalid IP range "10.0.0.9-10.0.0.1": start IP "10.0.0.9" is after the end IP "10.0.0.1"',
    'spec.addresses[1]: Invalid value: "nope": invalid CIDR "nope"',
  ]);
  assert.equal(poolsOverlap(pool('b', ['127.0.100.250-127.0.101.5']), a), 'CIDR "127.0.100.250/31" in pool "b" overlaps with already defined CIDR "127.0.100.0/24"');
  assert.equal(poolsOverlap(pool('c', ['127.0.101.0/24']), a), undefined);
});
