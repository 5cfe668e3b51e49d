import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../types.js';
import { endpointSlicePrinter, endpointsPrinter } from './endpoints.js';
import { servicePrinter } from './service.js';

const now = Date.parse('2025-01-01T01:00:00Z');
const ago = (ms: number) => new Date(now - ms).toISOString().replace('.000Z', 'Z');

function svc(name: string, spec: Record<string, unknown>, status: Record<string, unknown> = {}, age = 3000): KubeObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default', creationTimestamp: ago(age) }, spec, status };
}

test('service columns', () => {
  assert.deepEqual(
    servicePrinter.columns.map((c) => [c.name, c.priority]),
    [['Name', 0], ['Type', 0], ['Cluster-IP', 0], ['External-IP', 0], ['Port(s)', 0], ['Age', 0], ['Selector', 1]],
  );
});

test('`kubectl get svc` rows (transcript 04)', () => {
  const rows = [
    svc('ext', { type: 'ExternalName', externalName: 'example.com' }),
    svc('headless', { type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'], selector: { app: 'web' }, ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }] }),
    svc('kubernetes', { type: 'ClusterIP', clusterIP: '10.96.0.1', clusterIPs: ['10.96.0.1'], ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }] }, {}, 5000),
    svc(
      'lb',
      {
        type: 'LoadBalancer',
        clusterIP: '10.96.0.12',
        clusterIPs: ['10.96.0.12'],
        selector: { app: 'web', tier: 'front' },
        ports: [
          { name: 'https', port: 443, nodePort: 30080, protocol: 'TCP', targetPort: 80 },
          { name: 'http', port: 80, nodePort: 30081, protocol: 'TCP', targetPort: 80 },
        ],
      },
      { loadBalancer: { ingress: [{ ip: '172.18.255.10', ipMode: 'VIP' }] } },
    ),
    svc('web', { type: 'ClusterIP', clusterIP: '10.96.0.11', clusterIPs: ['10.96.0.11'], selector: { app: 'web' }, ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }] }),
  ];
  assert.deepEqual(
    rows.map((r) => servicePrinter.cells(r, now)),
    [
      ['ext', 'ExternalName', '<none>', 'example.com', '<none>', '3s', '<none>'],
      ['headless', 'ClusterIP', 'None', '<none>', '80/TCP', '3s', 'app=web'],
      ['kubernetes', 'ClusterIP', '10.96.0.1', '<none>', '443/TCP', '5s', '<none>'],
      ['lb', 'LoadBalancer', '10.96.0.12', '172.18.255.10', '443:30080/TCP,80:30081/TCP', '3s', 'app=web,tier=front'],
      ['web', 'ClusterIP', '10.96.0.11', '<none>', '80/TCP', '3s', 'app=web'],
    ],
  );
});

test('External-IP per type: <pending>, sorted ingress then externalIPs, NodePort externalIPs', () => {
  const lb = (status: Record<string, unknown>, externalIPs?: string[]) =>
    servicePrinter.cells(svc('x', { type: 'LoadBalancer', clusterIPs: ['10.96.0.9'], externalIPs, ports: [{ port: 80, nodePort: 30000, protocol: 'UDP' }] }, status), now)[3];
  assert.equal(lb({}), '<pending>');
  assert.equal(lb({ loadBalancer: {} }), '<pending>');
  assert.equal(lb({ loadBalancer: { ingress: [{ ip: '127.0.0.250' }, { hostname: 'lb.example.com' }, { ip: '127.0.0.241' }, { ip: '127.0.0.241' }] } }), '127.0.0.241,127.0.0.250,lb.example.com');
  assert.equal(lb({}, ['1.2.3.4']), '1.2.3.4');
  assert.equal(lb({ loadBalancer: { ingress: [{ ip: '127.0.0.250' }] } }, ['1.2.3.4', '5.6.7.8']), '127.0.0.250,1.2.3.4,5.6.7.8');
  const np = servicePrinter.cells(svc('np', { type: 'NodePort', clusterIPs: ['10.96.0.3'], externalIPs: ['127.0.0.9', '127.0.0.8'], ports: [{ port: 80, nodePort: 30008, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }] }), now);
  assert.deepEqual(np.slice(1, 5), ['NodePort', '10.96.0.3', '127.0.0.9,127.0.0.8', '80:30008/TCP,53/UDP']);
});

test('dual-stack Cluster-IP shows clusterIPs[0]', () => {
  const cells = servicePrinter.cells(svc('ds', { type: 'ClusterIP', clusterIPs: ['fd00::5', '10.96.0.5'], ports: [{ port: 80, protocol: 'SCTP' }] }), now);
  assert.deepEqual(cells.slice(1, 5), ['ClusterIP', 'fd00::5', '<none>', '80/SCTP']);
  assert.equal(servicePrinter.cells(svc('old', { clusterIP: '10.96.0.7', ports: [{ port: 80 }] }), now)[2], '10.96.0.7');
  // type and protocol are defaulted on decode
  assert.deepEqual(servicePrinter.cells(svc('old', { clusterIP: '10.96.0.7', ports: [{ port: 80 }] }), now).slice(1, 5), ['ClusterIP', '10.96.0.7', '<none>', '80/TCP']);
});

function endpoints(name: string, subsets?: unknown[]): KubeObject {
  return { apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace: 'default', creationTimestamp: ago(5000) }, ...(subsets ? { subsets } : {}) };
}

test('`kubectl get endpoints` rows (transcript 08)', () => {
  const addresses = [{ ip: '10.244.0.6' }, { ip: '10.244.0.5' }];
  assert.deepEqual(endpointsPrinter.cells(endpoints('headless', [{ addresses, ports: [{ port: 80, protocol: 'TCP' }] }]), now), ['headless', '10.244.0.6:80,10.244.0.5:80', '5s']);
  assert.deepEqual(
    endpointsPrinter.cells(endpoints('lb', [{ addresses, ports: [{ name: 'https', port: 80, protocol: 'TCP' }, { name: 'http', port: 80, protocol: 'TCP' }] }]), now),
    ['lb', '10.244.0.6:80,10.244.0.5:80,10.244.0.6:80 + 1 more...', '5s'],
  );
});

test('endpoints: <none>, port-less subsets, IPv6, counts across subsets', () => {
  assert.equal(endpointsPrinter.cells(endpoints('none'), now)[1], '<none>');
  assert.equal(endpointsPrinter.cells(endpoints('empty', [{ notReadyAddresses: [{ ip: '10.0.0.1' }], ports: [{ port: 80 }] }]), now)[1], '');
  assert.equal(endpointsPrinter.cells(endpoints('noports', [{ addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }] }]), now)[1], '10.0.0.1,10.0.0.2');
  assert.equal(endpointsPrinter.cells(endpoints('v6', [{ addresses: [{ ip: 'fd00::1' }], ports: [{ port: 8080 }] }]), now)[1], '[fd00::1]:8080');
  const many = endpoints('many', [
    { addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }], ports: [{ port: 80 }] },
    { addresses: [{ ip: '10.0.0.3' }, { ip: '10.0.0.4' }, { ip: '10.0.0.5' }], ports: [{ port: 81 }] },
  ]);
  assert.equal(endpointsPrinter.cells(many, now)[1], '10.0.0.1:80,10.0.0.2:80,10.0.0.3:81 + 2 more...');
});

function slice(ports: unknown, eps: unknown): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'web-abc12', namespace: 'default', creationTimestamp: ago(6000) },
    addressType: 'IPv4',
    ports,
    endpoints: eps,
  };
}

test('endpointslices: ports, addresses, <unset>, + N more...', () => {
  assert.deepEqual(
    endpointSlicePrinter.columns.map((c) => c.name),
    ['Name', 'AddressType', 'Ports', 'Endpoints', 'Age'],
  );
  const eps = [{ addresses: ['10.244.0.6'], conditions: { ready: true } }, { addresses: ['10.244.0.5'] }];
  assert.deepEqual(endpointSlicePrinter.cells(slice([{ name: 'http', port: 80, protocol: 'TCP' }], eps), now), ['web-abc12', 'IPv4', '80', '10.244.0.6,10.244.0.5', '6s']);
  assert.deepEqual(endpointSlicePrinter.cells(slice(null, []), now).slice(2, 4), ['<unset>', '<unset>']);
  const five = [1, 2, 3, 4, 5].map((i) => ({ addresses: [`10.0.0.${i}`] }));
  const ports = [{ port: 80 }, { name: 'metrics' }, {}, { port: 9000 }];
  assert.deepEqual(endpointSlicePrinter.cells(slice(ports, five), now).slice(2, 4), ['80,metrics,* + 1 more...', '10.0.0.1,10.0.0.2,10.0.0.3 + 2 more...']);
});
