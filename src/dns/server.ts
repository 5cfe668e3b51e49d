// The DNS server: UDP and TCP (2-byte length prefix) on one address and port, answering the cluster
// zone from the record store and relaying every other name to the forwarder.
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server, type Socket as TcpSocket } from 'node:net';
import { errorMessage } from '../util/errors.js';
import { isIPv6, type ListenAddress } from '../util/net.js';
import { rcodes, resolve, type ZoneOptions } from './answer.js';
import type { Forwarder } from './forward.js';
import { queryLogEntry, type DnsQueryLog } from './query-log.js';
import type { RecordStore } from './records.js';
import { buildResponse, errorResponse, maxResponseSize, optOf, parseQuery } from './wire.js';

export interface DnsServerOptions {
  store: RecordStore;
  zone: ZoneOptions;
  /** Whether the informers feeding the store have synced (SERVFAIL for the zone until then). */
  synced: () => boolean;
  forwarder: Forwarder;
  log?: (message: string) => void;
}

const tcpIdleMs = 10_000;

export class DnsServer {
  private readonly udp: Socket[] = [];
  private readonly tcp: Server[] = [];
  private readonly conns = new Set<TcpSocket>();
  private readonly log: (message: string) => void;
  /** Set while someone watches queries (the web view): called once per answered query. */
  queryLog?: DnsQueryLog;

  constructor(private readonly opts: DnsServerOptions) {
    this.log = opts.log ?? (() => {});
  }

  /** Answers one wire-format query; undefined when it is not worth an answer (not a query, too short). */
  async handle(buf: Buffer, tcp: boolean): Promise<Buffer | undefined> {
    const parsed = parseQuery(buf);
    if (!parsed) return undefined;
    if (!parsed.ok) return errorResponse(parsed, rcodes.FORMERR);
    const q = parsed.packet;
    if (q.type === 'response') return undefined;
    if (((q.flags ?? 0) & 0x7800) !== 0) return errorResponse(parsed, rcodes.NOTIMP);
    if (q.questions?.length !== 1) return errorResponse(parsed, rcodes.FORMERR);
    const question = q.questions[0]!;
    try {
      const res = await resolve({ name: question.name, type: question.type }, {
        store: this.opts.store,
        opts: this.opts.zone,
        synced: this.opts.synced(),
        upstream: (name, type) => this.opts.forwarder.lookup(name, type),
      });
      if (res.kind === 'forward') return (await this.opts.forwarder.exchange(buf, tcp)) ?? errorResponse(parsed, rcodes.SERVFAIL);
      return buildResponse({ id: q.id ?? 0, flags: q.flags ?? 0, questions: q.questions, opt: optOf(q) }, res, maxResponseSize(q, tcp));
    } catch (err) {
      this.log(`dns: ${question.name} ${question.type}: ${errorMessage(err)}`);
      return errorResponse(parsed, rcodes.SERVFAIL);
    }
  }

  /** handle() and, when a query log listens, its entry. */
  private async answer(buf: Buffer, tcp: boolean, client: string): Promise<Buffer | undefined> {
    const log = this.queryLog;
    if (!log) return this.handle(buf, tcp);
    const startedAt = Date.now();
    const reply = await this.handle(buf, tcp);
    const entry = queryLogEntry({ query: buf, reply, client, tcp, startedAt, now: Date.now() });
    if (entry) log(entry);
    return reply;
  }

  /** Binds UDP and TCP on the address; returns the port bound. */
  async listen(addr: ListenAddress): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      const udp = createSocket({ type: isIPv6(addr.ip) ? 'udp6' : 'udp4' });
      const port = await new Promise<number>((res, rej) => {
        udp.once('error', rej);
        udp.bind(addr.port, addr.ip, () => res(udp.address().port));
      });
      const tcp = createServer((c) => this.serveTCP(c));
      const ok = await new Promise<boolean>((res, rej) => {
        tcp.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' && addr.port === 0 && attempt < 20 ? res(false) : rej(err)));
        tcp.listen(port, addr.ip, () => res(true));
      }).catch((err: unknown) => {
        udp.close();
        throw err;
      });
      if (!ok) {
        udp.close();
        continue;
      }
      udp.on('error', (err) => this.log(`dns udp ${addr.ip}:${port}: ${errorMessage(err)}`));
      udp.on('message', (msg, rinfo) => {
        void this.answer(msg, false, `${rinfo.address}:${rinfo.port}`).then((reply) => reply && udp.send(reply, rinfo.port, rinfo.address));
      });
      this.udp.push(udp);
      this.tcp.push(tcp);
      return port;
    }
  }

  private serveTCP(conn: TcpSocket): void {
    this.conns.add(conn);
    conn.setTimeout(tcpIdleMs, () => conn.destroy());
    conn.on('close', () => this.conns.delete(conn));
    conn.on('error', () => conn.destroy());
    let buf = Buffer.alloc(0);
    conn.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        void this.answer(Buffer.from(msg), true, `${conn.remoteAddress}:${conn.remotePort}`).then((reply) => {
          if (!reply || conn.destroyed) return;
          const len = Buffer.alloc(2);
          len.writeUInt16BE(reply.length);
          conn.write(Buffer.concat([len, reply]));
        });
      }
    });
  }

  async close(): Promise<void> {
    for (const c of this.conns) c.destroy();
    await Promise.all([
      ...this.udp.map((u) => new Promise<void>((r) => u.close(() => r()))),
      ...this.tcp.map((t) => new Promise<void>((r) => t.close(() => r()))),
    ]);
    this.udp.length = 0;
    this.tcp.length = 0;
  }
}
