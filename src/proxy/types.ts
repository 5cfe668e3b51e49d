/**
 * The narrow interface between the proxy core (informers → change trackers → one sync) and a datapath
 * (userspace, iptables, nftables). The core computes the desired state; the datapath makes it real.
 * Shapes follow pkg/proxy (ServicePortName, BaseServicePortInfo, Endpoint).
 */
import type { SchedulerName } from './schedulers/types.js';
import { joinHostPort } from '../util/net.js';

/** `ns/name:port` as pkg/proxy ServicePortName.String(): `ns/name` alone when the port is unnamed. */
export type ServicePortName = string;

export type Protocol = 'TCP' | 'UDP';
export type TrafficPolicy = 'Cluster' | 'Local';

export function servicePortName(namespace: string, name: string, port = ''): ServicePortName {
  return port ? `${namespace}/${name}:${port}` : `${namespace}/${name}`;
}

/** Splits `ns/name:port` back into its parts. */
export function parseServicePortName(spn: ServicePortName): { namespace: string; name: string; port: string } {
  const slash = spn.indexOf('/');
  const colon = spn.indexOf(':', slash + 1);
  return {
    namespace: spn.slice(0, slash),
    name: spn.slice(slash + 1, colon < 0 ? undefined : colon),
    port: colon < 0 ? '' : spn.slice(colon + 1),
  };
}

export interface SessionAffinity {
  type: 'None' | 'ClientIP';
  /** For ClientIP: how long a client stays pinned after its last new connection (Kubernetes default 10800). */
  timeoutSeconds: number;
}

export interface ServicePortInfo {
  clusterIP: string; // '' or 'None' for headless: nothing to listen on
  port: number;
  protocol: Protocol;
  nodePort: number; // 0 when none
  externalIPs: string[];
  loadBalancerIPs: string[]; // status.loadBalancer.ingress[].ip
  sessionAffinity: SessionAffinity;
  externalTrafficPolicy: TrafficPolicy;
  internalTrafficPolicy: TrafficPolicy;
  healthCheckNodePort: number; // 0 when none; one per Service, shared by its ports
}

export interface Endpoint {
  ip: string;
  port: number;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  nodeName: string;
  /** True when the endpoint runs on this proxy's node. */
  isLocal: boolean;
  /** Scheduler weight (IPVS real-server weight); default 1, 0 means no new connections. */
  weight?: number;
}

export function endpointString(ep: Pick<Endpoint, 'ip' | 'port'>): string {
  return joinHostPort(ep.ip, ep.port);
}

export interface ProxyState {
  services: Map<ServicePortName, ServicePortInfo>;
  endpoints: Map<ServicePortName, Endpoint[]>;
  /** Addresses that accept NodePort (and healthCheckNodePort) traffic on this node. */
  nodeIPs: string[];
  /**
   * The node each node IP belongs to, when one proxy serves several nodes (in-process nodes share the
   * host): externalTrafficPolicy Local traffic to node X's IP goes only to endpoints whose nodeName is
   * X. Node IPs not listed (and every other address) use Endpoint.isLocal.
   */
  nodeNames?: Map<string, string>;
}

/** Which kind of address a listener serves; decides the traffic policy that applies. */
export type AddressRole = 'ClusterIP' | 'NodePort' | 'ExternalIP' | 'LoadBalancer' | 'HealthCheck';

export interface BindError {
  servicePortName: ServicePortName;
  role: AddressRole;
  protocol: Protocol;
  address: string;
  port: number;
  /** errno code such as EADDRINUSE or EADDRNOTAVAIL. */
  code: string;
  message: string;
}

/** A sync never throws for per-address problems: it reports them so the caller can emit events and retry. */
export interface SyncResult {
  bindErrors: BindError[];
  /** Listeners open after the sync, as `PROTO/address:port`. */
  listening: string[];
}

export interface EndpointStats {
  servicePortName: ServicePortName;
  protocol: Protocol;
  ip: string;
  port: number;
  activeConnections: number;
  totalConnections: number;
  /** Bytes from clients to the endpoint (ipvsadm InBytes). */
  bytesIn: number;
  /** Bytes from the endpoint back to clients (ipvsadm OutBytes). */
  bytesOut: number;
}

export interface Datapath {
  /** Applies the whole desired state; idempotent; only changed listeners are opened or closed. */
  sync(state: ProxyState): Promise<SyncResult>;
  /** Releases every address and port and ends every proxied connection. */
  close(): Promise<void>;
  stats(): EndpointStats[];
  /**
   * Datapaths that pick endpoints in userspace (userspace, IPVS scheduler) switch schedulers live;
   * kernel datapaths pick at random (`-m statistic` / `numgen random`) and leave these out.
   */
  readonly schedulerName?: SchedulerName;
  setScheduler?(name: SchedulerName): void;
}
