/**
 * kubectl → API-server connect proxy (src/apiserver/connect) → HTTPS kubelet stand-in serving the
 * stream handlers (src/agent/streams): exec, port-forward and logs end to end over both transports,
 * plus the API server's own errors (container choice, unscheduled pod, kubelet unreachable).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createStreamHandlers } from '../../src/agent/streams/handlers.js';
import { hostContainer, startFixture, testPod, type FixtureServer } from '../../src/agent/streams/testing.js';
import { notFound, toStatusError } from '../../src/api/status.js';
import type { KubeObject } from '../../src/api/types.js';
import { createPodConnect } from '../../src/apiserver/connect/pod-connect.js';
import { parseRequestInfo } from '../../src/apiserver/request-info.js';
import { createCA, createServingCert } from '../../src/util/pki.js';

const execFileP = promisify(execFile);
const TOKEN = 'cluster-token';

let kubelet: https.Server;
let kubeletPort: number;
let backend: http.Server;
let backendPort: number;
let front: FixtureServer;
const kubeletSeen: string[] = [];
const openLogStreams = new Set<ServerResponse>();

function listenPort(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

before(async () => {
  const ca = await createCA('test-ca');
  const cert = await createServingCert({ ca, commonName: 'kubelet', dnsNames: ['localhost'], ips: ['127.0.0.1'] });
  const handlers = createStreamHandlers();
  const runtime = { findContainer: (ns: string, pod: string, c?: string) => hostContainer(ns, pod, c ?? 'c', { X: 'via-proxy' }), podIP: () => '127.0.0.1' };
  kubelet = https.createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
    kubeletSeen.push(`${req.headers.authorization} ${req.url}`);
    const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/?]+)/.exec(req.url ?? '');
    if (!m) return res.writeHead(404).end();
    const follow = new URL(req.url!, 'https://k').searchParams.get('follow') === 'true';
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.write(`log of ${m[1]}/${m[2]}/${m[3]}\n`);
    if (!follow) return res.end('second line\n');
    openLogStreams.add(res);
    res.on('close', () => openLogStreams.delete(res));
  });
  kubelet.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    kubeletSeen.push(`${req.headers.authorization} ${req.url}`);
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
    const url = new URL(req.url!, 'https://k');
    const [, kind, namespace, pod, container] = url.pathname.split('/') as [string, string, string, string, string?];
    const call = { req, socket, head, runtime, route: { namespace, pod, container: container ?? '', query: url.searchParams } };
    if (kind === 'exec') handlers.exec(call);
    else if (kind === 'attach') handlers.attach(call);
    else if (kind === 'portForward') handlers.portForward(call);
    else socket.destroy();
  });
  kubeletPort = await listenPort(kubelet);
  backend = http.createServer((req, res) => res.end(`backend ${req.url}`));
  backendPort = await listenPort(backend);

  const node = (name: string, port: number) => ({
    kind: 'Node',
    apiVersion: 'v1',
    metadata: { name },
    status: { addresses: [{ type: 'Hostname', address: name }, { type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: port } } },
  });
  const pods = [
    testPod('p'),
    { ...testPod('multi', ['a', 'b']) },
    { ...testPod('pending'), spec: { containers: [{ name: 'c', image: 'busybox' }] }, status: { phase: 'Pending' } },
    { ...testPod('lost'), spec: { nodeName: 'down', containers: [{ name: 'c', image: 'busybox' }] } },
  ];
  const closedPort = await (async () => {
    const s = net.createServer();
    const p = await listenPort(s);
    await new Promise<void>((r) => s.close(() => r()));
    return p;
  })();
  const nodes = [node('node-1', kubeletPort), node('down', closedPort)];
  const find = (list: Array<Record<string, unknown>>, ns: string | undefined, name: string, resource: string): KubeObject => {
    const o = list.find((x) => (x.metadata as { name: string; namespace?: string }).name === name && (x.metadata as { namespace?: string }).namespace === ns);
    if (!o) throw notFound({ group: '', resource }, name);
    return o as unknown as KubeObject;
  };
  const connect = createPodConnect({
    token: TOKEN,
    storage: (_g, _v, resource) => ({ get: async (ns, name) => find(resource === 'pods' ? pods : nodes, ns, name, resource) }),
  });
  front = await startFixture({
    pods,
    connect: (req, res, socket, head) => {
      const info = parseRequestInfo(req.method ?? 'GET', new URL(req.url!, 'http://f'));
      connect(req, res, info, socket ? { socket, head: head ?? Buffer.alloc(0) } : undefined).catch((err) => {
        const status = toStatusError(err).status;
        const body = JSON.stringify(status);
        if (res) res.writeHead(status.code, { 'Content-Type': 'application/json' }).end(body);
        else socket?.end(`HTTP/1.1 ${status.code} Error\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      });
    },
  });
});

after(async () => {
  await front.close();
  kubelet.closeAllConnections();
  await new Promise<void>((r) => kubelet.close(() => r()));
  await new Promise<void>((r) => backend.close(() => r()));
});

for (const [name, execEnv, pfEnv] of [
  ['WebSocket', {}, {}],
  ['SPDY', { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' }, { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' }],
] as Array<[string, Record<string, string>, Record<string, string>]>) {
  describe(`through the API server proxy over ${name}`, () => {
    it('kubectl exec reaches the kubelet with the cluster token and keeps the exit code', async () => {
      const r = await front.kubectl(['exec', 'p', '--', 'sh', '-c', 'echo $X; exit 4'], { env: execEnv });
      assert.equal(r.stdout, 'via-proxy\n');
      assert.equal(r.stderr, 'command terminated with exit code 4\n');
      assert.equal(r.code, 4);
      assert.ok(kubeletSeen.some((s) => s.startsWith(`Bearer ${TOKEN} /exec/default/p/c?command=sh&command=-c`)), kubeletSeen.join('\n'));
    });

    it('kubectl port-forward carries sequential requests', async () => {
      const child = front.spawnKubectl(['port-forward', '--address', '127.0.0.1', 'pod/p', `:${backendPort}`], pfEnv);
      try {
        let out = '';
        const port = await new Promise<number>((resolve, reject) => {
          child.stdout!.on('data', (d: Buffer) => {
            out += d.toString();
            const m = /127\.0\.0\.1:(\d+) ->/.exec(out);
            if (m) resolve(Number(m[1]));
          });
          child.once('exit', (code) => reject(new Error(`port-forward exited ${code}`)));
        });
        for (let i = 0; i < 20; i++) {
          const { stdout } = await execFileP('curl', ['-sS', '--max-time', '10', `http://127.0.0.1:${port}/r${i}`]);
          assert.equal(stdout, `backend /r${i}`);
        }
        assert.ok(kubeletSeen.some((s) => s === `Bearer ${TOKEN} /portForward/default/p`), kubeletSeen.join('\n'));
      } finally {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
    });
  });
}

describe('logs through the API server proxy', () => {
  it('returns the kubelet containerLogs body', async () => {
    const r = await front.kubectl(['logs', 'p']);
    assert.deepEqual(r, { code: 0, stdout: 'log of default/p/c\nsecond line\n', stderr: '' });
  });

  it('streams -f and stops reading the kubelet when the client goes away', async () => {
    const child = front.spawnKubectl(['logs', '-f', 'p']);
    let out = '';
    await new Promise<void>((resolve) => child.stdout!.on('data', (d: Buffer) => ((out += d.toString()), out.includes('\n') && resolve())));
    assert.equal(out, 'log of default/p/c\n');
    assert.equal(openLogStreams.size, 1);
    const [stream] = [...openLogStreams];
    stream!.write('more\n');
    await new Promise<void>((resolve) => child.stdout!.on('data', () => out.includes('more') && resolve()));
    const closed = new Promise((r) => stream!.once('close', r));
    child.kill('SIGTERM');
    await closed;
    assert.equal(openLogStreams.size, 0);
  });
});

describe('connect errors', () => {
  const get = (path: string) =>
    new Promise<{ code: number; body: Record<string, unknown> }>((resolve, reject) => {
      http.get(`${front.url}${path}`, (res) => {
        let data = '';
        res.on('data', (d: Buffer) => (data += d.toString()));
        res.on('end', () => resolve({ code: res.statusCode!, body: JSON.parse(data) as Record<string, unknown> }));
      }).on('error', reject);
    });

  it('asks for a container name on a multi-container pod', async () => {
    const r = await get('/api/v1/namespaces/default/pods/multi/log');
    assert.equal(r.code, 400);
    assert.equal(r.body.message, 'a container name must be specified for pod multi, choose one of: [a b]');
    const bad = await get('/api/v1/namespaces/default/pods/multi/log?container=zz');
    assert.equal(bad.body.message, 'container zz is not valid for pod multi');
  });

  it('answers an unscheduled pod with 400 for exec', async () => {
    const r = await front.kubectl(['exec', 'pending', '--', 'true']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /pod pending does not have a host assigned/);
  });

  it('reports an unreachable kubelet', async () => {
    const r = await front.kubectl(['exec', 'lost', '--', 'true'], { env: { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' } });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /error dialing backend: dial tcp 127\.0\.0\.1:\d+: connect: connection refused/);
  });
});
