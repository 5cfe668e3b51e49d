/** MetalLB's Service annotations: `metallb.io/` names, the deprecated `metallb.universe.tf/` still read. */
import type { Service } from 'kubernetes-types/core/v1.js';
import { formatLabelSelector } from '../../api/labels.js';
import type { IPFamily } from '../../util/net.js';
import type { ServiceRequest } from './allocator.js';
import { metaNamespaceKey } from '../../client/store.js';

export const prefix = 'metallb.io/';
export const deprecatedPrefix = 'metallb.universe.tf/';
export const loadBalancerIPsAnnotation = `${prefix}loadBalancerIPs`;
export const addressPoolAnnotation = `${prefix}address-pool`;
export const allowSharedIPAnnotation = `${prefix}allow-shared-ip`;
export const ipAllocatedFromPoolAnnotation = `${prefix}ip-allocated-from-pool`;

export interface ServiceLBConfig {
  /** Explicitly requested addresses (annotation or spec.loadBalancerIP). */
  requestedIPs: string[];
  pool?: string;
  sharingKey: string;
  /** Deprecated annotation names found on the Service (each deserves a warning event). */
  deprecated: string[];
  /** A configuration error (reported as AllocationFailed). */
  error?: string;
}

function read(svc: Service, name: string, deprecated: string[]): string | undefined {
  const a = svc.metadata?.annotations ?? {};
  const current = a[prefix + name];
  const old = a[deprecatedPrefix + name];
  if (old !== undefined) deprecated.push(deprecatedPrefix + name);
  return current ?? old;
}

export function serviceLBConfig(svc: Service): ServiceLBConfig {
  const deprecated: string[] = [];
  const ipsAnn = read(svc, 'loadBalancerIPs', deprecated);
  const pool = read(svc, 'address-pool', deprecated);
  const sharingKey = read(svc, 'allow-shared-ip', deprecated) ?? '';
  const cfg: ServiceLBConfig = { requestedIPs: [], sharingKey, deprecated, ...(pool ? { pool } : {}) };
  const specIP = svc.spec?.loadBalancerIP ?? '';
  if (ipsAnn !== undefined && ipsAnn !== '' && specIP !== '') {
    cfg.error = 'service can not have both metallb.io/loadBalancerIPs and svc.Spec.LoadBalancerIP';
    return cfg;
  }
  if (ipsAnn) cfg.requestedIPs = ipsAnn.split(',').map((s) => s.trim()).filter(Boolean);
  else if (specIP) cfg.requestedIPs = [specIP];
  return cfg;
}

export function serviceRequest(svc: Service, cfg: ServiceLBConfig): ServiceRequest {
  const local = svc.spec?.externalTrafficPolicy === 'Local';
  return {
    key: metaNamespaceKey(svc),
    namespace: svc.metadata?.namespace ?? '',
    labels: svc.metadata?.labels,
    family: ((svc.spec?.ipFamilies?.[0] as IPFamily | undefined) ?? 'IPv4'),
    ports: (svc.spec?.ports ?? []).map((p) => ({ protocol: p.protocol ?? 'TCP', port: p.port })),
    sharingKey: cfg.sharingKey,
    backendKey: local ? formatLabelSelector({ matchLabels: svc.spec?.selector ?? {} }) : '',
  };
}
