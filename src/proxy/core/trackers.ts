/**
 * kube-proxy's change trackers: informer handlers record what changed; the sync loop reads the
 * accumulated state. Each update reports whether it changes anything the datapath sees, so that
 * status-only or annotation-only writes do not cost a sync.
 */
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { parseServicePortName, type Endpoint, type ProxyState, type ServicePortInfo, type ServicePortName } from '../types.js';
import { endpointsForPort } from './endpoints-info.js';
import { servicePortInfos, type ServiceInfoOptions } from './service-info.js';
import { serviceNameLabel } from '../../api/kinds/endpoints.js';
import { metaNamespaceKey } from '../../client/store.js';

export class ServiceChangeTracker {
  private readonly ports = new Map<string, Array<[ServicePortName, ServicePortInfo]>>();
  private readonly objects = new Map<string, Service>();
  /** servicePorts() as of the last change: a sync without Service changes costs no rebuild. */
  private flat: Map<ServicePortName, ServicePortInfo> | undefined;

  constructor(private readonly opts: ServiceInfoOptions) {}

  /** Records a Service add/update (curr set) or delete (curr undefined); true when the proxy must resync. */
  update(prev: Service | undefined, curr: Service | undefined): boolean {
    const key = metaNamespaceKey((curr ?? prev)!);
    const before = JSON.stringify(this.ports.get(key) ?? []);
    this.flat = undefined;
    if (curr) {
      this.ports.set(key, servicePortInfos(curr, this.opts));
      this.objects.set(key, curr);
    } else {
      this.ports.delete(key);
      this.objects.delete(key);
    }
    return JSON.stringify(this.ports.get(key) ?? []) !== before;
  }

  /** The Service object by `ns/name` (for events). */
  service(key: string): Service | undefined {
    return this.objects.get(key);
  }

  /** Every service port; the same (read-only) map until a Service changes. */
  servicePorts(): Map<ServicePortName, ServicePortInfo> {
    return (this.flat ??= new Map([...this.ports.values()].flat()));
  }
}

export class EndpointsChangeTracker {
  /** `ns/service` → slice name → slice. */
  private readonly slices = new Map<string, Map<string, EndpointSlice>>();
  /** `ns/service` → a value never used before, taken whenever its slices change what the proxy sees (none: no slices). */
  private readonly versions = new Map<string, number>();
  private sequence = 0;
  /** The endpoints of each service port as last computed, reused while their inputs are the same. */
  private readonly memo = new Map<ServicePortName, { serviceKey: string; version: number; info: ServicePortInfo; localNodes: string; endpoints: Endpoint[] }>();

  /** Records a slice add/update or delete; true when the slice set of a Service changed. */
  endpointSliceUpdate(slice: EndpointSlice, removed: boolean): boolean {
    const svc = slice.metadata?.labels?.[serviceNameLabel];
    if (!svc) return false;
    const key = `${slice.metadata?.namespace ?? ''}/${svc}`;
    let m = this.slices.get(key);
    const name = slice.metadata?.name ?? '';
    const before = m?.get(name);
    if (removed) {
      if (!before) return false;
      m!.delete(name);
      if (m!.size === 0) this.slices.delete(key);
      return this.bump(key);
    }
    if (!m) this.slices.set(key, (m = new Map()));
    m.set(name, slice);
    const changed = !before || JSON.stringify([before.endpoints, before.ports, before.addressType]) !== JSON.stringify([slice.endpoints, slice.ports, slice.addressType]);
    return changed && this.bump(key);
  }

  private bump(key: string): true {
    if (this.slices.has(key)) this.versions.set(key, ++this.sequence);
    else this.versions.delete(key);
    return true;
  }

  /**
   * The endpoints of one service port: the same array as last time while its slices, port and nodes are
   * unchanged (a full sync asks for every port: the hit is what it costs). `nodesKey` is localNodes joined.
   */
  endpointsFor(spn: ServicePortName, info: ServicePortInfo, localNodes: ReadonlySet<string>, nodesKey: string): Endpoint[] {
    const hit = this.memo.get(spn);
    if (hit && hit.info === info && hit.localNodes === nodesKey && hit.version === (this.versions.get(hit.serviceKey) ?? -1)) return hit.endpoints;
    const { namespace, name, port } = parseServicePortName(spn);
    const serviceKey = `${namespace}/${name}`;
    const endpoints = endpointsForPort({ slices: this.slicesFor(namespace, name), portName: port, protocol: info.protocol, localNodes });
    this.memo.set(spn, { serviceKey, version: this.versions.get(serviceKey) ?? -1, info, localNodes: nodesKey, endpoints });
    return endpoints;
  }

  /** Drops remembered endpoints of service ports that are gone. */
  retain(ports: ReadonlyMap<ServicePortName, unknown>): void {
    if (this.memo.size <= ports.size) return;
    for (const spn of this.memo.keys()) if (!ports.has(spn)) this.memo.delete(spn);
  }

  slicesFor(namespace: string, name: string): EndpointSlice[] {
    return [...(this.slices.get(`${namespace}/${name}`)?.values() ?? [])];
  }
}

export interface ProxyNode {
  name: string;
  ip: string;
}

/** The whole desired state for the datapath: every service port with the endpoints of all its slices. */
export function buildProxyState(opts: { services: ServiceChangeTracker; endpoints: EndpointsChangeTracker; nodes: ProxyNode[] }): ProxyState {
  const services = opts.services.servicePorts();
  const localNodes = new Set(opts.nodes.map((n) => n.name));
  const nodesKey = [...localNodes].join(',');
  const endpoints = new Map<ServicePortName, Endpoint[]>();
  for (const [spn, info] of services) endpoints.set(spn, opts.endpoints.endpointsFor(spn, info, localNodes, nodesKey));
  opts.endpoints.retain(services);
  const nodeIPs = [...new Set(opts.nodes.map((n) => n.ip))];
  return { services, endpoints, nodeIPs, nodeNames: new Map(opts.nodes.map((n) => [n.ip, n.name])) };
}
