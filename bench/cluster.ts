/** A skiff cluster for the network benchmarks, in its own 127.O.0.0/16 block, with real pods from the built-in images. */
import { get } from 'node:http';
import { request } from 'node:https';
import { performance } from 'node:perf_hooks';
import { TestCluster } from '../test/support/cluster.js';
import { waitFor } from '../test/support/ports.js';

export interface BenchCluster {
  cluster: TestCluster;
  /** 127.O.4.n: addresses for the bench's own servers (HAProxy, nginx, bulk source, port-forward). */
  spare(n: number): string;
  serviceCIDR: string;
}

/**
 * Octet O below the default ranges (42-44) and the harness' random node IPs (50+), so the bench never shares
 * addresses with e2e clusters that may be running beside it.
 */
export async function startBenchCluster(): Promise<BenchCluster> {
  const o = 2 + Math.floor(Math.random() * 39);
  const serviceCIDR = `127.${o}.2.0/24`;
  const cluster = await TestCluster.start({
    nodeIP: `127.${o}.0.1`,
    clusterCIDR: `127.${o}.128.0/17`,
    extraArgs: ['--service-cidr', serviceCIDR, '--lb-pool', `127.${o}.3.0/28`],
  });
  return { cluster, serviceCIDR, spare: (n) => `127.${o}.4.${n}` };
}

export async function apply(c: TestCluster, objects: object[]): Promise<void> {
  const r = await c.kubectl(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }) });
  if (r.code !== 0) throw new Error(`kubectl apply failed: ${r.stderr}`);
}

/** A Deployment of `replicas` pods of `image` on `port`, and a ClusterIP Service `name` on port 80. */
export function app(name: string, opts: { image: string; port: number; replicas: number; env?: Record<string, string>; readinessPeriod?: number }): object[] {
  const labels = { app: name };
  const probe = opts.readinessPeriod ? { readinessProbe: { httpGet: { path: '/readyz', port: opts.port }, periodSeconds: opts.readinessPeriod, failureThreshold: 1, successThreshold: 1 } } : {};
  const env = Object.entries(opts.env ?? {}).map(([k, v]) => ({ name: k, value: v }));
  return [
    {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name },
      spec: {
        replicas: opts.replicas, selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { containers: [{ name: 'app', image: opts.image, ports: [{ containerPort: opts.port }], env, ...probe }] } },
      },
    },
    { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { selector: labels, ports: [{ port: 80, targetPort: opts.port }] } },
  ];
}

interface Slice {
  endpoints?: Array<{ addresses: string[]; conditions?: { ready?: boolean }; targetRef?: { name: string } }>;
  ports?: Array<{ port?: number; protocol?: string }>;
}

export interface Endpoint {
  ip: string;
  port: number;
  pod?: string;
}

/** Ready endpoints of a Service, from its EndpointSlices. */
export async function readyEndpoints(c: TestCluster, service: string, namespace = 'default'): Promise<Endpoint[]> {
  const out = await c.k('get', 'endpointslices', '-n', namespace, '-l', `kubernetes.io/service-name=${service}`, '-o', 'json');
  const slices = (JSON.parse(out) as { items: Slice[] }).items;
  const eps: Endpoint[] = [];
  for (const s of slices) {
    const port = s.ports?.find((p) => (p.protocol ?? 'TCP') === 'TCP')?.port ?? s.ports?.[0]?.port ?? 0;
    for (const e of s.endpoints ?? []) if (e.conditions?.ready !== false) eps.push({ ip: e.addresses[0]!, port, pod: e.targetRef?.name });
  }
  return eps;
}

export async function waitEndpoints(c: TestCluster, service: string, n: number, timeoutMs = 90_000): Promise<Endpoint[]> {
  return waitFor(`${n} ready endpoints of ${service}`, async () => {
    const eps = await readyEndpoints(c, service);
    return eps.length >= n ? eps : undefined;
  }, timeoutMs, 250);
}

export async function clusterIP(c: TestCluster, service: string, namespace = 'default'): Promise<string> {
  return (await c.k('get', 'svc', service, '-n', namespace, '-o', 'jsonpath={.spec.clusterIP}')).trim();
}

/** One HTTP GET on a fresh connection; resolves with the status code, or undefined when it failed. */
export function probe(host: string, port: number, opts: { path?: string; timeoutMs?: number; hostHeader?: string } = {}): Promise<number | undefined> {
  return new Promise((resolve) => {
    const headers = opts.hostHeader ? { host: opts.hostHeader } : {};
    const req = get({ host, port, path: opts.path ?? '/', headers, agent: false, timeout: opts.timeoutMs ?? 2000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

/** Waits until `host:port` answers HTTP (the proxy has synced the Service); any status unless `status` is given. */
export async function waitServing(host: string, port: number, opts: { hostHeader?: string; status?: number } = {}): Promise<void> {
  await waitFor(`http://${host}:${port}/ to answer${opts.status ? ` ${opts.status}` : ''}`, async () => {
    const code = await probe(host, port, { hostHeader: opts.hostHeader });
    return code !== undefined && (!opts.status || code === opts.status) ? true : undefined;
  }, 30_000, 100);
}

export interface PodWatchEvent {
  type: string;
  object: { metadata: { name: string }; status?: { conditions?: Array<{ type: string; status: string }> } };
}

export function isReady(ev: PodWatchEvent): boolean {
  return ev.object.status?.conditions?.some((cond) => cond.type === 'Ready' && cond.status === 'True') ?? false;
}

/**
 * Watches default/pods matching `label` through the API server; `onEvent` gets each event with the
 * performance.now() its bytes arrived at. Resolves when the watch is established; ends on `stop`.
 */
export function watchPods(c: TestCluster, opts: { token: string; label: string; stop: AbortSignal; onEvent: (ev: PodWatchEvent, at: number) => void; onError: (err: Error) => void }): Promise<void> {
  return new Promise((established) => {
    const path = `/api/v1/namespaces/default/pods?watch=true&labelSelector=${encodeURIComponent(opts.label)}`;
    const req = request({ host: '127.0.0.1', port: c.port, path, rejectUnauthorized: false, headers: { authorization: `Bearer ${opts.token}` }, signal: opts.stop }, (res) => {
      established();
      let buf = '';
      res.on('data', (d: Buffer) => {
        const at = performance.now();
        buf += d.toString();
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.trim()) opts.onEvent(JSON.parse(line) as PodWatchEvent, at);
        }
      });
    });
    req.on('error', (err) => (opts.stop.aborted ? undefined : opts.onError(err)));
    req.end();
  });
}
