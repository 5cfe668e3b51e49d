// The built-in ingress controller end to end: the real skiff server, kubectl and curl. Backends are
// HTTP servers this test runs on pod IPs; the Pods' status (IP, Ready) is written through
// pods/status, so no kubelet is needed, and the endpointslice controller publishes them.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import { run, TestCluster } from '../support/cluster.js';
import { inCidr } from '../support/kubectl.js';
import { waitFor } from '../support/ports.js';

// The cluster takes its own address block; the fake pods' IPs are spare addresses of it.
const fakeNode = 'ingress-e2e-node';

interface Backend {
  server: Server;
  port: number;
}

async function startBackend(name: string, ip: string): Promise<Backend> {
  const server = createServer((req, res) => res.end(`${name} ${req.url} proto=${req.headers['x-forwarded-proto']} host=${req.headers['x-forwarded-host']}`));
  new WebSocketServer({ server }).on('connection', (ws) => ws.on('message', (m) => ws.send(`${name} echo ${String(m)}`)));
  await new Promise<void>((r) => server.listen(0, ip, r));
  return { server, port: (server.address() as AddressInfo).port };
}

function podManifest(name: string, app: string, port: number): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app } },
    // Bound to a node no kubelet runs, so nothing tries to start the container.
    spec: { nodeName: fakeNode, containers: [{ name: 'web', image: 'skiff/echo', ports: [{ name: 'http', containerPort: port }] }] },
  });
}

const services = `
apiVersion: v1
kind: Service
metadata: { name: svc-a }
spec: { selector: { app: a }, ports: [{ name: http, port: 80, targetPort: http }] }
---
apiVersion: v1
kind: Service
metadata: { name: svc-b }
spec: { selector: { app: b }, ports: [{ name: http, port: 8080, targetPort: http }] }
---
apiVersion: v1
kind: Service
metadata: { name: svc-empty }
spec: { selector: { app: nobody }, ports: [{ port: 80, targetPort: 80 }] }
`;

const ingress = `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: web }
spec:
  ingressClassName: skiff
  tls: [{ hosts: [secure.test], secretName: web-tls }]
  rules:
  - host: web.test
    http:
      paths:
      - { path: /foo, pathType: Prefix, backend: { service: { name: svc-a, port: { number: 80 } } } }
      - { path: /foo, pathType: Exact, backend: { service: { name: svc-b, port: { name: http } } } }
      - { path: /empty, pathType: Prefix, backend: { service: { name: svc-empty, port: { number: 80 } } } }
  - host: secure.test
    http:
      paths:
      - { path: /, pathType: Prefix, backend: { service: { name: svc-b, port: { number: 8080 } } } }
`;

describe('ingress controller with the real kubectl and curl', () => {
  let cluster: TestCluster;
  let dir: string;
  const backends: Backend[] = [];
  let listen: { host: string; http: number; https: number };
  let podIP: { a: string; b: string };

  const curl = async (args: string[]) => {
    const r = await run('curl', ['-sS', '--max-time', '10', '-o', '-', '-w', '\n%{http_code}', ...args]);
    if (r.code !== 0) throw new Error(`curl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    const nl = r.stdout.lastIndexOf('\n');
    return { body: r.stdout.slice(0, nl), status: Number(r.stdout.slice(nl + 1)) };
  };
  const get = (host: string, path: string) => curl(['-H', `Host: ${host}`, `http://${listen.host}:${listen.http}${path}`]);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-ingress-e2e-'));
    // loopback mode: the backends are the test's own servers on spare 127.x addresses, as fake pods
    cluster = await TestCluster.start({ network: 'loopback' });
    podIP = { a: cluster.spare(2), b: cluster.spare(3) };
    backends.push(await startBackend('a', podIP.a), await startBackend('b', podIP.b));
    // The endpointslice controller leaves out pods whose Node does not exist, as Kubernetes does.
    await cluster.kubectl(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: fakeNode } }) }).then((r) => assert.equal(r.code, 0, r.stderr));
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const nodeStatus = { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'e2e', lastHeartbeatTime: now, lastTransitionTime: now }] } };
    await cluster.k('patch', 'node', fakeNode, '--subresource=status', '--type=merge', '-p', JSON.stringify(nodeStatus));
    await cluster.kubectl(['apply', '-f', '-'], { input: services }).then((r) => assert.equal(r.code, 0, r.stderr));
    for (const [name, app, ip, be] of [['a-1', 'a', podIP.a, backends[0]!], ['b-1', 'b', podIP.b, backends[1]!]] as const) {
      const created = await cluster.kubectl(['create', '-f', '-'], { input: podManifest(name, app, be.port) });
      assert.equal(created.code, 0, created.stderr);
      const status = { status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: 'True' }, { type: 'ContainersReady', status: 'True' }] } };
      await cluster.k('patch', 'pod', name, '--subresource=status', '--type=merge', '-p', JSON.stringify(status));
    }
    await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=secure.test', '-addext', 'subjectAltName=DNS:secure.test', '-keyout', join(dir, 'tls.key'), '-out', join(dir, 'tls.crt')]).then((r) => assert.equal(r.code, 0, r.stderr));
    await cluster.k('create', 'secret', 'tls', 'web-tls', '--cert', join(dir, 'tls.crt'), '--key', join(dir, 'tls.key'));
    await cluster.kubectl(['apply', '-f', '-'], { input: ingress }).then((r) => assert.equal(r.code, 0, r.stderr));
    const slice = await waitFor('the skiff-ingress EndpointSlice', async () => {
      const r = await cluster.kubectl(['get', 'endpointslice', '-n', 'kube-system', 'skiff-ingress', '-o', 'json']);
      return r.code === 0 ? (JSON.parse(r.stdout) as { endpoints: Array<{ addresses: string[] }>; ports: Array<{ name: string; port: number }> }) : undefined;
    });
    const port = (n: string) => slice.ports.find((p) => p.name === n)!.port;
    listen = { host: slice.endpoints[0]!.addresses[0]!, http: port('http'), https: port('https') };
  });

  after(async () => {
    await cluster?.destroy();
    for (const b of backends) {
      b.server.closeAllConnections();
      await new Promise((r) => b.server.close(r));
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('owns the default IngressClass skiff and exposes itself as the LoadBalancer Service kube-system/skiff-ingress', async () => {
    assert.match(await cluster.k('get', 'ingressclass'), /^skiff\s+skiff\.dev\/ingress-controller\s+<none>\s+\d+s$/m);
    const svc = JSON.parse(await cluster.k('get', 'svc', '-n', 'kube-system', 'skiff-ingress', '-o', 'json')) as { spec: { type: string; ports: Array<{ name: string; port: number }> } };
    assert.equal(svc.spec.type, 'LoadBalancer');
    assert.deepEqual(svc.spec.ports.map((p) => [p.name, p.port]), [['http', 80], ['https', 443]]);
  });

  it('routes by host and path: Prefix /foo takes /foo/bar but not /foobar, Exact beats Prefix', async () => {
    const first = await waitFor('svc-a reachable through the ingress', async () => {
      const r = await get('web.test', '/foo/bar');
      return r.status === 200 ? r : undefined;
    });
    assert.equal(first.body, 'a /foo/bar proto=http host=web.test');
    assert.equal((await get('web.test', '/foo/')).body.split(' ')[0], 'a');
    const exact = await waitFor('svc-b reachable', async () => {
      const r = await get('web.test', '/foo');
      return r.status === 200 ? r : undefined;
    });
    assert.equal(exact.body.split(' ')[0], 'b');
    const foobar = await get('web.test', '/foobar');
    assert.equal(foobar.status, 404);
    assert.match(foobar.body, /404 Not Found/);
  });

  it('answers 404 for a host with no rule and 503 for a backend without ready endpoints', async () => {
    assert.equal((await get('nobody.test', '/foo')).status, 404);
    const unavailable = await get('web.test', '/empty');
    assert.equal(unavailable.status, 503);
    assert.match(unavailable.body, /503 Service Temporarily Unavailable/);
  });

  it('shows CLASS, HOSTS, ADDRESS and PORTS in kubectl get ingress, and a Sync event', async () => {
    const line = await waitFor('an ADDRESS on the Ingress', async () => {
      const out = await cluster.k('get', 'ingress', 'web');
      return /\d+\.\d+\.\d+\.\d+/.test(out) ? out : undefined;
    });
    assert.match(line, /^NAME\s+CLASS\s+HOSTS\s+ADDRESS\s+PORTS\s+AGE\n/);
    const svc = JSON.parse(await cluster.k('get', 'svc', '-n', 'kube-system', 'skiff-ingress', '-o', 'json')) as { status?: { loadBalancer?: { ingress?: Array<{ ip: string }> } } };
    const lbIP = svc.status?.loadBalancer?.ingress?.[0]?.ip;
    const address = (/^web\s+skiff\s+web\.test,secure\.test\s+(\S+)\s+80, 443\s+\d+s$/m.exec(line) ?? [])[1];
    assert.ok(address, line);
    // The LoadBalancer IP once the pool assigned one, the node address until then.
    assert.ok(address === lbIP || address === listen.host, `${address} is neither ${lbIP} nor ${listen.host}`);
    assert.match(await cluster.k('describe', 'ingress', 'web'), /Normal\s+Sync\s+.*skiff-ingress-controller\s+Scheduled for sync/);
  });

  it('terminates TLS with the Secret from kubectl create secret tls (curl --resolve --cacert)', async () => {
    const r = await curl(['--resolve', `secure.test:${listen.https}:${listen.host}`, '--cacert', join(dir, 'tls.crt'), `https://secure.test:${listen.https}/hello`]);
    assert.equal(r.status, 200);
    assert.equal(r.body, `b /hello proto=https host=secure.test:${listen.https}`);
  });

  it('passes a WebSocket upgrade through to the backend', async () => {
    const ws = new WebSocket(`ws://${listen.host}:${listen.http}/foo/socket`, { headers: { host: 'web.test' } });
    try {
      const reply = await new Promise<string>((resolve, reject) => {
        ws.once('open', () => ws.send('ping'));
        ws.once('message', (m) => resolve(String(m)));
        ws.once('error', reject);
      });
      assert.equal(reply, 'a echo ping');
    } finally {
      ws.terminate();
    }
  });

  it('is reachable on its LoadBalancer IP, ports 80 and 443, through the proxy', async () => {
    const ip = await waitFor('an EXTERNAL-IP on skiff-ingress', async () => {
      const out = await cluster.k('get', 'svc', '-n', 'kube-system', 'skiff-ingress', '-o', 'jsonpath={.status.loadBalancer.ingress[0].ip}');
      return out.trim() || undefined;
    });
    assert.ok(inCidr(ip, cluster.lbPool), `${ip} from the pool ${cluster.lbPool}`);
    const r = await waitFor('the ingress through LB-IP:80', async () => {
      const x = await curl(['-H', 'Host: web.test', `http://${ip}/foo/lb`]).catch(() => undefined);
      return x?.status === 200 ? x : undefined;
    });
    assert.equal(r.body.split(' ')[0], 'a');
    const tls = await curl(['--resolve', `secure.test:443:${ip}`, '--cacert', join(dir, 'tls.crt'), 'https://secure.test/lb']);
    assert.equal(tls.body, 'b /lb proto=https host=secure.test');
    assert.match(await cluster.k('get', 'ingress', 'web'), new RegExp(`web\\s+skiff\\s+\\S+\\s+${ip.replace(/\./g, '\\.')}\\s+80, 443`));
  });

  it('follows a change: a new path applies without restarting, and the old ones keep working', async () => {
    const patch = [{ op: 'add', path: '/spec/rules/0/http/paths/-', value: { path: '/bar', pathType: 'Prefix', backend: { service: { name: 'svc-b', port: { number: 8080 } } } } }];
    await cluster.k('patch', 'ingress', 'web', '--type=json', '-p', JSON.stringify(patch));
    const r = await waitFor('the new /bar rule', async () => {
      const x = await get('web.test', '/bar/1');
      return x.status === 200 ? x : undefined;
    });
    assert.equal(r.body.split(' ')[0], 'b');
    assert.equal((await get('web.test', '/foo/bar')).body.split(' ')[0], 'a');
  });
});
