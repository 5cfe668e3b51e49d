/**
 * Traffic as the view shows it: the last connections (from the datapath's observer), the last DNS
 * queries and ingress requests (from their hooks), and per-endpoint counters with rates computed from
 * the datapath's stats at each tick. Only records; the server decides when to push.
 */
import type { ConnectionClosed, ConnectionObserver, ConnectionOpened } from '../proxy/observe.js';
import type { EndpointStats } from '../proxy/types.js';
import { joinHostPort } from '../util/net.js';

/** A connection row of the "last connections" table. */
export interface ConnectionRow {
  id: number;
  time: number;
  protocol: string;
  client: string;
  dialled: string;
  role: string;
  servicePortName: string;
  endpoint: string;
  /** `random`, `rr`, ... or `affinity`; with ` (Local)` when a Local traffic policy narrowed the choice. */
  reason: string;
  open: boolean;
  bytesIn: number;
  bytesOut: number;
  durationMs?: number;
}

export interface EndpointTraffic {
  servicePortName: string;
  protocol: string;
  endpoint: string;
  active: number;
  total: number;
  bytesIn: number;
  bytesOut: number;
  /** Per second, over the last second or so. */
  connRate: number;
  byteRate: number;
}

/** Something that keeps the newest `max` items. */
export class Ring<T> {
  private items: T[] = [];
  constructor(private readonly max: number) {}
  push(x: T): void {
    this.items.push(x);
    if (this.items.length > this.max * 2) this.items = this.items.slice(-this.max);
  }
  list(): T[] {
    return this.items.slice(-this.max);
  }
}

export function reasonText(ev: Pick<ConnectionOpened, 'reason' | 'localPolicy'>): string {
  const base = ev.reason.kind === 'affinity' ? 'affinity' : ev.reason.scheduler;
  return ev.localPolicy ? `${base} (Local)` : base;
}

export class TrafficRecorder implements ConnectionObserver {
  readonly connections = new Ring<ConnectionRow>(200);
  private readonly open = new Map<number, ConnectionRow>();
  /** Rows opened or closed since the last drain (pushed to the browsers). */
  private changed = new Map<number, ConnectionRow>();
  private samples: Array<{ at: number; stats: Map<string, EndpointStats> }> = [];
  private current: EndpointTraffic[] = [];

  /** UDP flows the proxy opened to cluster DNS, not yet matched to a query (see dnsClient). */
  private dnsFlows: ConnectionRow[] = [];
  /** The proxy's upstream address of a DNS flow (what the DNS server sees) → the flow's real client. */
  private readonly dnsVia = new Map<string, string>();

  opened(ev: ConnectionOpened): void {
    if (ev.protocol === 'UDP' && ev.servicePortName.startsWith('kube-system/kube-dns')) {
      this.dnsFlows.push({ client: joinHostPort(ev.clientIP, ev.clientPort), time: ev.time } as ConnectionRow);
      if (this.dnsFlows.length > 50) this.dnsFlows.shift();
    }
    const row: ConnectionRow = {
      id: ev.id, time: ev.time, protocol: ev.protocol, client: joinHostPort(ev.clientIP, ev.clientPort), dialled: joinHostPort(ev.dialledIP, ev.dialledPort),
      role: ev.role, servicePortName: ev.servicePortName, endpoint: ev.endpoint, reason: reasonText(ev), open: true, bytesIn: 0, bytesOut: 0,
    };
    this.open.set(ev.id, row);
    this.connections.push(row);
    this.changed.set(ev.id, row);
  }

  closed(ev: ConnectionClosed): void {
    const row = this.open.get(ev.id);
    if (!row) return;
    this.open.delete(ev.id);
    row.open = false;
    row.bytesIn = ev.bytesIn;
    row.bytesOut = ev.bytesOut;
    row.durationMs = ev.time - row.time;
    this.changed.set(ev.id, row);
  }

  /**
   * Who really asked: a query through the kube-dns ClusterIP reaches the DNS server from the proxy's own
   * socket, so the first query from a new proxy address is matched to the oldest DNS flow opened just
   * before it (within 2 s), and later queries from that address to the same client. Undefined when the
   * query did not come through the proxy (or nothing matches).
   */
  dnsClient(seenAs: string, time: number): string | undefined {
    const known = this.dnsVia.get(seenAs);
    if (known) return known;
    this.dnsFlows = this.dnsFlows.filter((f) => time - f.time <= 2000);
    const flow = this.dnsFlows.shift();
    if (!flow) return undefined;
    this.dnsVia.set(seenAs, flow.client);
    if (this.dnsVia.size > 500) this.dnsVia.delete(this.dnsVia.keys().next().value!);
    return flow.client;
  }

  /** Rows that changed since the last call. */
  drainConnections(): ConnectionRow[] {
    if (this.changed.size === 0) return [];
    const rows = [...this.changed.values()].map((r) => ({ ...r }));
    this.changed = new Map();
    return rows;
  }

  /** Takes a stats sample; rates are over the window of samples kept (about one second). */
  sample(stats: EndpointStats[], now: number, windowMs = 1000): EndpointTraffic[] {
    const map = new Map(stats.map((s) => [`${s.servicePortName}|${s.protocol}|${joinHostPort(s.ip, s.port)}`, s]));
    this.samples.push({ at: now, stats: map });
    while (this.samples.length > 2 && now - this.samples[1]!.at >= windowMs) this.samples.shift();
    const first = this.samples[0]!;
    const dt = (now - first.at) / 1000;
    this.current = [...map].map(([key, s]) => {
      const old = first.stats.get(key);
      const rate = (a: number, b: number | undefined) => (dt > 0 && b !== undefined ? Math.max(0, (a - b) / dt) : 0);
      return {
        servicePortName: s.servicePortName, protocol: s.protocol, endpoint: joinHostPort(s.ip, s.port), active: s.activeConnections, total: s.totalConnections,
        bytesIn: s.bytesIn, bytesOut: s.bytesOut, connRate: rate(s.totalConnections, old?.totalConnections),
        byteRate: rate(s.bytesIn + s.bytesOut, old === undefined ? undefined : old.bytesIn + old.bytesOut),
      };
    });
    return this.current;
  }

  endpoints(): EndpointTraffic[] {
    return this.current;
  }
}
