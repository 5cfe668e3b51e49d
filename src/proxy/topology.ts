import type { Endpoint, ServicePortInfo } from './types.js';

/** pkg/proxy/servicechangetracker: a Service is externally accessible through a NodePort, externalIPs or LB IPs. */
export function externallyAccessible(svc: ServicePortInfo): boolean {
  return svc.nodePort !== 0 || svc.externalIPs.length > 0 || svc.loadBalancerIPs.length > 0;
}

export function externalPolicyLocal(svc: ServicePortInfo): boolean {
  return externallyAccessible(svc) && svc.externalTrafficPolicy === 'Local';
}

export function internalPolicyLocal(svc: ServicePortInfo): boolean {
  return svc.internalTrafficPolicy === 'Local';
}

export function usesClusterEndpoints(svc: ServicePortInfo): boolean {
  return !internalPolicyLocal(svc) || (externallyAccessible(svc) && !externalPolicyLocal(svc));
}

export function usesLocalEndpoints(svc: ServicePortInfo): boolean {
  return internalPolicyLocal(svc) || externalPolicyLocal(svc);
}

export interface CategorizedEndpoints {
  clusterEndpoints: Endpoint[];
  localEndpoints: Endpoint[];
  allReachableEndpoints: Endpoint[];
  /** Any endpoint is ready, or serving and terminating, anywhere in the cluster. */
  hasAnyEndpoints: boolean;
}

const servingTerminating = (ep: Endpoint) => ep.serving && ep.terminating;

/**
 * pkg/proxy/topology.go CategorizeEndpoints (without topology hints): cluster endpoints are the ready
 * ones, else serving-terminating ones; local endpoints are the local ready ones, else local
 * serving-terminating ones. Lists are only computed when the Service's policies use them.
 */
export function categorizeEndpoints(endpoints: readonly Endpoint[], svc: ServicePortInfo): CategorizedEndpoints {
  let clusterEndpoints: Endpoint[] = [];
  let localEndpoints: Endpoint[] = [];
  let hasAnyEndpoints = false;

  if (usesClusterEndpoints(svc)) {
    clusterEndpoints = endpoints.filter((ep) => ep.ready);
    // No ready endpoints anywhere: fall back to the ones still serving while terminating.
    if (clusterEndpoints.length === 0) clusterEndpoints = endpoints.filter(servingTerminating);
    hasAnyEndpoints = clusterEndpoints.length > 0;
  }
  if (!usesLocalEndpoints(svc)) {
    return { clusterEndpoints, localEndpoints, allReachableEndpoints: clusterEndpoints, hasAnyEndpoints };
  }

  let hasLocalReady = false;
  let hasLocalServingTerminating = false;
  for (const ep of endpoints) {
    if (ep.ready) {
      hasAnyEndpoints = true;
      if (ep.isLocal) hasLocalReady = true;
    } else if (servingTerminating(ep)) {
      hasAnyEndpoints = true;
      if (ep.isLocal) hasLocalServingTerminating = true;
    }
  }
  if (hasLocalReady) localEndpoints = endpoints.filter((ep) => ep.isLocal && ep.ready);
  else if (hasLocalServingTerminating) localEndpoints = endpoints.filter((ep) => ep.isLocal && servingTerminating(ep));

  if (!usesClusterEndpoints(svc)) {
    return { clusterEndpoints, localEndpoints, allReachableEndpoints: localEndpoints, hasAnyEndpoints };
  }
  if (!hasLocalReady && !hasLocalServingTerminating) {
    return { clusterEndpoints, localEndpoints, allReachableEndpoints: clusterEndpoints, hasAnyEndpoints };
  }
  const union = new Map<string, Endpoint>();
  for (const ep of [...clusterEndpoints, ...localEndpoints]) union.set(`${ep.ip}:${ep.port}`, ep);
  return { clusterEndpoints, localEndpoints, allReachableEndpoints: [...union.values()], hasAnyEndpoints };
}

/** What kube-proxy's iptables and nftables syncProxyRules derive from the categorized endpoints of one service port. */
export interface ServicePolicy {
  cat: CategorizedEndpoints;
  hasEndpoints: boolean;
  /** ClusterIP traffic has somewhere to go (internalTrafficPolicy Local: a local endpoint). */
  hasInternalEndpoints: boolean;
  /** NodePort/external traffic has somewhere to go (externalTrafficPolicy Local: a local endpoint). */
  hasExternalEndpoints: boolean;
  usesClusterPolicyChain: boolean;
  usesLocalPolicyChain: boolean;
  usesExternalChain: boolean;
}

export function servicePolicy(endpoints: readonly Endpoint[], svc: ServicePortInfo): ServicePolicy {
  const cat = categorizeEndpoints(endpoints, svc);
  const hasEndpoints = cat.hasAnyEndpoints;
  return {
    cat,
    hasEndpoints,
    hasInternalEndpoints: internalPolicyLocal(svc) ? cat.localEndpoints.length > 0 : hasEndpoints,
    hasExternalEndpoints: externalPolicyLocal(svc) ? cat.localEndpoints.length > 0 : hasEndpoints,
    usesClusterPolicyChain: cat.clusterEndpoints.length > 0 && usesClusterEndpoints(svc),
    usesLocalPolicyChain: cat.localEndpoints.length > 0 && usesLocalEndpoints(svc),
    usesExternalChain: hasEndpoints && externallyAccessible(svc),
  };
}
