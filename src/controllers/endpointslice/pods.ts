/**
 * Pod → endpoint rules shared by the EndpointSlice and Endpoints controllers
 * (pkg/controller/util/endpoint/controller_utils.go, pkg/api/v1/pod/util.go FindPort).
 */
import type { Pod, Service, ServicePort } from 'kubernetes-types/core/v1.js';
import { fromSet, matches } from '../../api/labels.js';

export type Protocol = 'TCP' | 'UDP' | 'SCTP';

/** A Service port resolved against one pod (EndpointPort / discovery EndpointPort). */
export interface ResolvedPort {
  name: string;
  port: number;
  protocol: Protocol;
  appProtocol?: string;
}

/** Selectorless Services are user-managed; ExternalName has no endpoints at all. */
export function managesEndpointsFor(svc: Service): boolean {
  if (svc.spec?.type === 'ExternalName') return false;
  return svc.spec?.selector !== undefined && svc.spec.selector !== null && Object.keys(svc.spec.selector).length > 0;
}

export function selectsPod(svc: Service, pod: Pod): boolean {
  if (!managesEndpointsFor(svc)) return false;
  if ((pod.metadata?.namespace ?? '') !== (svc.metadata?.namespace ?? '')) return false;
  return matches(fromSet(svc.spec!.selector!), pod.metadata?.labels);
}

export { isPodReady } from '../common/pods.js';

export function podIPs(pod: Pod): string[] {
  const ips = (pod.status?.podIPs ?? []).map((p) => p.ip).filter((ip): ip is string => !!ip);
  if (ips.length === 0 && pod.status?.podIP) ips.push(pod.status.podIP);
  return ips;
}

/** ShouldPodBeInEndpoints: no IP or a finished phase keeps a pod out; terminating only if asked for. */
export function shouldPodBeInEndpoints(pod: Pod, includeTerminating: boolean): boolean {
  if (podIPs(pod).length === 0) return false;
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  if (!includeTerminating && pod.metadata?.deletionTimestamp) return false;
  return true;
}

/**
 * FindPort: a numeric targetPort is used as is; a name matches a container port with the same name
 * and protocol, regular containers first, then sidecar (restartPolicy Always) init containers.
 */
export function findPort(pod: Pod, svcPort: ServicePort): number | undefined {
  const target = svcPort.targetPort;
  if (target === undefined || target === '' || target === 0) return svcPort.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  const protocol = svcPort.protocol ?? 'TCP';
  const containers = [
    ...(pod.spec?.containers ?? []),
    ...(pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always'),
  ];
  for (const c of containers) {
    for (const p of c.ports ?? []) {
      if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
    }
  }
  return undefined;
}

/** The Service's ports as this pod serves them; ports whose name does not resolve are left out. */
export function resolvePorts(svc: Service, pod: Pod): ResolvedPort[] {
  const out: ResolvedPort[] = [];
  for (const sp of svc.spec?.ports ?? []) {
    const port = findPort(pod, sp);
    if (port === undefined) continue;
    const rp: ResolvedPort = { name: sp.name ?? '', port, protocol: (sp.protocol ?? 'TCP') as Protocol };
    if (sp.appProtocol) rp.appProtocol = sp.appProtocol;
    out.push(rp);
  }
  return out;
}

/** A stable identity of a port set (order-insensitive). */
export function portSetKey(ports: ResolvedPort[]): string {
  return JSON.stringify(
    [...ports]
      .map((p) => [p.name, p.port, p.protocol, p.appProtocol ?? ''])
      .sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)),
  );
}

/** hostname is published only for pods whose subdomain is this Service, in its namespace. */
export function endpointHostname(svc: Service, pod: Pod): string | undefined {
  const h = pod.spec?.hostname;
  if (!h) return undefined;
  if (pod.spec?.subdomain !== svc.metadata?.name) return undefined;
  if (pod.metadata?.namespace !== svc.metadata?.namespace) return undefined;
  return h;
}

export function podTargetRef(pod: Pod): { kind: 'Pod'; namespace: string; name: string; uid: string } {
  return { kind: 'Pod', namespace: pod.metadata?.namespace ?? '', name: pod.metadata?.name ?? '', uid: pod.metadata?.uid ?? '' };
}

export const byName = (a: Pod, b: Pod): number => {
  const x = a.metadata?.name ?? '';
  const y = b.metadata?.name ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
};
