import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import dnsPacket, { type DecodedPacket, type RecordType } from 'dns-packet';
import type { ZoneOptions } from './answer.js';
import { Forwarder, nameserversFromResolvConf } from './forward.js';
import { DnsServer } from './server.js';
import { fixtureStore, slice, svc } from './testing.js';

const zone: ZoneOptions = { zone: 'cluster.local', ttl: 5, pods: 'insecure', nsIPs: ['10.0.0.10'] };

function query(name: string, type: string, opts: { id?: number; edns?: number } = {}): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id: opts.id ?? 4242,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type: type as RecordType, class: 'IN' }],
    additionals: opts.edns ? [{ type: 'OPT', name: '.', udpPayloadSize: opts.edns, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }] : [],
  });
}

function udpAsk(port: number, msg: Buffer, timeoutMs = 3000): Promise<DecodedPacket & { rcode?: string }> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    const t = setTimeout(() => (s.close(), reject(new Error('no UDP answer'))), timeoutMs);
    s.on('message', (m) => {
      clearTimeout(t);
      s.close();
      resolve(dnsPacket.decode(m));
    });
    s.send(msg, port, '127.0.0.1');
  });
}

function tcpAsk(port: number, msg: Buffer): Promise<DecodedPacket & { rcode?: string }> {
  return new Promise((resolve, reject) => {
    const c = connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    c.on('error', reject);
    c.on('connect', () => c.write(dnsPacket.streamEncode({ ...dnsPacket.decode(msg) })));
    c.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        c.destroy();
        resolve(dnsPacket.decode(buf.subarray(2)));
      }
    });
  });
}

/** A fake upstream resolver on 127.0.0.1 answering every A question with 192.0.2.7. */
async function fakeUpstream(): Promise<{ port: number; sock: Socket; seen: string[] }> {
  const sock = createSocket('udp4');
  const seen: string[] = [];
  sock.on('message', (m, r) => {
    const q = dnsPacket.decode(m);
    seen.push(q.questions![0]!.name);
    const reply = dnsPacket.encode({ type: 'response', id: q.id, flags: dnsPacket.RECURSION_AVAILABLE, questions: q.questions, answers: [{ type: 'A', name: q.questions![0]!.name, ttl: 60, data: '192.0.2.7' }] });
    sock.send(reply, r.port, r.address);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  return { port: sock.address().port, sock, seen };
}

describe('DNS server over UDP and TCP', () => {
  let server: DnsServer;
  let port: number;
  let upstream: Awaited<ReturnType<typeof fakeUpstream>>;
  let synced = false;
  const store = fixtureStore();

  before(async () => {
    upstream = await fakeUpstream();
    const big: Parameters<typeof slice>[3] = [];
    for (let i = 1; i <= 60; i++) big.push({ ip: `172.1.0.${i}` });
    store.setService(svc('testns', 'big', { clusterIP: 'None', clusterIPs: ['None'], ports: [{ name: 'http', port: 80 }] }));
    store.setEndpointSlice(slice('testns', 'big', 'big-1', big, [{ name: 'http', port: 80, protocol: 'TCP' }]));
    server = new DnsServer({ store, zone, synced: () => synced, forwarder: new Forwarder({ upstreams: [{ host: '127.0.0.1', port: upstream.port }], timeoutMs: 500 }) });
    port = await server.listen({ ip: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await server.close();
    upstream.sock.close();
  });

  it('answers SERVFAIL for the zone until synced', async () => {
    const r = await udpAsk(port, query('svc1.testns.svc.cluster.local', 'A'));
    assert.equal(r.rcode, 'SERVFAIL');
    synced = true;
  });

  it('answers A over UDP, authoritative, without RA, RD copied, same id', async () => {
    const r = await udpAsk(port, query('svc1.testns.svc.cluster.local', 'A', { id: 777 }));
    assert.equal(r.id, 777);
    assert.equal(r.rcode, 'NOERROR');
    assert.equal(r.flag_aa, true);
    assert.equal(r.flag_rd, true);
    assert.equal(r.flag_ra, false);
    assert.deepEqual(r.answers!.map((a) => [a.name, a.type, (a as { data: string }).data]), [['svc1.testns.svc.cluster.local', 'A', '10.0.0.1']]);
  });

  it('answers NXDOMAIN with the SOA in the authority section', async () => {
    const r = await udpAsk(port, query('nope.testns.svc.cluster.local', 'A'));
    assert.equal(r.rcode, 'NXDOMAIN');
    assert.equal(r.answers!.length, 0);
    assert.equal(r.authorities![0]!.type, 'SOA');
    assert.equal(r.authorities![0]!.name, 'cluster.local');
  });

  it('answers over TCP with the length prefix', async () => {
    const r = await tcpAsk(port, query('_http._tcp.svc1.testns.svc.cluster.local', 'SRV'));
    assert.equal(r.rcode, 'NOERROR');
    assert.deepEqual(r.answers!.map((a) => (a as { data: unknown }).data), [{ priority: 0, weight: 100, port: 80, target: 'svc1.testns.svc.cluster.local' }]);
  });

  it('truncates UDP answers over 512 bytes (TC) unless EDNS0 allows more; TCP gets everything', async () => {
    const small = await udpAsk(port, query('big.testns.svc.cluster.local', 'A'));
    assert.equal(small.flag_tc, true);
    assert.ok(small.answers!.length > 0 && small.answers!.length < 60);
    const edns = await udpAsk(port, query('big.testns.svc.cluster.local', 'A', { edns: 4096 }));
    assert.equal(edns.flag_tc, false);
    assert.equal(edns.answers!.length, 60);
    assert.equal(edns.additionals!.find((a) => a.type === 'OPT')?.type, 'OPT');
    const tcp = await tcpAsk(port, query('big.testns.svc.cluster.local', 'A'));
    assert.equal(tcp.flag_tc, false);
    assert.equal(tcp.answers!.length, 60);
  });

  it('forwards other names to the upstream and relays its answer', async () => {
    const r = await udpAsk(port, query('www.example.test', 'A', { id: 99 }));
    assert.equal(r.id, 99);
    assert.deepEqual(r.answers!.map((a) => (a as { data: string }).data), ['192.0.2.7']);
    assert.ok(upstream.seen.includes('www.example.test'));
  });

  it('completes ExternalName A answers through the upstream', async () => {
    const r = await udpAsk(port, query('external.testns.svc.cluster.local', 'A'));
    assert.deepEqual(r.answers!.map((a) => `${a.type} ${(a as { data: string }).data}`), ['CNAME ext.interwebs.test', 'A 192.0.2.7']);
  });

  it('answers FORMERR to a malformed query', async () => {
    const bad = Buffer.from(query('x.test', 'A'));
    const r = await udpAsk(port, Buffer.concat([bad.subarray(0, 12), Buffer.from([0x3f, 0x41])]));
    assert.equal(r.rcode, 'FORMERR');
  });
});

describe('forwarding without a reachable upstream', () => {
  it('answers SERVFAIL within the bounded timeout', async () => {
    // a bound socket that never answers stands in for an unreachable resolver
    const silent = createSocket('udp4');
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
    const server = new DnsServer({ store: fixtureStore(), zone, synced: () => true, forwarder: new Forwarder({ upstreams: [{ host: '127.0.0.1', port: silent.address().port }], timeoutMs: 300 }) });
    const port = await server.listen({ ip: '127.0.0.1', port: 0 });
    try {
      const start = performance.now();
      const r = await udpAsk(port, query('www.example.test', 'A'));
      assert.equal(r.rcode, 'SERVFAIL');
      assert.ok(performance.now() - start < 2000);
      const none = new DnsServer({ store: fixtureStore(), zone, synced: () => true, forwarder: new Forwarder({ upstreams: [] }) });
      assert.equal((dnsPacket.decode((await none.handle(query('www.example.test', 'A'), false))!) as { rcode?: string }).rcode, 'SERVFAIL');
    } finally {
      await server.close();
      silent.close();
    }
  });

  it('reads nameservers from resolv.conf', () => {
    assert.deepEqual(nameserversFromResolvConf('# c\nsearch a b\nnameserver 10.0.0.53\nnameserver  fe80::1%eth0\nnameserver bogus\noptions ndots:5\n'), ['10.0.0.53', 'fe80::1%eth0']);
  });
});
