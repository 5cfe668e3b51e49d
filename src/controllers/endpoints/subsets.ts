/**
 * The pure part of the legacy Endpoints controller (pkg/controller/endpoint/endpoints_controller.go):
 * addresses per pod and port, repacked into subsets per identical port set, capped at 1000 addresses.
 */
import type { EndpointAddress, EndpointPort, EndpointSubset, Pod, Service } from 'kubernetes-types/core/v1.js';
import {
  byName, endpointHostname, isPodReady, podIPs, podTargetRef, portSetKey, resolvePorts, selectsPod, shouldPodBeInEndpoints,
} from '../endpointslice/pods.js';

export const maxCapacity = 1000;
export const overCapacityAnnotation = 'endpoints.kubernetes.io/over-capacity';
export const lastChangeTriggerTimeAnnotation = 'endpoints.kubernetes.io/last-change-trigger-time';

function address(service: Service, pod: Pod, ip: string): EndpointAddress {
  const a: EndpointAddress = { ip };
  const hostname = endpointHostname(service, pod);
  if (hostname) a.hostname = hostname;
  if (pod.spec?.nodeName) a.nodeName = pod.spec.nodeName;
  a.targetRef = podTargetRef(pod);
  return a;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The subsets for a Service and the pods of its namespace, repacked and sorted as RepackSubsets does. */
export function desiredSubsets(service: Service, pods: Pod[]): { subsets: EndpointSubset[]; truncated: boolean } {
  const publishNotReady = !!service.spec?.publishNotReadyAddresses;
  const family = service.spec?.ipFamilies?.[0] ?? 'IPv4';
  const groups = new Map<string, { ports: EndpointPort[]; ready: Map<string, EndpointAddress>; notReady: Map<string, EndpointAddress> }>();
  const headlessNoPorts = (service.spec?.ports ?? []).length === 0 && service.spec?.clusterIP === 'None';
  for (const pod of [...pods].sort(byName)) {
    if (!selectsPod(service, pod) || !shouldPodBeInEndpoints(pod, publishNotReady)) continue;
    const ip = podIPs(pod).find((i) => (family === 'IPv6') === i.includes(':'));
    if (!ip) continue;
    const ready = publishNotReady || isPodReady(pod);
    // Each (pod, port) is its own subset before repacking; repacking groups addresses by identical port sets.
    const ports = headlessNoPorts ? [] : resolvePorts(service, pod);
    if (!headlessNoPorts && ports.length === 0) continue;
    const perPort = headlessNoPorts ? [[]] : ports.map((p) => [p]);
    for (const pp of perPort) {
      const key = portSetKey(pp);
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { ports: pp.map((p) => ({ name: p.name || undefined, port: p.port, protocol: p.protocol, ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}) })), ready: new Map(), notReady: new Map() }));
      (ready ? g.ready : g.notReady).set(ip, address(service, pod, ip));
    }
  }
  const subsets = repack([...groups.values()]);
  return { subsets, truncated: truncateSubsets(subsets) };
}

/** RepackSubsets: addresses with the same set of ports share one subset; output sorted for stable writes. */
function repack(perPort: Array<{ ports: EndpointPort[]; ready: Map<string, EndpointAddress>; notReady: Map<string, EndpointAddress> }>): EndpointSubset[] {
  // address identity → its ports (ready and not-ready addresses are kept apart)
  const portsOf = new Map<string, { addr: EndpointAddress; ready: boolean; ports: EndpointPort[] }>();
  for (const g of perPort) {
    for (const [ready, m] of [[true, g.ready], [false, g.notReady]] as const) {
      for (const [ip, addr] of m) {
        const key = `${ready}|${ip}|${addr.targetRef?.uid ?? ''}`;
        const e = portsOf.get(key) ?? { addr, ready, ports: [] };
        e.ports.push(...g.ports);
        portsOf.set(key, e);
      }
    }
  }
  const subsets = new Map<string, EndpointSubset>();
  for (const e of portsOf.values()) {
    const ports = [...e.ports].sort((a, b) => cmp(a.name ?? '', b.name ?? '') || a.port - b.port || cmp(a.protocol ?? '', b.protocol ?? ''));
    const key = JSON.stringify(ports);
    let s = subsets.get(key);
    if (!s) subsets.set(key, (s = ports.length ? { ports } : {}));
    if (e.ready) (s.addresses ??= []).push(e.addr);
    else (s.notReadyAddresses ??= []).push(e.addr);
  }
  const byIP = (a: EndpointAddress, b: EndpointAddress) => cmp(a.ip, b.ip) || cmp(a.targetRef?.uid ?? '', b.targetRef?.uid ?? '');
  for (const s of subsets.values()) {
    s.addresses?.sort(byIP);
    s.notReadyAddresses?.sort(byIP);
  }
  return [...subsets.entries()].sort(([a], [b]) => cmp(a, b)).map(([, s]) => s);
}

/** truncateEndpoints: over 1000 addresses, keep ready ones first, each subset its proportional share (rounded up). */
export function truncateSubsets(subsets: EndpointSubset[]): boolean {
  let totalReady = 0;
  let totalNotReady = 0;
  for (const s of subsets) {
    totalReady += s.addresses?.length ?? 0;
    totalNotReady += s.notReadyAddresses?.length ?? 0;
  }
  if (totalReady + totalNotReady <= maxCapacity) return false;
  const truncateReady = totalReady > maxCapacity;
  const max = truncateReady ? maxCapacity : maxCapacity - totalReady;
  const numTotal = truncateReady ? totalReady : totalNotReady;
  let canBeAdded = max;
  for (const s of subsets) {
    const inSubset = truncateReady ? s.addresses?.length ?? 0 : s.notReadyAddresses?.length ?? 0;
    const toBeAdded = Math.min(Math.ceil((inSubset / numTotal) * max), canBeAdded);
    if (truncateReady) {
      s.addresses = (s.addresses ?? []).slice(0, toBeAdded);
      delete s.notReadyAddresses;
      canBeAdded -= s.addresses.length;
    } else {
      s.notReadyAddresses = (s.notReadyAddresses ?? []).slice(0, toBeAdded);
      canBeAdded -= s.notReadyAddresses.length;
    }
  }
  return true;
}

/** Subsets as compared for "did anything change" (field order and empty lists do not matter). */
export function subsetsKey(subsets: EndpointSubset[] | undefined): string {
  return JSON.stringify((subsets ?? []).map((s) => [
    (s.addresses ?? []).map((a) => [a.ip, a.hostname ?? '', a.nodeName ?? '', a.targetRef?.uid ?? '']),
    (s.notReadyAddresses ?? []).map((a) => [a.ip, a.hostname ?? '', a.nodeName ?? '', a.targetRef?.uid ?? '']),
    (s.ports ?? []).map((p) => [p.name ?? '', p.port, p.protocol ?? 'TCP', p.appProtocol ?? '']),
  ]));
}
