import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Answer } from 'dns-packet';
import { resolve, type ResolveContext, type UpstreamLookup, type ZoneOptions } from './answer.js';
import { reverseName } from './names.js';
import { fixtureStore } from './testing.js';

const zone: ZoneOptions = { zone: 'cluster.local', ttl: 5, pods: 'insecure', nsIPs: ['10.0.0.10'] };
const SOA = 'cluster.local 5 SOA ns.dns.cluster.local hostmaster.cluster.local 1499347823 7200 1800 86400 5';

function text(a: Answer): string {
  const d = (a as { data: unknown }).data as Record<string, unknown> | string;
  let data: string;
  if (a.type === 'SRV') data = `${(d as Record<string, unknown>).priority} ${(d as Record<string, unknown>).weight} ${(d as Record<string, unknown>).port} ${(d as Record<string, unknown>).target}`;
  else if (a.type === 'SOA') {
    const s = d as Record<string, unknown>;
    data = `${s.mname} ${s.rname} ${s.serial} ${s.refresh} ${s.retry} ${s.expire} ${s.minimum}`;
  } else data = String(d);
  return `${a.name} ${(a as { ttl: number }).ttl} ${a.type} ${data}`;
}

interface Got {
  rcode: string;
  answers: string[];
  ns: string[];
  extra: string[];
}

async function ask(name: string, type: string, over: Partial<ResolveContext> = {}): Promise<Got | 'forward'> {
  const res = await resolve({ name, type }, { store: fixtureStore(), opts: zone, synced: true, ...over });
  if (res.kind === 'forward') return 'forward';
  const rcode = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN'][res.rcode]!;
  return { rcode, answers: res.answers.map(text), ns: res.authorities.map(text), extra: res.additionals.map(text) };
}

const ok = (answers: string[], extra: string[] = []): Got => ({ rcode: 'NOERROR', answers, ns: [], extra });
const nodata: Got = { rcode: 'NOERROR', answers: [], ns: [SOA], extra: [] };
const nxdomain: Got = { rcode: 'NXDOMAIN', answers: [], ns: [SOA], extra: [] };

describe('cluster zone answers (CoreDNS kubernetes plugin)', () => {
  const cases: Array<[string, string, Got]> = [
    ['svc1.testns.svc.cluster.local.', 'A', ok(['svc1.testns.svc.cluster.local 5 A 10.0.0.1'])],
    ['SVC1.TestNS.svc.Cluster.Local.', 'A', ok(['SVC1.TestNS.svc.Cluster.Local 5 A 10.0.0.1'])],
    ['svc1.testns.svc.cluster.local.', 'SRV', ok(['svc1.testns.svc.cluster.local 5 SRV 0 100 80 svc1.testns.svc.cluster.local'], ['svc1.testns.svc.cluster.local 5 A 10.0.0.1'])],
    ['_http._tcp.svc1.testns.svc.cluster.local.', 'SRV', ok(['_http._tcp.svc1.testns.svc.cluster.local 5 SRV 0 100 80 svc1.testns.svc.cluster.local'], ['svc1.testns.svc.cluster.local 5 A 10.0.0.1'])],
    ['_http._udp.svc1.testns.svc.cluster.local.', 'SRV', nxdomain],
    ['_nope._tcp.svc1.testns.svc.cluster.local.', 'SRV', nxdomain],
    [
      'multi.testns.svc.cluster.local.',
      'SRV',
      ok(
        ['multi.testns.svc.cluster.local 5 SRV 0 33 80 multi.testns.svc.cluster.local', 'multi.testns.svc.cluster.local 5 SRV 0 33 53 multi.testns.svc.cluster.local', 'multi.testns.svc.cluster.local 5 SRV 0 33 8080 multi.testns.svc.cluster.local'],
        ['multi.testns.svc.cluster.local 5 A 10.0.0.5'],
      ),
    ],
    ['_dns._udp.multi.testns.svc.cluster.local.', 'SRV', ok(['_dns._udp.multi.testns.svc.cluster.local 5 SRV 0 100 53 multi.testns.svc.cluster.local'], ['multi.testns.svc.cluster.local 5 A 10.0.0.5'])],
    ['hdls1.testns.svc.cluster.local.', 'A', ok(['172.0.0.2', '172.0.0.3', '172.0.0.4', '172.0.0.5'].map((ip) => `hdls1.testns.svc.cluster.local 5 A ${ip}`))],
    ['hdls1.testns.svc.cluster.local.', 'AAAA', ok(['5678:abcd::1', '5678:abcd::2'].map((ip) => `hdls1.testns.svc.cluster.local 5 AAAA ${ip}`))],
    ['hdlsprtls.testns.svc.cluster.local.', 'A', ok(['hdlsprtls.testns.svc.cluster.local 5 A 172.0.0.20'])],
    ['172-0-0-20.hdlsprtls.testns.svc.cluster.local.', 'A', ok(['172-0-0-20.hdlsprtls.testns.svc.cluster.local 5 A 172.0.0.20'])],
    ['172-0-0-2.hdls1.testns.svc.cluster.local.', 'A', ok(['172-0-0-2.hdls1.testns.svc.cluster.local 5 A 172.0.0.2'])],
    ['dup-name.hdls1.testns.svc.cluster.local.', 'A', ok(['dup-name.hdls1.testns.svc.cluster.local 5 A 172.0.0.4', 'dup-name.hdls1.testns.svc.cluster.local 5 A 172.0.0.5'])],
    ['5678-abcd--2.hdls1.testns.svc.cluster.local', 'AAAA', ok(['5678-abcd--2.hdls1.testns.svc.cluster.local 5 AAAA 5678:abcd::2'])],
    ['172-0-0-9.hdls1.testns.svc.cluster.local.', 'A', nxdomain],
    [
      '_http._tcp.hdls1.testns.svc.cluster.local.',
      'SRV',
      ok(
        ['172-0-0-2', '172-0-0-3', 'dup-name', '5678-abcd--1', '5678-abcd--2'].map((h) => `_http._tcp.hdls1.testns.svc.cluster.local 5 SRV 0 16 80 ${h}.hdls1.testns.svc.cluster.local`),
        [
          '172-0-0-2.hdls1.testns.svc.cluster.local 5 A 172.0.0.2',
          '172-0-0-3.hdls1.testns.svc.cluster.local 5 A 172.0.0.3',
          'dup-name.hdls1.testns.svc.cluster.local 5 A 172.0.0.4',
          'dup-name.hdls1.testns.svc.cluster.local 5 A 172.0.0.5',
          '5678-abcd--1.hdls1.testns.svc.cluster.local 5 AAAA 5678:abcd::1',
          '5678-abcd--2.hdls1.testns.svc.cluster.local 5 AAAA 5678:abcd::2',
        ],
      ),
    ],
    ['hdlsempty.testns.svc.cluster.local.', 'A', nxdomain],
    ['external.testns.svc.cluster.local.', 'CNAME', ok(['external.testns.svc.cluster.local 5 CNAME ext.interwebs.test'])],
    ['external-to-service.testns.svc.cluster.local', 'A', ok(['external-to-service.testns.svc.cluster.local 5 CNAME svc1.testns.svc.cluster.local', 'svc1.testns.svc.cluster.local 5 A 10.0.0.1'])],
    ['endpoint.external.testns.svc.cluster.local.', 'CNAME', nxdomain],
    ['external.testns.svc.cluster.local.', 'SRV', nodata],
    ['svc1.testns.svc.cluster.local.', 'AAAA', nodata],
    ['svc1.testns.svc.cluster.local.', 'CNAME', nodata],
    ['svc1.testns.svc.cluster.local.', 'TXT', nodata],
    ['svc1.testns.svc.cluster.local.', 'MX', nodata],
    ['svc1.testns.svc.cluster.local.', 'SOA', nodata],
    ['svc0.testns.svc.cluster.local.', 'AAAA', nxdomain],
    ['svc0.testns.svc.cluster.local.', 'A', nxdomain],
    ['svc0.testns.svc.cluster.local.', 'MX', nxdomain],
    ['svc0.svc-nons.svc.cluster.local.', 'A', nxdomain],
    ['bogusendpoint.hdls1.testns.svc.cluster.local.', 'A', nxdomain],
    ['bogusendpoint.svc0.testns.svc.cluster.local.', 'A', nxdomain],
    ['a.b.c.svc1.testns.svc.cluster.local.', 'A', nxdomain],
    ['foo.cluster.local.', 'A', nxdomain],
    ['svc6.testns.svc.cluster.local.', 'AAAA', ok(['svc6.testns.svc.cluster.local 5 AAAA 1234:abcd::1'])],
    ['_http._tcp.svc6.testns.svc.cluster.local.', 'SRV', ok(['_http._tcp.svc6.testns.svc.cluster.local 5 SRV 0 100 80 svc6.testns.svc.cluster.local'], ['svc6.testns.svc.cluster.local 5 AAAA 1234:abcd::1'])],
    ['svc-dual-stack.testns.svc.cluster.local.', 'A', ok(['svc-dual-stack.testns.svc.cluster.local 5 A 10.0.0.3'])],
    ['svc-dual-stack.testns.svc.cluster.local.', 'AAAA', ok(['svc-dual-stack.testns.svc.cluster.local 5 AAAA 10::3'])],
    [
      'svc-dual-stack.testns.svc.cluster.local.',
      'SRV',
      ok(['svc-dual-stack.testns.svc.cluster.local 5 SRV 0 50 80 svc-dual-stack.testns.svc.cluster.local'], ['svc-dual-stack.testns.svc.cluster.local 5 A 10.0.0.3', 'svc-dual-stack.testns.svc.cluster.local 5 AAAA 10::3']),
    ],
    ['cluster.local.', 'A', nodata],
    ['svc.cluster.local.', 'A', nodata],
    ['pod.cluster.local.', 'A', nodata],
    ['testns.svc.cluster.local.', 'A', nodata],
    ['testns.pod.cluster.local.', 'A', nodata],
    ['svc.cluster.local.', 'NS', nodata],
    ['foo.svc.cluster.local.', 'NS', nxdomain],
    ['cluster.local.', 'NS', ok(['cluster.local 5 NS ns.dns.cluster.local'], ['ns.dns.cluster.local 5 A 10.0.0.10'])],
    ['cluster.local.', 'SOA', ok([SOA])],
    ['ns.dns.cluster.local.', 'A', ok(['ns.dns.cluster.local 5 A 10.0.0.10'])],
    ['dns-version.cluster.local.', 'TXT', ok(['dns-version.cluster.local 28800 TXT 1.1.0'])],
    ['DNS-Version.Cluster.Local.', 'TXT', ok(['DNS-Version.Cluster.Local 28800 TXT 1.1.0'])],
    ['10-1-2-3.testns.pod.cluster.local.', 'A', ok(['10-1-2-3.testns.pod.cluster.local 5 A 10.1.2.3'])],
    ['10-1-2-3.testns.pod.cluster.local.', 'AAAA', nodata],
    ['1234-abcd--1.testns.pod.cluster.local.', 'AAAA', ok(['1234-abcd--1.testns.pod.cluster.local 5 AAAA 1234:abcd::1'])],
    ['10-1-2-3.nons.pod.cluster.local.', 'A', nxdomain],
    ['not-an-ip.testns.pod.cluster.local.', 'A', nxdomain],
  ];
  for (const [name, type, want] of cases) {
    it(`${type} ${name}`, async () => {
      assert.deepEqual(await ask(name, type), want);
    });
  }

  it('pods disabled answers NXDOMAIN for pod names', async () => {
    assert.deepEqual(await ask('10-1-2-3.testns.pod.cluster.local.', 'A', { opts: { ...zone, pods: 'disabled' } }), nxdomain);
  });

  it('uses the configured TTL in records and the SOA (record TTL capped at 300)', async () => {
    const got = await ask('svc0.testns.svc.cluster.local.', 'A', { opts: { ...zone, ttl: 3600 } });
    assert.deepEqual(got, { rcode: 'NXDOMAIN', answers: [], ns: ['cluster.local 300 SOA ns.dns.cluster.local hostmaster.cluster.local 1499347823 7200 1800 86400 3600'], extra: [] });
    assert.deepEqual(await ask('svc1.testns.svc.cluster.local.', 'A', { opts: { ...zone, ttl: 30 } }), ok(['svc1.testns.svc.cluster.local 30 A 10.0.0.1']));
  });

  it('answers SERVFAIL for the zone before the caches sync', async () => {
    assert.deepEqual(await ask('svc1.testns.svc.cluster.local.', 'A', { synced: false }), { rcode: 'SERVFAIL', answers: [], ns: [], extra: [] });
  });

  it('completes an ExternalName CNAME through the upstream (CNAME alone when it fails)', async () => {
    const upstream: UpstreamLookup = async (name, type) => (name === 'ext.interwebs.test' && type === 'A' ? [{ name, type: 'A', ttl: 60, class: 'IN', data: '1.2.3.4' }] : undefined);
    assert.deepEqual(await ask('external.testns.svc.cluster.local.', 'A', { upstream }), ok(['external.testns.svc.cluster.local 5 CNAME ext.interwebs.test', 'ext.interwebs.test 60 A 1.2.3.4']));
    assert.deepEqual(await ask('external.testns.svc.cluster.local.', 'AAAA', { upstream }), ok(['external.testns.svc.cluster.local 5 CNAME ext.interwebs.test']));
  });

  it('PTR for ClusterIPs (IPv4 and nibble IPv6) and endpoints; misses and other names are forwarded', async () => {
    assert.deepEqual(await ask(`${reverseName('10.0.0.1')}.`, 'PTR'), ok(['1.0.0.10.in-addr.arpa 5 PTR svc1.testns.svc.cluster.local']));
    const v6 = reverseName('1234:abcd::1');
    assert.equal(v6, '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a.4.3.2.1.ip6.arpa');
    assert.deepEqual(await ask(v6, 'PTR'), ok([`${v6} 5 PTR svc6.testns.svc.cluster.local`]));
    assert.deepEqual(await ask(reverseName('172.0.0.4'), 'PTR'), ok(['4.0.0.172.in-addr.arpa 5 PTR dup-name.hdls1.testns.svc.cluster.local']));
    assert.deepEqual(await ask(reverseName('172.0.0.3'), 'PTR'), ok(['3.0.0.172.in-addr.arpa 5 PTR 172-0-0-3.hdls1.testns.svc.cluster.local']));
    assert.equal(await ask(reverseName('8.8.8.8'), 'PTR'), 'forward');
    assert.equal(await ask('example.com.', 'A'), 'forward');
    assert.equal(await ask('cluster.local.example.com.', 'A'), 'forward');
  });

  it('endpoint_pod_names names endpoints after their pods', async () => {
    const store = fixtureStore();
    const { slice } = await import('./testing.js');
    store.setService({ metadata: { namespace: 'testns', name: 'web' }, spec: { clusterIP: 'None', ports: [{ name: 'http', port: 80 }] } });
    store.setEndpointSlice(slice('testns', 'web', 'web-1', [{ ip: '172.0.1.1', pod: 'web-0' }], [{ name: 'http', port: 8080, protocol: 'TCP' }]));
    const res = await resolve({ name: '_http._tcp.web.testns.svc.cluster.local', type: 'SRV' }, { store, opts: { ...zone, endpointPodNames: true }, synced: true });
    assert.equal(res.kind, 'answer');
    assert.deepEqual(res.kind === 'answer' && res.answers.map(text), ['_http._tcp.web.testns.svc.cluster.local 5 SRV 0 100 8080 web-0.web.testns.svc.cluster.local']);
  });
});
