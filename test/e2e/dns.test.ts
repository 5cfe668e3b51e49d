// Cluster DNS end to end: the real skiff server, the real kubectl, and dig (bind9-dnsutils).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { join, resolve } from 'node:path';
import { run, TestCluster } from '../support/cluster.js';
import { waitFor } from '../support/ports.js';

const seeds = resolve(import.meta.dirname, '..', 'fixtures', 'seeds');

interface DigResult {
  status: string;
  flags: string[];
  answer: string[][];
  authority: string[][];
  additional: string[][];
}

/** Runs dig and splits its default output into header status/flags and sections of record fields. */
async function dig(server: { ip: string; port: number }, args: string[]): Promise<DigResult> {
  const r = await run('dig', [`@${server.ip}`, '-p', String(server.port), '+tries=1', '+time=5', ...args]);
  assert.equal(r.code, 0, `dig ${args.join(' ')}: ${r.stderr}${r.stdout}`);
  const out: DigResult = { status: '', flags: [], answer: [], authority: [], additional: [] };
  let section: 'answer' | 'authority' | 'additional' | undefined;
  for (const line of r.stdout.split('\n')) {
    const status = /status: (\w+)/.exec(line);
    if (status) out.status = status[1]!;
    const flags = /^;; flags: ([^;]*);/.exec(line);
    if (flags) out.flags = flags[1]!.trim().split(/\s+/);
    const head = /^;; (ANSWER|AUTHORITY|ADDITIONAL) SECTION:/.exec(line);
    if (head) section = head[1]!.toLowerCase() as typeof section;
    else if (line.trim() === '') section = undefined;
    else if (section && !line.startsWith(';')) out[section].push(line.trim().split(/\s+/));
  }
  return out;
}

/** `name ttl IN type data...` → `type data...` */
const rdata = (rows: string[][]) => rows.map((f) => [f[3], ...f.slice(4)].join(' ')).sort();

describe('cluster DNS with the real kubectl and dig', () => {
  let cluster: TestCluster;
  let dns: { ip: string; port: number };
  // The cluster takes its own address block; the fake endpoint and pod IPs are spare addresses of it.
  let clusterDNS: string;
  let ep: (host: number, subnet?: number) => string;
  /** The a-b-c-d form of an endpoint's IP, as DNS names it. */
  const dashed = (ip: string) => ip.replace(/\./g, '-');

  before(async () => {
    // no node agent: nothing but the test writes pod status (seed 002's pods are made Ready by hand)
    // loopback mode: the in-process DNS server with hand-made endpoints on spare 127.x addresses (netns mode's DNS pods: netns-cluster.test.ts)
    cluster = await TestCluster.start({ network: 'loopback', nodes: 0, extraArgs: ['--disable', 'traefik'] });
    // --cluster-dns defaults to the 10th address of the service range
    clusterDNS = cluster.serviceCIDR.replace(/\.0\/\d+$/, '.10');
    ep = (host, subnet) => cluster.spare(host, subnet);
    const slice = await waitFor('the kube-dns EndpointSlice', async () => {
      const r = await cluster.kubectl(['get', 'endpointslice', '-n', 'kube-system', 'kube-dns-skiff', '-o', 'json']);
      return r.code === 0 ? (JSON.parse(r.stdout) as { endpoints: Array<{ addresses: string[] }>; ports: Array<{ name: string; port: number; protocol: string }> }) : undefined;
    });
    dns = { ip: slice.endpoints[0]!.addresses[0]!, port: slice.ports.find((p) => p.name === 'dns')!.port };
    await cluster.k('create', 'namespace', 'dnstest');
    const manifests = `
apiVersion: v1
kind: Service
metadata: {name: web, namespace: dnstest}
spec:
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: 8080, protocol: TCP}
  - {name: dns, port: 53, protocol: UDP}
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: dnstest}
spec:
  clusterIP: None
  ports:
  - {name: pg, port: 5432}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: db-1
  namespace: dnstest
  labels: {kubernetes.io/service-name: db}
addressType: IPv4
ports:
- {name: pg, port: 5432, protocol: TCP}
endpoints:
- {addresses: [${ep(11)}], hostname: db-0, conditions: {ready: true}}
- {addresses: [${ep(12)}], conditions: {ready: true}}
- {addresses: [${ep(13)}], conditions: {ready: true}}
- {addresses: [${ep(14)}], conditions: {ready: false}}
---
apiVersion: v1
kind: Service
metadata: {name: search, namespace: dnstest}
spec:
  type: ExternalName
  externalName: search.example.com
`;
    const r = await cluster.kubectl(['apply', '-f', '-'], { input: manifests });
    assert.equal(r.code, 0, r.stderr);
  });

  after(async () => {
    await cluster?.destroy();
  });

  const webIP = async () => (await cluster.k('get', 'svc', '-n', 'dnstest', 'web', '-o', 'jsonpath={.spec.clusterIP}')).trim();

  it('keeps the selectorless kube-system/kube-dns Service at --cluster-dns', async () => {
    const svc = JSON.parse(await cluster.k('get', 'svc', '-n', 'kube-system', 'kube-dns', '-o', 'json')) as {
      metadata: { labels: Record<string, string> };
      spec: { clusterIP: string; selector?: unknown; ports: Array<{ name: string; port: number; protocol: string }> };
    };
    assert.equal(svc.spec.clusterIP, clusterDNS);
    assert.equal(svc.spec.selector, undefined);
    assert.deepEqual(svc.spec.ports.map((p) => `${p.name} ${p.port}/${p.protocol}`), ['dns 53/UDP', 'dns-tcp 53/TCP', 'metrics 9153/TCP']);
    assert.equal(svc.metadata.labels['k8s-app'], 'kube-dns');
    assert.equal(svc.metadata.labels['kubernetes.io/name'], 'CoreDNS');
    assert.equal(dns.ip, cluster.nodeIP);
  });

  it('answers the ClusterIP for svc.ns.svc.cluster.local (any case), authoritative, TTL 5', async () => {
    const ip = await waitFor('web to resolve', async () => {
      const r = await dig(dns, ['web.dnstest.svc.cluster.local', 'A']);
      return r.status === 'NOERROR' && r.answer.length ? r : undefined;
    });
    assert.deepEqual(rdata(ip.answer), [`A ${await webIP()}`]);
    assert.equal(ip.answer[0]![1], '5');
    assert.ok(ip.flags.includes('aa'));
    const upper = await dig(dns, ['WEB.DnsTest.SVC.cluster.LOCAL', 'A']);
    assert.deepEqual(rdata(upper.answer), [`A ${await webIP()}`]);
  });

  it('answers 3 A records for a headless Service (ready endpoints only) and per-endpoint names', async () => {
    const r = await waitFor('db to resolve', async () => {
      const d = await dig(dns, ['db.dnstest.svc.cluster.local', 'A']);
      return d.answer.length === 3 ? d : undefined;
    });
    assert.deepEqual(rdata(r.answer), [`A ${ep(11)}`, `A ${ep(12)}`, `A ${ep(13)}`]);
    assert.deepEqual(rdata((await dig(dns, ['db-0.db.dnstest.svc.cluster.local'])).answer), [`A ${ep(11)}`]);
    assert.deepEqual(rdata((await dig(dns, [`${dashed(ep(12))}.db.dnstest.svc.cluster.local`])).answer), [`A ${ep(12)}`]);
    assert.equal((await dig(dns, [`${dashed(ep(14))}.db.dnstest.svc.cluster.local`])).status, 'NXDOMAIN');
  });

  it('answers SRV for a named port, for all ports, and per endpoint for a headless Service', async () => {
    const http = await dig(dns, ['_http._tcp.web.dnstest.svc.cluster.local', 'SRV']);
    assert.deepEqual(rdata(http.answer), ['SRV 0 100 80 web.dnstest.svc.cluster.local.']);
    assert.deepEqual(rdata(http.additional.filter((f) => f[3] === 'A')), [`A ${await webIP()}`]);
    const all = await dig(dns, ['web.dnstest.svc.cluster.local', 'SRV']);
    assert.deepEqual(rdata(all.answer), ['SRV 0 50 53 web.dnstest.svc.cluster.local.', 'SRV 0 50 80 web.dnstest.svc.cluster.local.']);
    const pg = await dig(dns, ['_pg._tcp.db.dnstest.svc.cluster.local', 'SRV']);
    assert.deepEqual(rdata(pg.answer), [`SRV 0 33 5432 ${dashed(ep(12))}.db.dnstest.svc.cluster.local.`, `SRV 0 33 5432 ${dashed(ep(13))}.db.dnstest.svc.cluster.local.`, 'SRV 0 33 5432 db-0.db.dnstest.svc.cluster.local.']);
    assert.equal((await dig(dns, ['_nope._tcp.web.dnstest.svc.cluster.local', 'SRV'])).status, 'NXDOMAIN');
  });

  it('answers the CNAME for an ExternalName Service', async () => {
    const r = await dig(dns, ['search.dnstest.svc.cluster.local', 'CNAME']);
    assert.deepEqual(rdata(r.answer), ['CNAME search.example.com.']);
  });

  it('answers PTR for a ClusterIP and for a headless endpoint', async () => {
    const ip = await webIP();
    assert.deepEqual(rdata((await dig(dns, ['-x', ip])).answer), ['PTR web.dnstest.svc.cluster.local.']);
    assert.deepEqual(rdata((await dig(dns, ['-x', ep(11)])).answer), ['PTR db-0.db.dnstest.svc.cluster.local.']);
  });

  it('answers NXDOMAIN with the SOA for an unknown name, NODATA for AAAA on an IPv4 Service', async () => {
    const nx = await dig(dns, ['nope.dnstest.svc.cluster.local', 'A']);
    assert.equal(nx.status, 'NXDOMAIN');
    assert.equal(nx.answer.length, 0);
    const soa = nx.authority[0]!;
    assert.deepEqual([soa[0], soa[3], soa[4], soa[5], ...soa.slice(7)], ['cluster.local.', 'SOA', 'ns.dns.cluster.local.', 'hostmaster.cluster.local.', '7200', '1800', '86400', '5']);
    const nodata = await dig(dns, ['web.dnstest.svc.cluster.local', 'AAAA']);
    assert.equal(nodata.status, 'NOERROR');
    assert.equal(nodata.answer.length, 0);
    assert.equal(nodata.authority[0]![3], 'SOA');
    assert.equal((await dig(dns, ['web.nonexistent.svc.cluster.local'])).status, 'NXDOMAIN');
  });

  it('answers over TCP, the dns-version TXT and pod names (pods insecure)', async () => {
    const tcp = await dig(dns, ['+tcp', 'web.dnstest.svc.cluster.local', 'A']);
    assert.deepEqual(rdata(tcp.answer), [`A ${await webIP()}`]);
    const txt = await dig(dns, ['dns-version.cluster.local', 'TXT']);
    assert.deepEqual(txt.answer.map((f) => [f[1], f[3], f[4]]), [['28800', 'TXT', '"1.1.0"']]);
    assert.deepEqual(rdata((await dig(dns, [`${dashed(ep(99))}.dnstest.pod.cluster.local`])).answer), [`A ${ep(99)}`]);
  });

  it('loads seed 002 (Deployment + headless Service): 3 A records once its pods are Ready', async () => {
    for (const f of ['002-deployment.yaml', '002-headless.yaml']) await cluster.k('apply', '-f', join(seeds, f));
    const pods = await waitFor('3 webui pods', async () => {
      const names = (await cluster.k('get', 'pods', '-l', 'app=webui', '-o', 'name')).trim().split('\n').filter(Boolean);
      return names.length === 3 ? names : undefined;
    });
    const ips = [ep(21, 1), ep(22, 1), ep(23, 1)];
    for (const [i, pod] of pods.entries()) {
      const status = { status: { phase: 'Running', podIP: ips[i], podIPs: [{ ip: ips[i] }], conditions: [{ type: 'Ready', status: 'True' }, { type: 'ContainersReady', status: 'True' }] } };
      await cluster.k('patch', pod, '--subresource=status', '--type=merge', '-p', JSON.stringify(status));
    }
    const r = await waitFor('headless-service to resolve to 3 pods', async () => {
      const d = await dig(dns, ['headless-service.default.svc.cluster.local', 'A']);
      return d.answer.length === 3 ? d : undefined;
    });
    assert.deepEqual(rdata(r.answer), ips.map((ip) => `A ${ip}`));
  });

  it('is reachable through the kube-dns ClusterIP on port 53 (the proxy carries it)', async () => {
    const r = await waitFor('dig through the ClusterIP', async () => {
      const d = await run('dig', [`@${clusterDNS}`, '-p', '53', '+tries=1', '+time=2', '+short', 'web.dnstest.svc.cluster.local']);
      return d.code === 0 && d.stdout.trim() ? d.stdout.trim() : undefined;
    });
    assert.equal(r, await webIP());
  });

  it('forwards other names and answers within a bounded time (SERVFAIL when no upstream answers)', async () => {
    const start = Date.now();
    const r = await dig(dns, ['name.invalid', 'A']);
    assert.ok(['SERVFAIL', 'NXDOMAIN'].includes(r.status), r.status);
    assert.ok(Date.now() - start < 4000);
  });
});

describe('cluster DNS disabled', () => {
  it('--disable coredns runs no DNS server and creates no kube-dns Service', async () => {
    const cluster = await TestCluster.start({ nodes: 0, extraArgs: ['--disable', 'coredns,traefik'] });
    try {
      const r = await cluster.kubectl(['get', 'svc', '-n', 'kube-system', 'kube-dns']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /Error from server \(NotFound\): services "kube-dns" not found/);
    } finally {
      await cluster.destroy();
    }
  });
});
