// Forwarding of names outside the cluster zone to the host's resolvers (CoreDNS `forward . /etc/resolv.conf`),
// with one bounded deadline per query so an unreachable upstream turns into SERVFAIL, never a hang.
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import dnsPacket, { type Answer, type RecordType } from 'dns-packet';
import { isIP, isIPv6 } from '../util/net.js';

export interface Upstream {
  host: string;
  port: number;
}

/** `nameserver` lines of a resolv.conf (IP literals only, in order). */
export function nameserversFromResolvConf(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (m && isIP(m[1]!.split('%')[0]!)) out.push(m[1]!);
  }
  return out;
}

/** The host's resolvers (port 53), or [] when resolv.conf cannot be read. */
export function hostUpstreams(path = '/etc/resolv.conf'): Upstream[] {
  try {
    return nameserversFromResolvConf(readFileSync(path, 'utf8')).map((host) => ({ host, port: 53 }));
  } catch {
    return [];
  }
}

export interface ForwarderOptions {
  upstreams: Upstream[];
  /** Total time one query may take over all upstreams (default 2000 ms). */
  timeoutMs?: number;
}

export class Forwarder {
  private readonly timeoutMs: number;

  constructor(private readonly opts: ForwarderOptions) {
    this.timeoutMs = opts.timeoutMs ?? 2000;
  }

  get upstreams(): readonly Upstream[] {
    return this.opts.upstreams;
  }

  /** Sends the query as-is to each upstream in turn; the first reply wins. Undefined when none answered in time. */
  async exchange(query: Buffer, tcp: boolean): Promise<Buffer | undefined> {
    const deadline = performance.now() + this.timeoutMs;
    const ups = this.opts.upstreams;
    for (let i = 0; i < ups.length; i++) {
      const left = deadline - performance.now();
      if (left <= 0) break;
      const budget = left / (ups.length - i);
      const reply = await (tcp ? exchangeTCP(query, ups[i]!, budget) : exchangeUDP(query, ups[i]!, budget)).catch(() => undefined);
      if (reply) return reply;
    }
    return undefined;
  }

  /** A fresh recursive query for `name` (used to complete ExternalName CNAMEs); undefined on failure. */
  async lookup(name: string, type: 'A' | 'AAAA'): Promise<Answer[] | undefined> {
    const id = Math.floor(Math.random() * 65536);
    const query = dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type: type as RecordType, class: 'IN' }] });
    const reply = await this.exchange(query, false);
    if (!reply) return undefined;
    try {
      const p = dnsPacket.decode(reply);
      return (p.flags ?? 0) & 0xf ? undefined : p.answers ?? [];
    } catch {
      return undefined;
    }
  }
}

function exchangeUDP(query: Buffer, up: Upstream, timeoutMs: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const sock = createSocket(isIPv6(up.host) ? 'udp6' : 'udp4');
    const id = query.readUInt16BE(0);
    const done = (v: Buffer | undefined) => {
      clearTimeout(timer);
      sock.close();
      resolve(v);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    sock.on('error', () => done(undefined));
    sock.on('message', (msg) => {
      if (msg.length >= 12 && msg.readUInt16BE(0) === id) done(msg);
    });
    // a connected socket reports ICMP port-unreachable as an error at once
    sock.connect(up.port, up.host, () => sock.send(query, (err) => err && done(undefined)));
  });
}

function exchangeTCP(query: Buffer, up: Upstream, timeoutMs: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const sock = connect({ host: up.host, port: up.port });
    let buf = Buffer.alloc(0);
    const done = (v: Buffer | undefined) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    sock.on('error', () => done(undefined));
    sock.on('close', () => done(undefined));
    sock.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(query.length);
      sock.write(Buffer.concat([len, query]));
    });
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) done(buf.subarray(2, 2 + buf.readUInt16BE(0)));
    });
  });
}
