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
  // A Service always serves `status: {loadBalancer: {}}` (Go does not omit empty structs).
  const status = ((svc as { status?: Service['status'] }).status ??= {});
  status.loadBalancer ??= {};
  for (const p of spec.ports ?? []) defaultServicePort(p);
  if (externallyAccessible(svc) && !spec.externalTrafficPolicy) spec.externalTrafficPolicy = 'Cluster';
  if (spec.internalTrafficPolicy == null && (spec.type === 'NodePort' || spec.type === 'LoadBalancer' || spec.type === 'ClusterIP')) {
    spec.internalTrafficPolicy = 'Cluster';
  }
  if (spec.type === 'LoadBalancer') {
    if (spec.allocateLoadBalancerNodePorts == null) spec.allocateLoadBalancerNodePorts = true;
    for (const ing of status.loadBalancer.ingress ?? []) if (ing.ip && !ing.ipMode) ing.ipMode = 'VIP';
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

/** normalizeClusterIPs: keep clusterIP and clusterIPs in step for clients that only know one of them. */
export function normalizeClusterIPs(svc: Service, old?: Service): void {
  const spec = (svc.spec ??= {});
  if (!old) {
    if (spec.clusterIP && !spec.clusterIPs?.length) spec.clusterIPs = [spec.clusterIP];
    return;
  }
  const o = old.spec ?? {};
  const same = JSON.stringify(o.clusterIPs ?? []) === JSON.stringify(spec.clusterIPs ?? []);
  if ((o.clusterIPs ?? []).length > 0 && !spec.clusterIPs?.length && (o.clusterIP ?? '') === (spec.clusterIP ?? '')) spec.clusterIPs = o.clusterIPs;
  if ((o.clusterIP ?? '') !== (spec.clusterIP ?? '')) {
    if (o.clusterIP && !spec.clusterIP && same) delete spec.clusterIPs;
    if (spec.clusterIP && same) spec.clusterIPs = [spec.clusterIP];
  }
}

/** patchAllocatedValues: a PUT that omits allocated values keeps them (idempotent apply/replace). */
export function patchAllocatedValues(svc: Service, old: Service): void {
  const spec = (svc.spec ??= {});
  const o = old.spec ?? {};
  if (needsClusterIP(old) && needsClusterIP(svc)) {
    if (!spec.clusterIP && o.clusterIP) spec.clusterIP = o.clusterIP;
    if (!spec.clusterIPs?.length && o.clusterIPs?.length) spec.clusterIPs = [...o.clusterIPs];
  }
  if (needsNodePort(old) && needsNodePort(svc)) {
    const inNew = new Set(servicePortNodePorts(svc));
    const used = new Set(servicePortNodePorts(old).filter((n) => inNew.has(n)));
    const byName = new Map((o.ports ?? []).map((p) => [p.name ?? '', p.nodePort ?? 0]));
    for (const p of spec.ports ?? []) {
      if (p.nodePort) continue;
      const v = byName.get(p.name ?? '') ?? 0;
      if (v && !used.has(v)) p.nodePort = v;
    }
  }
  if (needsHealthCheck(old) && needsHealthCheck(svc) && !spec.healthCheckNodePort && o.healthCheckNodePort) {
    spec.healthCheckNodePort = o.healthCheckNodePort;
  }
}

/** Node ports used by the Service's ports (0 = none). */
export function servicePortNodePorts(svc: Service): number[] {
  return (svc.spec?.ports ?? []).map((p) => p.nodePort ?? 0).filter((n) => n !== 0);
}

/**
 * What Kubernetes does to a Service update before validating it (beginUpdate + PrepareForUpdate):
 * keep allocated values a PUT omitted, keep clusterIP/clusterIPs in step, and wipe the fields the
 * old type needed when the type changes. The strategy's prepareForUpdate: runs once, before validation
 * and before the allocator looks at the object.
 */
export function prepareServiceForUpdate(svc: Service, old: Service): void {
  patchAllocatedValues(svc, old);
  normalizeClusterIPs(svc, old);
  dropTypeDependentFields(svc, old);
}

export function serviceStrategy(opts: ServiceStrategyOptions = {}): ResourceStrategy {
  return {
    applyDefaults: (obj: KubeObject) => applyServiceDefaults(obj as unknown as Service, opts),
    validate: (obj: KubeObject) => validateService(obj as unknown as Service, undefined, opts),
    validateUpdate: (obj: KubeObject, old: KubeObject) => validateServiceUpdate(obj as unknown as Service, old as unknown as Service, opts),
    // on /status too: a Service that is not a LoadBalancer keeps an empty status.loadBalancer
    prepareForUpdate: (obj: KubeObject, old: KubeObject) => prepareServiceForUpdate(obj as unknown as Service, old as unknown as Service),
    returnDeletedObject: true,
  };
}
