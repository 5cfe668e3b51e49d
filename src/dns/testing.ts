// Objects shaped like CoreDNS' plugin/kubernetes handler_test fixtures, for the DNS tests.
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { RecordStore } from './records.js';

export function svc(ns: string, name: string, spec: Service['spec']): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { namespace: ns, name }, spec };
}

export interface TestEndpoint {
  ip: string;
  hostname?: string;
  ready?: boolean;
  pod?: string;
}

export function slice(ns: string, service: string, name: string, endpoints: TestEndpoint[], ports: Array<{ name?: string; port?: number; protocol?: string }>): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { namespace: ns, name, labels: { 'kubernetes.io/service-name': service } },
    addressType: endpoints[0]?.ip.includes(':') ? 'IPv6' : 'IPv4',
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip],
      hostname: e.hostname,
      conditions: e.ready === undefined ? {} : { ready: e.ready },
      targetRef: e.pod ? { kind: 'Pod', namespace: ns, name: e.pod } : undefined,
    })),
    ports,
  };
}

/** testns: svc1 (http 80), svcempty, svc6 (IPv6), hdls1 (headless, 4+2 endpoints), hdlsprtls, external, dual stack. */
export function fixtureStore(now = new Date(1499347823_000)): RecordStore {
  const s = new RecordStore(() => now);
  s.setNamespace({ metadata: { name: 'testns' } });
  s.setNamespace({ metadata: { name: 'default' } });
  s.setService(svc('testns', 'svc1', { type: 'ClusterIP', clusterIP: '10.0.0.1', clusterIPs: ['10.0.0.1'], ports: [{ name: 'http', protocol: 'TCP', port: 80 }] }));
  s.setService(svc('testns', 'svcempty', { type: 'ClusterIP', clusterIP: '10.0.0.2', clusterIPs: ['10.0.0.2'], ports: [{ name: 'http', protocol: 'TCP', port: 80 }] }));
  s.setService(svc('testns', 'svc6', { type: 'ClusterIP', clusterIP: '1234:abcd::1', clusterIPs: ['1234:abcd::1'], ports: [{ name: 'http', protocol: 'TCP', port: 80 }] }));
  s.setService(svc('testns', 'multi', { type: 'ClusterIP', clusterIP: '10.0.0.5', clusterIPs: ['10.0.0.5'], ports: [{ name: 'http', protocol: 'TCP', port: 80 }, { name: 'dns', protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 8080 }] }));
  s.setService(svc('testns', 'svc-dual-stack', { type: 'ClusterIP', clusterIP: '10.0.0.3', clusterIPs: ['10.0.0.3', '10::3'], ports: [{ name: 'http', protocol: 'TCP', port: 80 }] }));
  s.setService(svc('testns', 'hdls1', { type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'], ports: [{ name: 'http', protocol: 'TCP', port: 80 }] }));
  s.setEndpointSlice(
    slice('testns', 'hdls1', 'hdls1-v4', [{ ip: '172.0.0.2' }, { ip: '172.0.0.3' }, { ip: '172.0.0.4', hostname: 'dup-name' }, { ip: '172.0.0.5', hostname: 'dup-name' }, { ip: '172.0.0.9', ready: false }], [{ name: 'http', port: 80, protocol: 'TCP' }]),
  );
  s.setEndpointSlice(slice('testns', 'hdls1', 'hdls1-v6', [{ ip: '5678:abcd::1' }, { ip: '5678:abcd::2' }], [{ name: 'http', port: 80, protocol: 'TCP' }]));
  s.setService(svc('testns', 'hdlsprtls', { type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'] }));
  s.setEndpointSlice(slice('testns', 'hdlsprtls', 'hdlsprtls-x', [{ ip: '172.0.0.20' }], []));
  s.setService(svc('testns', 'hdlsempty', { type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'], ports: [{ name: 'http', protocol: 'TCP', port: 80 }] }));
  s.setEndpointSlice(slice('testns', 'hdlsempty', 'hdlsempty-x', [{ ip: '172.0.0.30', ready: false }], [{ name: 'http', port: 80, protocol: 'TCP' }]));
  s.setService(svc('testns', 'external', { type: 'ExternalName', externalName: 'ext.interwebs.test' }));
  s.setService(svc('testns', 'external-to-service', { type: 'ExternalName', externalName: 'svc1.testns.svc.cluster.local' }));
  return s;
}
