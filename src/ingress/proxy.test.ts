import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { connect, createServer as createNetServer, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Secret, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { Ingress } from 'kubernetes-types/networking/v1.js';
import WebSocket, { WebSocketServer } from 'ws';
import { createCA, createServingCert } from '../util/pki.js';
import type { BackendLookup } from './backends.js';
import { fallbackCertificate, startListeners, type IngressListeners } from './listeners.js';
import { IngressProxy } from './proxy.js';
import { buildRoutingTable, type RoutingTable } from './routing-table.js';
import { buildTlsTable, CertificateCache, type TlsTable } from './tls.js';

interface Backend {
  server: Server;
  port: number;
  seen: IncomingHttpHeaders[];
}

async function backend(name: string): Promise<Backend> {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    res.setHeader('x-backend', name);
    res.end(`${name} ${req.url}`);
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => ws.on('message', (m) => ws.send(`${name} echo ${String(m)}`)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, seen };
}

function svc(name: string): Service {
  return { metadata: { namespace: 'default', name }, spec: { ports: [{ name: 'http', port: 80, targetPort: 'http' }] } };
}

function slice(name: string, ports: number[]): EndpointSlice {
  // One slice per port: the same IP with different ports stands in for several pods.
  return { addressType: 'IPv4', metadata: { namespace: 'default', name }, endpoints: [{ addresses: ['127.0.0.1'] }], ports: [{ name: 'http', port: ports[0]! }] };
}

function get(port: number, host: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host, ...headers } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('IngressProxy with real sockets', () => {
  let a: Backend;
  let b: Backend;
  let deadPort: number;
  let listeners: IngressListeners;
  let table: RoutingTable;
  let tls: TlsTable;
  let caPem: string;

  before(async () => {
    a = await backend('a');
    b = await backend('b');
    // A port nobody listens on: bind, note, close.
    const tmp = createNetServer();
    await new Promise<void>((r) => tmp.listen(0, '127.0.0.1', r));
    deadPort = (tmp.address() as AddressInfo).port;
    await new Promise<void>((r) => tmp.close(() => r()));
    const services = new Map(['a', 'b', 'empty', 'dead'].map((n) => [n, svc(n)]));
    const slices: Record<string, EndpointSlice[]> = {
      a: [slice('a-1', [a.port])],
      b: [slice('b-1', [b.port]), { ...slice('b-2', [a.port]), endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: false } }] }],
      dead: [slice('dead-1', [deadPort])],
    };
    const lookup: BackendLookup = { service: (_ns, n) => services.get(n), endpointSlices: (_ns, n) => slices[n] ?? [] };
    const be = (name: string) => ({ service: { name, port: { number: 80 } } });
    const ing: Ingress = {
      metadata: { namespace: 'default', name: 'web', creationTimestamp: '2024-01-01T00:00:00Z' },
      spec: {
        tls: [{ hosts: ['secure.test'], secretName: 'cert' }, { hosts: ['rsa.test'], secretName: 'rsa' }],
        rules: [
          { host: 'web.test', http: { paths: [{ path: '/foo', pathType: 'Prefix', backend: be('a') }, { path: '/foo', pathType: 'Exact', backend: be('b') }, { path: '/empty', pathType: 'Prefix', backend: be('empty') }, { path: '/dead', pathType: 'Prefix', backend: be('dead') }] } },
          { host: 'secure.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: be('b') }] } },
        ],
      },
    };
    table = buildRoutingTable([ing], lookup);
    const ca = await createCA('test ca');
    caPem = ca.certPem;
    const cert = await createServingCert({ ca, commonName: 'secure.test', dnsNames: ['secure.test'], ips: [] });
    const secret = (name: string, crt: string, key: string): Secret => ({ metadata: { namespace: 'default', name, uid: name, resourceVersion: '1' }, type: 'kubernetes.io/tls', data: { 'tls.crt': Buffer.from(crt).toString('base64'), 'tls.key': Buffer.from(key).toString('base64') } });
    // An RSA certificate too: the fallback is ECDSA, and the key types must not mix (client-hello.ts).
    const pems = execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', '-', '-out', '-', '-days', '1', '-subj', '/CN=rsa.test', '-addext', 'subjectAltName=DNS:rsa.test'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    const rsaKeyPem = /-----BEGIN PRIVATE KEY-----[^]*?-----END PRIVATE KEY-----\n/.exec(pems)![0];
    const rsaCert = /-----BEGIN CERTIFICATE-----[^]*?-----END CERTIFICATE-----\n/.exec(pems)![0];
    const secrets: Record<string, Secret> = { cert: secret('cert', cert.certPem, cert.keyPem), rsa: secret('rsa', rsaCert, rsaKeyPem) };
    tls = buildTlsTable([ing], (_ns, n) => secrets[n], new CertificateCache());
    const proxy = new IngressProxy({ table: () => table, log: () => {} });
    listeners = await startListeners({ listen: { host: '127.0.0.1' }, proxy, tls: () => tls, fallback: await fallbackCertificate() });
  });

  after(async () => {
    await listeners?.close();
    a?.server.closeAllConnections();
    b?.server.closeAllConnections();
    await Promise.all([a, b].map((x) => x && new Promise((r) => x.server.close(r))));
  });

  it('routes Prefix and Exact paths and sets the forwarded headers', async () => {
    const r1 = await get(listeners.httpPort, 'web.test', '/foo/bar');
    assert.equal(r1.body, 'a /foo/bar');
    const r2 = await get(listeners.httpPort, 'web.test', '/foo');
    assert.equal(r2.body, 'b /foo');
    const h = b.seen.at(-1)!;
    assert.equal(h['x-forwarded-host'], 'web.test');
    assert.equal(h['x-forwarded-proto'], 'http');
    assert.equal(h['x-forwarded-port'], '80');
    assert.equal(h['x-real-ip'], '127.0.0.1');
    assert.equal(h['x-forwarded-for'], '127.0.0.1');
    assert.equal(h.host, 'web.test');
  });

  it('404 for /foobar and unknown hosts, 503 with no ready endpoints, 502 when the dial fails', async () => {
    const nf = await get(listeners.httpPort, 'web.test', '/foobar');
    assert.equal(nf.status, 404);
    assert.match(nf.body, /<title>404 Not Found<\/title>/);
    assert.equal((await get(listeners.httpPort, 'nobody.test', '/foo')).status, 404);
    const su = await get(listeners.httpPort, 'web.test', '/empty');
    assert.equal(su.status, 503);
    assert.match(su.body, /503 Service Temporarily Unavailable/);
    assert.equal((await get(listeners.httpPort, 'web.test', '/dead')).status, 502);
  });

  it('a swapped table applies to the next request', async () => {
    const before = table;
    table = buildRoutingTable([], { service: () => undefined, endpointSlices: () => [] });
    try {
      assert.equal((await get(listeners.httpPort, 'web.test', '/foo/bar')).status, 404);
    } finally {
      table = before;
    }
    assert.equal((await get(listeners.httpPort, 'web.test', '/foo/bar')).status, 200);
  });

  it('terminates TLS with the Secret chosen by SNI, and the fallback certificate otherwise', async () => {
    const peer = (servername: string | undefined, maxVersion: 'TLSv1.2' | 'TLSv1.3' = 'TLSv1.3') =>
      new Promise<{ cn: string; authorized: boolean }>((resolve, reject) => {
        const s = tlsConnect({ host: '127.0.0.1', port: listeners.httpsPort, servername, ca: caPem, rejectUnauthorized: false, maxVersion }, () => {
          resolve({ cn: String(s.getPeerCertificate().subject.CN), authorized: s.authorized });
          s.end();
        });
        s.on('error', reject);
      });
    assert.deepEqual(await peer('secure.test'), { cn: 'secure.test', authorized: true });
    assert.deepEqual(await peer('secure.test', 'TLSv1.2'), { cn: 'secure.test', authorized: true });
    assert.equal((await peer('rsa.test')).cn, 'rsa.test');
    assert.equal((await peer('rsa.test', 'TLSv1.2')).cn, 'rsa.test');
    assert.equal((await peer('other.test')).cn, 'Kubernetes Ingress Controller Fake Certificate');
    assert.equal((await peer(undefined)).cn, 'Kubernetes Ingress Controller Fake Certificate');
  });

  it('serves HTTP over TLS with X-Forwarded-Proto https', async () => {
    const body = await new Promise<string>((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port: listeners.httpsPort, servername: 'secure.test', path: '/x', headers: { host: 'secure.test' }, ca: caPem }, (res) => {
        let b = '';
        res.on('data', (d: Buffer) => (b += d));
        res.on('end', () => resolve(b));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(body, 'b /x');
    assert.equal(b.seen.at(-1)!['x-forwarded-proto'], 'https');
    assert.equal(b.seen.at(-1)!['x-forwarded-port'], '443');
  });

  it('passes WebSocket upgrades through', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${listeners.httpPort}/foo/ws`, { headers: { host: 'web.test' } });
    const reply = await new Promise<string>((resolve, reject) => {
      ws.on('open', () => ws.send('hi'));
      ws.on('message', (m) => resolve(String(m)));
      ws.on('error', reject);
    });
    ws.close();
    assert.equal(reply, 'a echo hi');
  });

  it('answers an upgrade with no route with 404', async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      const s = connect(listeners.httpPort, '127.0.0.1', () => s.write('GET / HTTP/1.1\r\nHost: none.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n'));
      let data = '';
      s.on('data', (d) => (data += d));
      s.on('end', () => resolve(data));
      s.on('error', reject);
    });
    assert.match(reply, /^HTTP\/1.1 404 Not Found/);
  });
});
