/**
 * Test fixture: a minimal API server on loopback that the real kubectl can exec/attach/port-forward
 * against (version, aggregated discovery for pods, GET pod), backed by the stream handlers and a fake
 * PodRuntimeAccess whose containers are host processes. Used by the streams tests and the connect proxy tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { PodRuntimeAccess, RunningContainer, StreamHandlers } from '../kubelet-server/types.js';
import { createStreamHandlers } from './handlers.js';

const aggregatedCore = {
  kind: 'APIGroupDiscoveryList',
  apiVersion: 'apidiscovery.k8s.io/v2',
  metadata: {},
  items: [
    {
      metadata: { creationTimestamp: null },
      versions: [
        {
          version: 'v1',
          freshness: 'Current',
          resources: [
            {
              resource: 'pods',
              responseKind: { group: '', version: 'v1', kind: 'Pod' },
              scope: 'Namespaced',
              singularResource: 'pod',
              shortNames: ['po'],
              verbs: ['get', 'list'],
              subresources: ['exec', 'attach', 'portforward'].map((s) => ({ subresource: s, responseKind: { group: '', version: 'v1', kind: 'Pod' }, verbs: ['create', 'get'] })),
            },
          ],
        },
      ],
    },
  ],
};
const discoveryType = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

export function testPod(name: string, containers: string[] = ['c'], namespace = 'default'): Record<string, unknown> {
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: { name, namespace, uid: `uid-${name}` },
    spec: { nodeName: 'node-1', containers: containers.map((c) => ({ name: c, image: 'busybox' })) },
    status: { phase: 'Running', podIP: '127.0.0.1', hostIP: '127.0.0.1' },
  };
}

/** A container that is a host process group; `env` is added to every exec. */
export function hostContainer(namespace: string, pod: string, container: string, env: Record<string, string> = {}): RunningContainer {
  return {
    namespace,
    pod,
    container,
    containerID: `skiff://${pod}-${container}`,
    tty: false,
    spawn(argv, opts) {
      return spawn(argv[0]!, argv.slice(1), {
        stdio: [opts.stdin === false ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        env: { ...process.env, ...env, ...opts.env },
        detached: true,
      });
    },
  };
}

export interface FixtureServer {
  url: string;
  kubeconfig: string;
  dir: string;
  /** Runs kubectl against the fixture; resolves with its exit code and output. */
  kubectl(args: string[], opts?: { env?: Record<string, string>; input?: string; timeoutMs?: number }): Promise<{ code: number | null; stdout: string; stderr: string }>;
  /** Starts a long-running kubectl (port-forward); the caller kills it. */
  spawnKubectl(args: string[], env?: Record<string, string>): ChildProcess;
  close(): Promise<void>;
}

export interface FixtureOptions {
  pods: Record<string, unknown>[];
  /** Serves the pods' subresources: by default the stream handlers over `runtime`. */
  connect?: (req: IncomingMessage, res: ServerResponse | undefined, socket: Duplex | undefined, head: Buffer | undefined) => void;
  runtime?: PodRuntimeAccess;
  handlers?: StreamHandlers;
}

export async function startFixture(opts: FixtureOptions): Promise<FixtureServer> {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-streams-'));
  const handlers = opts.handlers ?? createStreamHandlers();
  const route = (req: IncomingMessage, res: ServerResponse | undefined, socket: Duplex | undefined, head: Buffer | undefined): boolean => {
    const url = new URL(req.url ?? '/', 'http://fixture');
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/(exec|attach|portforward|log)$/.exec(url.pathname);
    if (!m) return false;
    if (opts.connect) {
      opts.connect(req, res, socket, head);
      return true;
    }
    const [, namespace, pod, sub] = m as unknown as [string, string, string, string];
    const call = { req, res, socket, head, runtime: opts.runtime!, route: { namespace, pod, container: url.searchParams.get('container') ?? '', query: url.searchParams } };
    if (sub === 'exec') handlers.exec(call);
    else if (sub === 'attach') handlers.attach(call);
    else if (sub === 'portforward') handlers.portForward(call);
    else return false;
    return true;
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fixture');
    const json = (code: number, body: unknown, type = 'application/json') => res.writeHead(code, { 'Content-Type': type }).end(JSON.stringify(body));
    if (url.pathname === '/version') return json(200, { major: '1', minor: '32', gitVersion: 'v1.32.4', platform: 'linux/amd64' });
    if (url.pathname === '/api') return json(200, aggregatedCore, discoveryType);
    if (url.pathname === '/apis') return json(200, { ...aggregatedCore, items: [] }, discoveryType);
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)$/.exec(url.pathname);
    if (m) {
      const pod = opts.pods.find((p) => (p.metadata as { name: string; namespace: string }).name === m[2] && (p.metadata as { namespace: string }).namespace === m[1]);
      if (pod) return json(200, pod);
      return json(404, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `pods "${m[2]}" not found`, reason: 'NotFound', details: { name: m[2], kind: 'pods' }, code: 404 });
    }
    if (route(req, res, undefined, undefined)) return;
    json(404, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'the server could not find the requested resource', reason: 'NotFound', code: 404 });
  });
  const upgraded = new Set<Duplex>();
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    if (!route(req, undefined, socket, head)) socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const kubeconfig = join(dir, 'kubeconfig');
  await writeFile(
    kubeconfig,
    `apiVersion: v1\nkind: Config\nclusters:\n- name: t\n  cluster:\n    server: ${url}\nusers:\n- name: u\n  user:\n    token: test-token\ncontexts:\n- name: t\n  context:\n    cluster: t\n    user: u\n    namespace: default\ncurrent-context: t\n`,
  );
  const children = new Set<ChildProcess>();
  const baseEnv = () => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, KUBECONFIG: kubeconfig });
  const spawnKubectl = (args: string[], env: Record<string, string> = {}) => {
    const child = spawn('kubectl', args, { env: { ...baseEnv(), ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(child);
    child.once('exit', () => children.delete(child));
    return child;
  };
  return {
    url,
    kubeconfig,
    dir,
    spawnKubectl,
    kubectl(args, o = {}) {
      return new Promise((resolve) => {
        const child = spawnKubectl(args, o.env);
        let stdout = '';
        let stderr = '';
        child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
        const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 30_000);
        child.on('close', (code) => {
          clearTimeout(timer);
          resolve({ code, stdout, stderr });
        });
        child.stdin!.on('error', () => undefined); // kubectl may exit before reading all input
        if (o.input !== undefined) child.stdin!.end(o.input);
        else child.stdin!.end();
      });
    },
    async close() {
      for (const c of children) c.kill('SIGKILL');
      server.closeAllConnections();
      for (const s of upgraded) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
