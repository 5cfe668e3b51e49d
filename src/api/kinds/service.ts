/** Service defaulting (SetDefaults_Service) and strategy; validation lives in service-validation.ts. */
import type { Service, ServicePort } from 'kubernetes-types/core/v1.js';
import type { IPFamily } from '../../util/net.js';
import { ipFamilyOf } from '../../util/net.js';
import type { ResourceStrategy } from '../strategy.js';
import type { KubeObject } from '../types.js';
import { validateService, validateServiceUpdate } from './service-validation.js';

export const defaultClientIPServiceAffinitySeconds = 10800;

export interface ServiceStrategyOptions {
  /** The cluster's primary IP family (that of the service CIDR). Default IPv4. */
  primaryIPFamily?: IPFamily;
  /** skiff's loopback network mode: externalIPs may be in 127.0.0.0/8. */
  allowLoopbackIPs?: boolean;
}

export function isHeadlessService(svc: Service): boolean {
  const ips = svc.spec?.clusterIPs ?? [];
  return ips.length === 1 && ips[0] === 'None';
}

/** apiservice.ExternallyAccessible */
export function externallyAccessible(svc: Service): boolean {
  const t = svc.spec?.type;
  return t === 'LoadBalancer' || t === 'NodePort' || (t === 'ClusterIP' && (svc.spec?.externalIPs ?? []).length > 0);
}

export function needsClusterIP(svc: Service): boolean {
  return svc.spec?.type !== 'ExternalName';
}

export function needsNodePort(svc: Service): boolean {
  return svc.spec?.type === 'NodePort' || svc.spec?.type === 'LoadBalancer';
}

/** Whether nodePorts are allocated for ports that did not request one. */
export function shouldAllocateNodePorts(svc: Service): boolean {
  if (svc.spec?.type === 'NodePort') return true;
  if (svc.spec?.type === 'LoadBalancer') return svc.spec.allocateLoadBalancerNodePorts !== false;
  return false;
}

/** apiservice.NeedsHealthCheck */
export function needsHealthCheck(svc: Service): boolean {
  return svc.spec?.type === 'LoadBalancer' && svc.spec.externalTrafficPolicy === 'Local';
}

export function applyServiceDefaults(svc: Service, opts: ServiceStrategyOptions = {}): void {
  const spec = (svc.spec ??= {});
  if (!spec.sessionAffinity) spec.sessionAffinity = 'None';
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === 'ClientIP' && spec.sessionAffinityConfig?.clientIP?.timeoutSeconds == null) {
    spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: defaultClientIPServiceAffinitySeconds } };
  }
  if (!spec.type) spec.type = 'ClusterIP';
  for (const p of spec.ports ?? []) defaultServicePort(p);
  if (externallyAccessible(svc) && !spec.externalTrafficPolicy) spec.externalTrafficPolicy = 'Cluster';
  if (spec.internalTrafficPolicy == null && (spec.type === 'NodePort' || spec.type === 'LoadBalancer' || spec.type === 'ClusterIP')) {
    spec.internalTrafficPolicy = 'Cluster';
  }
  if (spec.type === 'LoadBalancer') {
    if (spec.allocateLoadBalancerNodePorts == null) spec.allocateLoadBalancerNodePorts = true;
    for (const ing of svc.status?.loadBalancer?.ingress ?? []) if (ing.ip && !ing.ipMode) ing.ipMode = 'VIP';
  }
  // ipFamilies/ipFamilyPolicy: initIPFamilyFields (single-stack clusters only).
  if (needsClusterIP(svc)) {
    if (spec.clusterIP && !spec.clusterIPs?.length) spec.clusterIPs = [spec.clusterIP];
    if (!spec.ipFamilyPolicy) spec.ipFamilyPolicy = 'SingleStack';
    if (!spec.ipFamilies?.length) {
      const fromIP = spec.clusterIPs?.[0] ? ipFamilyOf(spec.clusterIPs[0]) : undefined;
      spec.ipFamilies = [fromIP ?? opts.primaryIPFamily ?? 'IPv4'];
    }
  }
}

function defaultServicePort(p: ServicePort): void {
  if (!p.protocol) p.protocol = 'TCP';
  if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
}

function sameJSON(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/**
 * dropTypeDependentFields (PrepareForUpdate): on a type change, wipe the fields the old type had
 * (and that the user did not change) so the update validates. The service allocator calls this.
 */
export function dropTypeDependentFields(svc: Service, old: Service): void {
  const spec = (svc.spec ??= {});
  const o = old.spec ?? {};
  if (needsClusterIP(old) && !needsClusterIP(svc)) {
    if (sameJSON(o.clusterIPs, spec.clusterIPs)) {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    }
    if (sameJSON(o.ipFamilies, spec.ipFamilies)) delete spec.ipFamilies;
    if (sameJSON(o.ipFamilyPolicy, spec.ipFamilyPolicy)) delete spec.ipFamilyPolicy;
  }
  if (needsNodePort(old) && !needsNodePort(svc)) {
    if (sameJSON((o.ports ?? []).map((p) => p.nodePort ?? 0), (spec.ports ?? []).map((p) => p.nodePort ?? 0))) {
      for (const p of spec.ports ?? []) delete p.nodePort;
    }
  }
  if (needsHealthCheck(old) && !needsHealthCheck(svc) && (o.healthCheckNodePort ?? 0) === (spec.healthCheckNodePort ?? 0)) {
    delete spec.healthCheckNodePort;
  }
  if (o.type === 'LoadBalancer' && spec.type !== 'LoadBalancer') {
    if (spec.allocateLoadBalancerNodePorts != null && o.allocateLoadBalancerNodePorts === spec.allocateLoadBalancerNodePorts) {
      delete spec.allocateLoadBalancerNodePorts;
    }
    if (o.loadBalancerClass === spec.loadBalancerClass) delete spec.loadBalancerClass;
  }
  if (externallyAccessible(old) && !externallyAccessible(svc) && o.externalTrafficPolicy === spec.externalTrafficPolicy) {
    delete spec.externalTrafficPolicy;
  }
  if (spec.type !== 'LoadBalancer' && svc.status?.loadBalancer) svc.status.loadBalancer = {};
}

export function serviceStrategy(opts: ServiceStrategyOptions = {}): ResourceStrategy {
  return {
    applyDefaults: (obj: KubeObject) => applyServiceDefaults(obj as unknown as Service, opts),
    validate: (obj: KubeObject) => validateService(obj as unknown as Service, undefined, opts),
    validateUpdate: (obj: KubeObject, old: KubeObject) => validateServiceUpdate(obj as unknown as Service, old as unknown as Service, opts),
  };
}
