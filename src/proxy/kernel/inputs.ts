/**
 * Field-by-field equality of what a kernel rule builder reads for one service port, so that a partial sync
 * can skip unchanged ports (kube-proxy's skipServiceUpdate) without serializing every Service on every sync.
 */
import type { Endpoint, ServicePortInfo } from '../types.js';

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

export function sameServicePort(a: ServicePortInfo, b: ServicePortInfo): boolean {
  return a === b || (a.clusterIP === b.clusterIP && a.port === b.port && a.protocol === b.protocol && a.nodePort === b.nodePort
    && a.healthCheckNodePort === b.healthCheckNodePort && a.externalTrafficPolicy === b.externalTrafficPolicy
    && a.internalTrafficPolicy === b.internalTrafficPolicy && a.sessionAffinity.type === b.sessionAffinity.type
    && a.sessionAffinity.timeoutSeconds === b.sessionAffinity.timeoutSeconds
    && sameList(a.externalIPs, b.externalIPs) && sameList(a.loadBalancerIPs, b.loadBalancerIPs));
}

export function sameEndpoints(a: readonly Endpoint[], b: readonly Endpoint[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.ip !== y.ip || x.port !== y.port || x.ready !== y.ready || x.serving !== y.serving || x.terminating !== y.terminating
      || x.isLocal !== y.isLocal || x.nodeName !== y.nodeName || x.weight !== y.weight) return false;
  }
  return true;
}
