// The DNS view of the cluster: Services, ready endpoints (from EndpointSlices) and Namespaces, as
// CoreDNS' dnsController caches them (plugin/kubernetes/object). Fed by informers; read by answer.ts.
import type { Namespace, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { canonicalIP } from '../util/net.js';
import { serviceNameLabel } from '../api/kinds/endpoints.js';

export interface PortRecord {
  /** '' for an unnamed port. */
  name: string;
  protocol: string;
  /** -1 when the object declares no port (CoreDNS' sentinel: A records yes, SRV no). */
  port: number;
}

export interface ServiceRecord {
  namespace: string;
  name: string;
  headless: boolean;
  /** Set for type ExternalName. */
  externalName?: string;
  clusterIPs: string[];
  ports: PortRecord[];
}

export interface EndpointAddress {
  ip: string;
  hostname?: string;
  /** The pod name, when short enough to be a label (endpoint_pod_names). */
  targetRefName?: string;
}

/** One EndpointSlice reduced to what DNS publishes: ready addresses and ports. */
export interface EndpointsRecord {
  namespace: string;
  serviceName: string;
  addresses: EndpointAddress[];
  ports: PortRecord[];
}

export function serviceRecordOf(svc: Service): ServiceRecord {
  const spec = svc.spec ?? {};
  const clusterIPs = spec.clusterIPs?.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : [];
  const ports = (spec.ports ?? []).map((p) => ({ name: p.name ?? '', protocol: p.protocol ?? 'TCP', port: p.port }));
  return {
    namespace: svc.metadata?.namespace ?? 'default',
    name: svc.metadata?.name ?? '',
    headless: clusterIPs[0] === 'None',
    externalName: spec.type === 'ExternalName' ? spec.externalName ?? '' : undefined,
    clusterIPs: clusterIPs.filter((ip) => ip !== 'None'),
    ports: ports.length ? ports : [{ name: '', protocol: 'TCP', port: -1 }],
  };
}

/** Ready is nil or true (endpointsliceReady); publishNotReadyAddresses is already folded in by the controller. */
export function endpointsRecordOf(slice: EndpointSlice): EndpointsRecord | undefined {
  const serviceName = slice.metadata?.labels?.[serviceNameLabel];
  if (!serviceName) return undefined;
  const addresses: EndpointAddress[] = [];
  for (const ep of slice.endpoints ?? []) {
    if (ep.conditions?.ready === false) continue;
    for (const a of ep.addresses ?? []) {
      const ip = canonicalIP(a) ?? a;
      const targetRefName = ep.targetRef?.name && ep.targetRef.name.length < 64 ? ep.targetRef.name : undefined;
      addresses.push({ ip, hostname: ep.hostname || undefined, targetRefName });
    }
  }
  const ports = (slice.ports ?? []).map((p) => ({ name: p.name ?? '', protocol: p.protocol ?? 'TCP', port: p.port ?? -1 }));
  return {
    namespace: slice.metadata?.namespace ?? 'default',
    serviceName,
    addresses,
    ports: ports.length ? ports : [{ name: '', protocol: 'TCP', port: -1 }],
  };
}

const key = (namespace: string, name: string) => `${namespace}/${name}`;

/** Indexed records; names are matched case-insensitively (Kubernetes names are lower case already). */
export class RecordStore {
  private readonly services = new Map<string, ServiceRecord>();
  private readonly slices = new Map<string, EndpointsRecord>();
  /** service key → slice keys */
  private readonly slicesByService = new Map<string, Set<string>>();
  private readonly namespaces = new Set<string>();
  private modifiedSeconds = 0;

  constructor(private readonly now: () => Date = () => new Date()) {}

  /** SOA serial: the Unix time of the last change (CoreDNS' APIConn.Modified). */
  serial(): number {
    return this.modifiedSeconds;
  }

  private touch(): void {
    this.modifiedSeconds = Math.floor(this.now().getTime() / 1000);
  }

  setService(svc: Service): void {
    const rec = serviceRecordOf(svc);
    this.services.set(key(rec.namespace, rec.name), rec);
    this.touch();
  }

  deleteService(namespace: string, name: string): void {
    if (this.services.delete(key(namespace, name))) this.touch();
  }

  setEndpointSlice(slice: EndpointSlice): void {
    const sliceKey = key(slice.metadata?.namespace ?? 'default', slice.metadata?.name ?? '');
    this.deleteEndpointSlice(slice.metadata?.namespace ?? 'default', slice.metadata?.name ?? '');
    const rec = endpointsRecordOf(slice);
    if (!rec) return;
    this.slices.set(sliceKey, rec);
    const svcKey = key(rec.namespace, rec.serviceName);
    let set = this.slicesByService.get(svcKey);
    if (!set) this.slicesByService.set(svcKey, (set = new Set()));
    set.add(sliceKey);
    this.touch();
  }

  deleteEndpointSlice(namespace: string, name: string): void {
    const sliceKey = key(namespace, name);
    const old = this.slices.get(sliceKey);
    if (!old) return;
    this.slices.delete(sliceKey);
    const svcKey = key(old.namespace, old.serviceName);
    const set = this.slicesByService.get(svcKey);
    set?.delete(sliceKey);
    if (set?.size === 0) this.slicesByService.delete(svcKey);
    this.touch();
  }

  setNamespace(ns: Namespace): void {
    if (ns.metadata?.name) this.namespaces.add(ns.metadata.name);
    this.touch();
  }

  deleteNamespace(name: string): void {
    if (this.namespaces.delete(name)) this.touch();
  }

  namespaceExists(namespace: string): boolean {
    return this.namespaces.has(namespace);
  }

  service(namespace: string, name: string): ServiceRecord | undefined {
    return this.services.get(key(namespace, name));
  }

  /** Every EndpointSlice of the Service (CoreDNS keeps one Endpoints object per slice). */
  endpoints(namespace: string, serviceName: string): EndpointsRecord[] {
    const keys = this.slicesByService.get(key(namespace, serviceName));
    return keys ? [...keys].map((k) => this.slices.get(k)!) : [];
  }

  /** Services whose cluster IPs include `ip` (canonical form). */
  servicesForIP(ip: string): ServiceRecord[] {
    return [...this.services.values()].filter((s) => s.clusterIPs.some((c) => (canonicalIP(c) ?? c) === ip));
  }

  /** Endpoint groups holding `ip` (canonical form). */
  endpointsForIP(ip: string): EndpointsRecord[] {
    return [...this.slices.values()].filter((e) => e.addresses.some((a) => a.ip === ip));
  }
}
