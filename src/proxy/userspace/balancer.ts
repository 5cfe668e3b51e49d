import type { Clock } from '../../util/clock.js';
import { newScheduler, type RealServer, type Scheduler, type SchedulerName, type SchedulerOptions } from '../schedulers/index.js';
import { categorizeEndpoints, externalPolicyLocal, internalPolicyLocal, usesLocalEndpoints } from '../topology.js';
import {
  endpointString, type AddressRole, type Endpoint, type EndpointStats, type ServicePortInfo, type ServicePortName,
} from '../types.js';
import type { ChoiceReason, ConnectionObserver } from '../observe.js';
import { AffinityTable } from './affinity.js';

/** A spliced TCP connection: its bytes are read from the sockets' own counters when stats are taken. */
export interface SplicedSockets {
  readonly client: { readonly bytesRead: number };
  readonly upstream: { readonly bytesRead: number };
}

/**
 * Live counters of one endpoint of one service port (ipvsadm --stats). Plain integers bumped once per
 * connection (UDP: per datagram); TCP bytes cost nothing per chunk: open connections' sockets are summed
 * in stats(), and their totals are added here when they end.
 */
export class EndpointCounters {
  activeConnections = 0;
  totalConnections = 0;
  /** Bytes of ended TCP connections and of UDP datagrams; stats() adds the open connections'. */
  bytesIn = 0;
  bytesOut = 0;
  readonly spliced = new Set<SplicedSockets>();
  /** False once a sync removed the endpoint; the counters live on until its connections end. */
  present = true;
  constructor(readonly key: string, readonly ip: string, readonly port: number, public weight: number) {}
}

export interface ChooseRequest {
  role: AddressRole;
  /** The node whose IP was dialled (NodePort), for per-node externalTrafficPolicy Local. */
  nodeName?: string;
  clientIP: string;
  clientPort: number;
  destIP: string;
  /** Endpoints that already failed to dial for this connection. */
  exclude?: ReadonlySet<string>;
}

export interface BalancerOptions {
  clock: Clock;
  scheduler: SchedulerName;
  schedulerOptions?: SchedulerOptions;
}

/** One service port's load balancer: endpoint categories, scheduler, affinity and counters. */
export class ServiceBalancer {
  private info!: ServicePortInfo;
  private cluster: EndpointCounters[] = [];
  private local: EndpointCounters[] = [];
  /** Local endpoints as seen from each node's IP (ProxyState.nodeNames). */
  private localByNode = new Map<string, EndpointCounters[]>();
  private hasAny = false;
  /** The inputs of the last update (same arrays when the proxy's trackers saw no change). */
  private lastEndpoints: readonly Endpoint[] | undefined;
  private lastNodes = '';
  /** Counters of removed endpoints with connections still open, dropped by a later update. */
  private retiring = false;
  private readonly counters = new Map<string, EndpointCounters>();
  private scheduler: Scheduler;
  private readonly affinity: AffinityTable;
  private schedulerName: SchedulerName;
  /** Set while someone watches traffic (the web view); listeners report connections to it. */
  observer?: ConnectionObserver;
  /** Why the last choose() picked what it did (read right after it by an observing listener). */
  lastReason: ChoiceReason;
  /** Whether the last choose() was limited to local endpoints by a traffic policy. */
  lastLocal = false;

  constructor(readonly name: ServicePortName, private readonly opts: BalancerOptions) {
    this.scheduler = newScheduler(opts.scheduler, opts.schedulerOptions);
    this.schedulerName = opts.scheduler;
    this.lastReason = { kind: 'scheduler', scheduler: opts.scheduler };
    this.affinity = new AffinityTable(opts.clock, 0);
  }

  get service(): ServicePortInfo {
    return this.info;
  }

  /** A new scheduler (kube-proxy configuration changed); open connections and counters stay. */
  setScheduler(name: SchedulerName): void {
    this.scheduler = newScheduler(name, this.opts.schedulerOptions);
    this.schedulerName = name;
  }

  update(info: ServicePortInfo, endpoints: readonly Endpoint[], nodeNames: readonly string[] = []): void {
    // a sync that changed other Services: nothing to redo here (unless removed endpoints' counters wait to be dropped)
    const nodes = nodeNames.join(',');
    if (info === this.info && endpoints === this.lastEndpoints && nodes === this.lastNodes && !this.retiring) return;
    this.lastEndpoints = endpoints;
    this.lastNodes = nodes;
    this.info = info;
    this.affinity.setTimeout(info.sessionAffinity.timeoutSeconds * 1000);
    const cat = categorizeEndpoints(endpoints, info);
    this.hasAny = cat.hasAnyEndpoints;
    for (const c of this.counters.values()) c.present = false;
    const track = (eps: Endpoint[]) =>
      eps
        .map((ep) => {
          const key = endpointString(ep);
          const weight = ep.weight ?? 1;
          let c = this.counters.get(key);
          if (!c) this.counters.set(key, (c = new EndpointCounters(key, ep.ip, ep.port, weight)));
          c.weight = weight;
          c.present = true;
          return c;
        })
        .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)); // stable order for rr/dh/sh
    this.cluster = track(cat.clusterEndpoints);
    this.local = track(cat.localEndpoints);
    this.localByNode.clear();
    if (usesLocalEndpoints(info)) {
      for (const node of nodeNames) {
        const perNode = categorizeEndpoints(endpoints.map((ep) => ({ ...ep, isLocal: ep.nodeName === node })), info);
        this.localByNode.set(node, track(perNode.localEndpoints));
      }
    }
    this.retiring = false;
    for (const [key, c] of this.counters) {
      if (!c.present && c.activeConnections === 0) this.counters.delete(key);
      else if (!c.present) this.retiring = true;
    }
    this.affinity.retain(new Set([...this.cluster, ...this.local, ...[...this.localByNode.values()].flat()].map((c) => c.key)));
  }

  /** Whether the Service has usable endpoints anywhere (otherwise traffic is rejected). */
  get hasEndpoints(): boolean {
    return this.hasAny;
  }

  /** Endpoints that traffic arriving on an address of this role may use. */
  candidates(role: AddressRole, nodeName?: string): EndpointCounters[] {
    const local = role === 'ClusterIP' ? internalPolicyLocal(this.info) : externalPolicyLocal(this.info);
    this.lastLocal = local;
    if (!local) return this.cluster;
    return (nodeName !== undefined ? this.localByNode.get(nodeName) : undefined) ?? this.local;
  }

  isCandidate(key: string): boolean {
    const c = this.counters.get(key);
    return c !== undefined && c.present;
  }

  /** Unique local ready endpoint IPs, as kube-proxy's health check counts them. */
  localReadyIPs(nodeName?: string): string[] {
    return ((nodeName !== undefined ? this.localByNode.get(nodeName) : undefined) ?? this.local).map((c) => c.ip);
  }

  choose(req: ChooseRequest): EndpointCounters | undefined {
    const all = this.candidates(req.role, req.nodeName);
    const usable = req.exclude?.size ? all.filter((c) => !req.exclude!.has(c.key)) : all;
    if (usable.length === 0) return undefined;
    const pinning = this.info.sessionAffinity.type === 'ClientIP';
    if (pinning) {
      const pinned = this.affinity.lookup(req.clientIP);
      const hit = pinned === undefined ? undefined : usable.find((c) => c.key === pinned);
      if (hit) {
        this.affinity.record(req.clientIP, hit.key);
        if (this.observer) this.lastReason = { kind: 'affinity' };
        return hit;
      }
    }
    const servers: RealServer[] = usable.map((c) => ({
      key: c.key, ip: c.ip, port: c.port, weight: c.weight, activeConns: c.activeConnections, inactiveConns: 0,
    }));
    const picked = this.scheduler.pick(servers, req);
    const r = this.lastReason;
    if (this.observer && (r.kind !== 'scheduler' || r.scheduler !== this.schedulerName)) this.lastReason = { kind: 'scheduler', scheduler: this.schedulerName };
    const chosen = picked && usable.find((c) => c.key === picked.key);
    if (chosen && pinning) this.affinity.record(req.clientIP, chosen.key);
    return chosen;
  }

  /** A dial to the pinned endpoint failed: let the next attempt choose afresh (as the userspace proxier did). */
  dialFailed(clientIP: string): void {
    this.affinity.forget(clientIP);
  }

  /** `sockets`: a TCP connection, whose bytes are read from its sockets (see EndpointCounters). */
  connectionOpened(c: EndpointCounters, sockets?: SplicedSockets): void {
    c.activeConnections++;
    c.totalConnections++;
    if (sockets) c.spliced.add(sockets);
  }

  connectionClosed(c: EndpointCounters, sockets?: SplicedSockets): void {
    c.activeConnections--;
    if (sockets && c.spliced.delete(sockets)) {
      c.bytesIn += sockets.client.bytesRead;
      c.bytesOut += sockets.upstream.bytesRead;
    }
    if (!c.present && c.activeConnections === 0 && this.counters.get(c.key) === c) this.counters.delete(c.key);
  }

  stats(): EndpointStats[] {
    return [...this.counters.values()].map((c) => {
      let bytesIn = c.bytesIn;
      let bytesOut = c.bytesOut;
      for (const s of c.spliced) {
        bytesIn += s.client.bytesRead;
        bytesOut += s.upstream.bytesRead;
      }
      return {
        servicePortName: this.name, protocol: this.info.protocol, ip: c.ip, port: c.port,
        activeConnections: c.activeConnections, totalConnections: c.totalConnections, bytesIn, bytesOut,
      };
    });
  }
}
