/** Service → ServicePortInfo, as pkg/proxy/serviceport.go newBaseServiceInfo reads a Service. */
import type { Service } from 'kubernetes-types/core/v1.js';
import { servicePortName, type Protocol, type ServicePortInfo, type ServicePortName, type TrafficPolicy } from '../types.js';

export interface ServiceInfoOptions {
  /** The server's proxy owns ClusterIPs, externalIPs and LB IPs; an agent's proxy only its node's nodePorts. */
  ownsServiceIPs: boolean;
}

/** ShouldSkipService: headless and ExternalName Services have nothing to proxy. */
export function shouldSkipService(svc: Service): boolean {
  const ip = svc.spec?.clusterIP ?? '';
  return ip === '' || ip === 'None' || svc.spec?.type === 'ExternalName';
}

export function servicePortInfos(svc: Service, opts: ServiceInfoOptions): Array<[ServicePortName, ServicePortInfo]> {
  if (shouldSkipService(svc)) return [];
  const spec = svc.spec!;
  const affinity = spec.sessionAffinity === 'ClientIP'
    ? { type: 'ClientIP' as const, timeoutSeconds: spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10800 }
    : { type: 'None' as const, timeoutSeconds: 0 };
  // ipMode Proxy means the load balancer itself proxies: kube-proxy does not capture that address.
  const lbIPs = (svc.status?.loadBalancer?.ingress ?? []).filter((i) => i.ip && i.ipMode !== 'Proxy').map((i) => i.ip!);
  const etp = (spec.externalTrafficPolicy ?? 'Cluster') as TrafficPolicy;
  const out: Array<[ServicePortName, ServicePortInfo]> = [];
  for (const p of spec.ports ?? []) {
    const protocol = p.protocol ?? 'TCP';
    if (protocol !== 'TCP' && protocol !== 'UDP') continue; // SCTP has no userspace datapath
    const nodePort = p.nodePort ?? 0;
    if (!opts.ownsServiceIPs && nodePort === 0) continue;
    out.push([servicePortName(svc.metadata!.namespace!, svc.metadata!.name!, p.name ?? ''), {
      clusterIP: opts.ownsServiceIPs ? spec.clusterIP! : '',
      port: p.port,
      protocol: protocol as Protocol,
      nodePort,
      externalIPs: opts.ownsServiceIPs ? [...(spec.externalIPs ?? [])] : [],
      loadBalancerIPs: opts.ownsServiceIPs && spec.type === 'LoadBalancer' ? lbIPs : [],
      sessionAffinity: affinity,
      externalTrafficPolicy: etp,
      internalTrafficPolicy: (spec.internalTrafficPolicy ?? 'Cluster') as TrafficPolicy,
      healthCheckNodePort: spec.type === 'LoadBalancer' && etp === 'Local' ? spec.healthCheckNodePort ?? 0 : 0,
    }]);
  }
  return out;
}
