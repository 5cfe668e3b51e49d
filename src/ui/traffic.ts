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

/** One connection as the datapath reported it; formatted into a row only when a page asks. */
interface Slot {
  opened?: ConnectionOpened;
  closed?: ConnectionClosed;
  /** Opened or closed since the last drain. */
  dirty: boolean;
}

/**
 * The last connections, indexed by id (the process's ids are sequential, so id modulo the size is the
 * newest slot): recording is a store into an array, no strings or maps per connection.
 */
class ConnectionLog {
  /** Made once and reused: recording allocates nothing. */
  private readonly slots: Slot[];
  private newest = 0;
  private dirty = 0;
  constructor(private readonly keep: number) {
    this.slots = Array.from({ length: keep * 2 }, () => ({ dirty: false }));
  }

  opened(ev: ConnectionOpened): void {
    const s = this.slots[ev.id % this.slots.length]!;
    if (!s.dirty) this.dirty++;
    s.opened = ev;
    s.closed = undefined;
    s.dirty = true;
    if (ev.id > this.newest) this.newest = ev.id;
  }

  closed(ev: ConnectionClosed): void {
    const s = this.slots[ev.id % this.slots.length]!;
    if (s.opened?.id !== ev.id || s.closed) return;
    s.closed = ev;
    if (!s.dirty) this.dirty++;
    s.dirty = true;
  }

  /** The newest `keep` slots, oldest first. */
  private recent(): Slot[] {
    const out: Slot[] = [];
    for (let id = Math.max(1, this.newest - this.slots.length + 1); id <= this.newest; id++) {
      const s = this.slots[id % this.slots.length]!;
      if (s.opened?.id === id) out.push(s);
    }
    return out.slice(-this.keep);
  }

  list(): ConnectionRow[] {
    return this.recent().map(row);
  }

  /** Rows opened or closed since the last call, of the newest `keep` (a page shows no more). */
  drain(): ConnectionRow[] {
    if (this.dirty === 0) return [];
    const out = this.recent().filter((s) => s.dirty).map(row);
    for (const s of this.slots) s.dirty = false;
    this.dirty = 0;
    return out;
  }
}

function row(s: Slot): ConnectionRow {
  const ev = s.opened!;
  const closed = s.closed;
  const r: ConnectionRow = {
    id: ev.id, time: ev.time, protocol: ev.protocol, client: joinHostPort(ev.clientIP, ev.clientPort), dialled: joinHostPort(ev.dialledIP, ev.dialledPort),
    role: ev.role, servicePortName: ev.servicePortName, endpoint: ev.endpoint, reason: reasonText(ev), open: !closed,
    bytesIn: closed?.bytesIn ?? 0, bytesOut: closed?.bytesOut ?? 0,
  };
  if (closed) r.durationMs = closed.time - ev.time;
  return r;
}

/** The observer a page's presence installs: it only stores the datapath's events (see observe.ts). */
export class TrafficRecorder implements ConnectionObserver {
  readonly connections = new ConnectionLog(200);
  private samples: Array<{ at: number; stats: Map<string, EndpointStats> }> = [];
  private current: EndpointTraffic[] = [];

  /** UDP flows the proxy opened to cluster DNS, not yet matched to a query (see dnsClient). */
  private dnsFlows: Array<{ client: string; time: number }> = [];
  /** The proxy's upstream address of a DNS flow (what the DNS server sees) → the flow's real client. */
  private readonly dnsVia = new Map<string, string>();

  opened(ev: ConnectionOpened): void {
    if (ev.protocol === 'UDP' && ev.servicePortName.startsWith('kube-system/kube-dns')) {
      this.dnsFlows.push({ client: joinHostPort(ev.clientIP, ev.clientPort), time: ev.time });
      if (this.dnsFlows.length > 50) this.dnsFlows.shift();
    }
    this.connections.opened(ev);
  }

  closed(ev: ConnectionClosed): void {
    this.connections.closed(ev);
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
    return this.connections.drain();
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
