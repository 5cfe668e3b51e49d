/**
 * Issue 4's acceptance, part 3: `dig` at the cluster DNS address (the kube-dns ClusterIP, port 53,
 * carried by the proxy to the DNS server like any Service) answers as CoreDNS' kubernetes plugin does,
 * for Services backed by REAL pods (seed 002's nginx Deployment behind its headless Service).
 */
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TestCluster } from '../support/cluster.js';
import { dig, podProcesses, rdata } from '../support/net-tools.js';
import { waitFor } from '../support/ports.js';

const seeds = resolve(import.meta.dirname, '..', 'fixtures', 'seeds');
const fqdn = (name: string) => `${name}.svc.cluster.local.`;

describe('cluster DNS behind the kube-dns Service, queried with dig (real pods)', () => {
  let c: TestCluster;
  let echoIP: string;
  let webuiIPs: string[];
  /** --cluster-dns: by default the 10th address of the cluster's own service range (address-block.ts). */
  let clusterDNS: string;

  before(async () => {
    c = await TestCluster.start({ nodes: 1, extraArgs: ['--disable', 'traefik'] });
    clusterDNS = c.serviceCIDR.replace(/\.0\/\d+$/, '.10');
    assert.equal((await c.k('get', 'svc', '-n', 'kube-system', 'kube-dns', '-o', 'jsonpath={.spec.clusterIP}')).trim(), clusterDNS);
    await c.k('apply', '-f', resolve(seeds, '002-deployment.yaml'), '-f', resolve(seeds, '002-headless.yaml'));
    await c.k('create', 'namespace', 'dnsacc');
    const r = await c.kubectl(['apply', '-n', 'dnsacc', '-f', '-'], {
      input: `
apiVersion: v1
kind: Pod
metadata: {name: echo, labels: {app: echo}}
spec:
  containers:
  - {name: echo, image: skiff/echo, env: [{name: PORT, value: "8080"}], ports: [{name: http, containerPort: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: echo}
spec:
  selector: {app: echo}
  ports: [{name: http, port: 80, targetPort: http}, {name: metrics, port: 9090, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: alias}
spec: {type: ExternalName, externalName: echo.dnsacc.svc.cluster.local}
`,
    });
    assert.equal(r.code, 0, r.stderr);
    await c.k('rollout', 'status', 'deploy/webui', '--timeout=60s');
    await c.k('wait', '-n', 'dnsacc', '--for=condition=Ready', 'pod/echo', '--timeout=60s');
    echoIP = (await c.k('get', 'svc', '-n', 'dnsacc', 'echo', '-o', 'jsonpath={.spec.clusterIP}')).trim();
    webuiIPs = (await c.k('get', 'pods', '-l', 'app=webui', '-o', 'jsonpath={.items[*].status.podIP}')).trim().split(/\s+/).sort();
    assert.equal(webuiIPs.length, 3);
    // the headless Service's records follow its EndpointSlice; wait until all 3 pods are in it
    await waitFor('3 ready headless endpoints', async () => {
      const out = await c.k('get', 'endpointslices', '-l', 'kubernetes.io/service-name=headless-service', '-o', 'jsonpath={.items[*].endpoints[*].addresses[0]}');
      return out.trim().split(/\s+/).sort().join() === webuiIPs.join() || undefined;
    });
  });
  after(async () => {
    await c?.destroy();
    if (c) assert.deepEqual(podProcesses(`127.${c.octet}.`), [], 'no pod process outlives the cluster');
  });

  it('A: svc.ns.svc.cluster.local is the ClusterIP (authoritative, TTL 5), over UDP and TCP', async () => {
    for (const transport of ['+notcp', '+tcp']) {
      const a = await waitFor('the A record', async () => {
        const res = await dig(clusterDNS, [transport, 'echo.dnsacc.svc.cluster.local', 'A']);
        return res.status === 'NOERROR' && res.answer.length > 0 ? res : undefined;
      }, 5000);
      assert.ok(a.flags.includes('aa'), `flags ${a.flags}`);
      assert.deepEqual(a.answer, [[fqdn('echo.dnsacc'), '5', 'IN', 'A', echoIP]]);
    }
  });

  it("3 A records for seed 002's headless Service, one per real nginx pod", async () => {
    const res = await dig(clusterDNS, ['headless-service.default.svc.cluster.local', 'A']);
    assert.equal(res.status, 'NOERROR');
    assert.deepEqual(rdata(res.answer), webuiIPs.map((ip) => `A ${ip}`).sort());
    assert.ok(res.answer.every((f) => f[0] === fqdn('headless-service.default') && f[1] === '5'));
  });

  it('CNAME for an ExternalName Service (its in-cluster target resolved too, as CoreDNS does)', async () => {
    const res = await dig(clusterDNS, ['alias.dnsacc.svc.cluster.local', 'A']);
    assert.equal(res.status, 'NOERROR');
    assert.deepEqual(res.answer, [
      [fqdn('alias.dnsacc'), '5', 'IN', 'CNAME', fqdn('echo.dnsacc')],
      [fqdn('echo.dnsacc'), '5', 'IN', 'A', echoIP],
    ]);
  });

  it('SRV for a named port: _port._proto.svc.ns.svc.cluster.local', async () => {
    const res = await dig(clusterDNS, ['_http._tcp.echo.dnsacc.svc.cluster.local', 'SRV']);
    assert.equal(res.status, 'NOERROR');
    assert.deepEqual(res.answer, [[`_http._tcp.${fqdn('echo.dnsacc')}`, '5', 'IN', 'SRV', '0', '100', '80', fqdn('echo.dnsacc')]]);
    const all = await dig(clusterDNS, ['echo.dnsacc.svc.cluster.local', 'SRV']);
    assert.deepEqual(rdata(all.answer), ['SRV 0 50 80 echo.dnsacc.svc.cluster.local.', 'SRV 0 50 9090 echo.dnsacc.svc.cluster.local.']);
    const none = await dig(clusterDNS, ['_grpc._tcp.echo.dnsacc.svc.cluster.local', 'SRV']);
    assert.equal(none.status, 'NXDOMAIN');
  });

  it('PTR for a ClusterIP and for a headless endpoint', async () => {
    const svc = await dig(clusterDNS, ['-x', echoIP]);
    assert.equal(svc.status, 'NOERROR');
    assert.deepEqual(rdata(svc.answer), [`PTR ${fqdn('echo.dnsacc')}`]);
    const pod = await dig(clusterDNS, ['-x', webuiIPs[0]!]);
    assert.equal(pod.status, 'NOERROR');
    assert.deepEqual(rdata(pod.answer), [`PTR ${webuiIPs[0]!.replace(/\./g, '-')}.${fqdn('headless-service.default')}`]);
  });

  it('NXDOMAIN (with the zone SOA) for an unknown name; NODATA for a known name of another type', async () => {
    const res = await dig(clusterDNS, ['nope.dnsacc.svc.cluster.local', 'A']);
    assert.equal(res.status, 'NXDOMAIN');
    assert.deepEqual(res.answer, []);
    assert.equal(res.authority[0]?.[3], 'SOA');
    assert.equal(res.authority[0]?.[0], 'cluster.local.');
    assert.equal(res.authority[0]?.[4], 'ns.dns.cluster.local.');
    const nodata = await dig(clusterDNS, ['echo.dnsacc.svc.cluster.local', 'AAAA']);
    assert.equal(nodata.status, 'NOERROR');
    assert.deepEqual(nodata.answer, []);
    assert.equal(nodata.authority[0]?.[3], 'SOA');
  });
});
