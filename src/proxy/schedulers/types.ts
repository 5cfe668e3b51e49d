/**
 * Scheduler vocabulary, as IPVS names it: a virtual service picks one of its real servers per new
 * connection. Schedulers are pure apart from their own rotation state; the datapath supplies the
 * connection counts.
 */
export interface RealServer {
  /** Stable identity across syncs, e.g. `ip:port`. */
  readonly key: string;
  readonly ip: string;
  readonly port: number;
  /** Default 1; 0 quiesces the server (no new connections), as in ipvsadm. */
  readonly weight: number;
  readonly activeConns: number;
  readonly inactiveConns: number;
}

export interface ScheduleRequest {
  clientIP: string;
  clientPort: number;
  /** The address the client dialled (the VIP), used by dh and lblc. */
  destIP: string;
}

export interface Scheduler {
  readonly name: SchedulerName;
  /** The chosen server, or undefined when none is available (all weights 0, or dh/sh bucket unavailable). */
  pick(servers: readonly RealServer[], req: ScheduleRequest): RealServer | undefined;
}

export const schedulerNames = ['random', 'rr', 'wrr', 'lc', 'wlc', 'sed', 'nq', 'dh', 'sh', 'lblc'] as const;
export type SchedulerName = (typeof schedulerNames)[number];

export function isSchedulerName(s: string): s is SchedulerName {
  return (schedulerNames as readonly string[]).includes(s);
}

/** ip_vs_dest_conn_overhead: active connections weigh 256 times an inactive one. */
export function connOverhead(s: RealServer): number {
  return s.activeConns * 256 + s.inactiveConns;
}

/** IPv4 address as an unsigned 32-bit number; IPv6 folds its four words with xor, as IPVS does. */
export function addrFold(ip: string): number {
  if (!ip.includes(':')) {
    const p = ip.split('.').map(Number);
    return (((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0);
  }
  const words = expandIPv6(ip);
  let fold = 0;
  for (let i = 0; i < 8; i += 2) fold ^= ((words[i] << 16) | words[i + 1]) >>> 0;
  return fold >>> 0;
}

function expandIPv6(ip: string): number[] {
  const [head, tail] = ip.split('::');
  const parse = (s: string | undefined) => (s ? s.split(':').flatMap((w) => (w.includes('.') ? v4Words(w) : [parseInt(w, 16)])) : []);
  const h = parse(head);
  const t = tail === undefined ? [] : parse(tail);
  return [...h, ...new Array(Math.max(0, 8 - h.length - t.length)).fill(0), ...t];
}

function v4Words(s: string): number[] {
  const n = addrFold(s);
  return [n >>> 16, n & 0xffff];
}
