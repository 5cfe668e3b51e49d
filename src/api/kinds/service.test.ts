import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Service } from 'kubernetes-types/core/v1.js';
import { invalid } from '../status.js';
import { applyServiceDefaults, prepareServiceForUpdate, serviceStrategy } from './service.js';
import { validateService, validateServiceUpdate as validateUpdate } from './service-validation.js';
import { messages } from './testing.js';

function svc(spec: Service['spec'], name = 'web'): Service {
  const s: Service = { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: structuredClone(spec) };
  applyServiceDefaults(s);
  return s;
}

const v = (s: Service): string[] => messages(validateService(s, undefined));

test('defaults', () => {
  const s = svc({ ports: [{ port: 80 }] });
  assert.deepEqual(s.spec, {
    ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
    sessionAffinity: 'None',
    type: 'ClusterIP',
    internalTrafficPolicy: 'Cluster',
    ipFamilyPolicy: 'SingleStack',
    ipFamilies: ['IPv4'],
  });
  assert.deepEqual(s.status, { loadBalancer: {} });
  const lb = svc({ type: 'LoadBalancer', sessionAffinity: 'ClientIP', ports: [{ port: 80, targetPort: 'http' }] });
  assert.equal(lb.spec!.externalTrafficPolicy, 'Cluster');
  assert.equal(lb.spec!.allocateLoadBalancerNodePorts, true);
  assert.deepEqual(lb.spec!.sessionAffinityConfig, { clientIP: { timeoutSeconds: 10800 } });
  assert.equal(lb.spec!.ports![0]!.targetPort, 'http');
  const ext = svc({ type: 'ExternalName', externalName: 'example.com' });
  assert.equal(ext.spec!.ipFamilies, undefined);
  assert.equal(ext.spec!.internalTrafficPolicy, undefined);
  const withIP = svc({ type: 'ClusterIP', externalIPs: ['1.2.3.4'], ports: [{ port: 80 }] });
  assert.equal(withIP.spec!.externalTrafficPolicy, 'Cluster');
  assert.equal(svc({ ports: [{ port: 80 }] }).spec!.externalTrafficPolicy, undefined);
});

test('valid services pass', () => {
  assert.deepEqual(v(svc({ selector: { app: 'x' }, ports: [{ port: 80 }] })), []);
  assert.deepEqual(v(svc({ clusterIP: 'None' })), []);
  assert.deepEqual(v(svc({ type: 'ExternalName', externalName: 'my.database.example.com.' })), []);
  assert.deepEqual(v(svc({ type: 'NodePort', ports: [{ name: 'a', port: 53, protocol: 'UDP', nodePort: 30053 }, { name: 'b', port: 53, protocol: 'TCP', nodePort: 30053 }] })), []);
});

test('name is a DNS-1035 label: the whole Status message', () => {
  const s = svc({ ports: [{ port: 80 }] }, 'Bad_Name');
  const err = invalid({ group: '', kind: 'Service' }, 'Bad_Name', validateService(s, undefined));
  assert.equal(
    err.status.message,
    `Service "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
  );
  assert.match(v(svc({ ports: [{ port: 80 }] }, '1abc'))[0]!, /^metadata\.name: Invalid value: "1abc": a DNS-1035 label/);
});

test('ports', () => {
  assert.deepEqual(v(svc({ selector: { a: 'b' } })), ['spec.ports: Required value']);
  assert.deepEqual(v(svc({ ports: [{ port: 80 }, { port: 81 }] })), ['spec.ports[0].name: Required value', 'spec.ports[1].name: Required value']);
  assert.deepEqual(v(svc({ ports: [{ name: 'http', port: 80 }, { name: 'http', port: 81 }] })), ['spec.ports[1].name: Duplicate value: "http"']);
  assert.deepEqual(v(svc({ ports: [{ port: 0 }] })), ['spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive', 'spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive']);
  assert.deepEqual(v(svc({ ports: [{ port: 80, protocol: 'ICMP' }] })), ['spec.ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"']);
  assert.deepEqual(v(svc({ ports: [{ port: 80, targetPort: 'Http_Port' }] })), ['spec.ports[0].targetPort: Invalid value: "Http_Port": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)']);
  assert.deepEqual(v(svc({ ports: [{ name: 'a', port: 80 }, { name: 'b', port: 80 }] })), [
    'spec.ports[1]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}',
  ]);
  assert.deepEqual(v(svc({ type: 'NodePort', ports: [{ name: 'a', port: 80, nodePort: 30001 }, { name: 'b', port: 81, nodePort: 30001 }] })), ['spec.ports[1].nodePort: Duplicate value: 30001']);
});

test('type-specific rules', () => {
  assert.deepEqual(v(svc({ ports: [{ port: 80, nodePort: 30001 }] })), ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"]);
  assert.deepEqual(v(svc({ type: 'NodePort', clusterIP: 'None', ports: [{ port: 80 }] })), [`spec.clusterIPs[0]: Invalid value: "None": may not be set to 'None' for NodePort services`]);
  assert.deepEqual(v(svc({ type: 'LoadBalancer', clusterIP: 'None', ports: [{ port: 80 }] })), [`spec.clusterIPs[0]: Invalid value: "None": may not be set to 'None' for LoadBalancer services`]);
  assert.deepEqual(v(svc({ type: 'ExternalName' })), ['spec.externalName: Required value']);
  assert.deepEqual(v(svc({ type: 'ExternalName', externalName: 'Bad_Host' })), [
    `spec.externalName: Invalid value: "Bad_Host": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
  ]);
  const ext = svc({ type: 'ExternalName', externalName: 'example.com' });
  ext.spec!.clusterIP = '10.96.0.5';
  assert.deepEqual(v(ext), ['spec.clusterIPs: Forbidden: may not be set for ExternalName services']);
  assert.deepEqual(v(svc({ type: 'Magic', ports: [{ port: 80 }] })), ['spec.type: Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"']);
  assert.deepEqual(v(svc({ loadBalancerSourceRanges: ['10.0.0.0/8'], ports: [{ port: 80 }] })), ["spec.LoadBalancerSourceRanges: Forbidden: may only be used when `type` is 'LoadBalancer'"]);
});

test('external IPs and policies', () => {
  assert.deepEqual(v(svc({ externalIPs: ['127.0.0.2', 'nope'], ports: [{ port: 80 }] })), [
    'spec.externalIPs[0]: Invalid value: "127.0.0.2": may not be in the loopback range (127.0.0.0/8, ::1/128)',
    'spec.externalIPs[1]: Invalid value: "nope": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
  ]);
  assert.deepEqual(messages(validateService(svc({ externalIPs: ['127.0.0.2'], ports: [{ port: 80 }] }), undefined, { allowLoopbackIPs: true })), []);
  const local = svc({ ports: [{ port: 80 }] });
  local.spec!.externalTrafficPolicy = 'Local';
  assert.deepEqual(v(local), ['spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services']);
  const hc = svc({ type: 'NodePort', healthCheckNodePort: 30000, ports: [{ port: 80 }] });
  assert.deepEqual(v(hc), ["spec.healthCheckNodePort: Invalid value: 30000: may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"]);
  assert.deepEqual(v(svc({ sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 86401 } }, ports: [{ port: 80 }] })), [
    'spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 86401: must be greater than 0 and less than 86400',
  ]);
  const itp = svc({ ports: [{ port: 80 }], internalTrafficPolicy: 'Nearby' as 'Local' });
  assert.deepEqual(v(itp), ['spec.internalTrafficPolicy: Unsupported value: "Nearby": supported values: "Cluster", "Local"']);
});

test('clusterIP immutability on update', () => {
  // as the registry runs it: the strategy's preparation first
  const validateServiceUpdate = (svc: Service, old: Service) => {
    prepareServiceForUpdate(svc, old);
    return validateUpdate(svc, old);
  };
  const old = svc({ clusterIP: '10.96.0.10', ports: [{ port: 80 }] });
  const headless = structuredClone(old);
  headless.spec!.clusterIP = 'None';
  headless.spec!.clusterIPs = ['None'];
  const err = invalid({ group: '', kind: 'Service' }, 'web', validateServiceUpdate(headless, old));
  assert.equal(err.status.message, 'Service "web" is invalid: spec.clusterIPs[0]: Invalid value: []string{"None"}: may not change once set');
  const unset = structuredClone(old);
  delete unset.spec!.clusterIP;
  delete unset.spec!.clusterIPs;
  // A PUT that omits the allocated IP keeps it (patchAllocatedValues, the strategy's prepareForUpdate), as in Kubernetes.
  assert.deepEqual(messages(validateServiceUpdate(unset, old)), []);
  const changed = structuredClone(old);
  changed.spec!.clusterIP = '10.96.0.11';
  assert.deepEqual(messages(validateServiceUpdate(changed, old)), ['spec.clusterIPs[0]: Invalid value: []string{"10.96.0.11"}: may not change once set']);
  const lb = svc({ type: 'LoadBalancer', externalTrafficPolicy: 'Local', healthCheckNodePort: 30001, clusterIP: '10.96.0.10', ports: [{ port: 80, nodePort: 30002 }] });
  const lb2 = structuredClone(lb);
  lb2.spec!.healthCheckNodePort = 30003;
  assert.deepEqual(messages(validateServiceUpdate(lb2, lb)), ['spec.healthCheckNodePort: Forbidden: field is immutable']);
  // Changing type to ExternalName is the one way to drop the IP.
  const ext = svc({ type: 'ExternalName', externalName: 'example.com' });
  assert.deepEqual(messages(validateServiceUpdate(ext, old)), []);
});

test('strategy wires defaults and validation', () => {
  const st = serviceStrategy();
  const obj = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'x', namespace: 'default' }, spec: { ports: [{ port: 80 }] } };
  st.applyDefaults!(obj);
  assert.deepEqual(st.validate!(obj), []);
});
