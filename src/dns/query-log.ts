// The DNS query-log hook (what CoreDNS' `log` plugin prints), for the web view: one entry per answered
// query. Decoding the reply costs a little, so it happens only while someone listens.
import dnsPacket from 'dns-packet';

export interface DnsQueryLogEntry {
  /** ms since the epoch. */
  time: number;
  /** Where the query came from, as the server saw it (behind the proxy: the client's own address). */
  client: string;
  protocol: 'udp' | 'tcp';
  name: string;
  type: string;
  rcode: string;
  /** Answer records as `TYPE data`. */
  answers: string[];
  durationMs: number;
}

export type DnsQueryLog = (entry: DnsQueryLogEntry) => void;

const rcodeNames = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];

function rdata(a: dnsPacket.Answer): string {
  const d = (a as { data?: unknown }).data;
  if (typeof d === 'string') return d;
  if (a.type === 'SRV' && d && typeof d === 'object') {
    const s = d as { priority?: number; weight?: number; port?: number; target?: string };
    return `${s.priority ?? 0} ${s.weight ?? 0} ${s.port ?? 0} ${s.target ?? ''}`;
  }
  if (Array.isArray(d)) return d.map((x) => (Buffer.isBuffer(x) ? x.toString() : String(x))).join(' ');
  return '';
}

/** The log entry of one query and its reply (undefined when the query does not parse). */
export function queryLogEntry(o: { query: Buffer; reply: Buffer | undefined; client: string; tcp: boolean; startedAt: number; now: number }): DnsQueryLogEntry | undefined {
  let name = '';
  let type = '';
  try {
    const q = dnsPacket.decode(o.query);
    name = q.questions?.[0]?.name ?? '';
    type = q.questions?.[0]?.type ?? '';
  } catch {
    return undefined;
  }
  let rcode = 'NOREPLY';
  let answers: string[] = [];
  if (o.reply) {
    rcode = rcodeNames[o.reply.length >= 4 ? o.reply.readUInt16BE(2) & 0xf : 2] ?? 'RCODE?';
    try {
      answers = (dnsPacket.decode(o.reply).answers ?? []).map((a) => `${a.type} ${rdata(a)}`);
    } catch {
      answers = [];
    }
  }
  return { time: o.now, client: o.client, protocol: o.tcp ? 'tcp' : 'udp', name, type, rcode, answers, durationMs: o.now - o.startedAt };
}
