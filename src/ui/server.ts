/**
 * The web view's HTTP + WebSocket server (loopback only). Static assets are the front end built into
 * the package (dist/ui/public); the API is JSON; live changes are pushed over one WebSocket per page:
 * object changes from the informers (batched every 100 ms); traffic, connection rows, DNS queries and rules
 * as deltas, at most once a second (feed.ts). Nothing is answered without the token (auth.ts).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';
import type { InformerFactory } from '../client/informer-factory.js';
import type { RestClient } from '../client/rest.js';
import type { DatapathRules, ObservableDatapath } from '../proxy/observe.js';
import type { EndpointStats } from '../proxy/types.js';
import { ActionError, deletePod, scaleDeployment, sendRequests } from './actions.js';
import { checkOrigin, checkToken, loginCookie } from './auth.js';
import { serviceDnsRecords } from './dns-records.js';
import { loginPage } from './login.js';
import { TrafficFeed } from './feed.js';
import { ClusterModel, type ObjectChange } from './model.js';
import { Ring, TrafficRecorder } from './traffic.js';
import { serviceNameLabel } from '../api/kinds/endpoints.js';

/** What the view needs from the datapath: counters, and (when it can) observation and rules. */
export type TrafficSource = Partial<ObservableDatapath> & {
  stats(): EndpointStats[];
  /** Kernel datapaths (netns mode): one Service's rules as text with counters, read when asked. */
  rulesFor?(namespace: string, name: string): Promise<DatapathRules>;
};

/** DNS query log entries and ingress request events, as their hooks report them (structural). */
export type DnsEntry = { time: number; client: string; name: string; type: string; rcode: string; answers: string[] } & Record<string, unknown>;
export type IngressEntry = { time: number; client: string; host: string; path: string; backend: string; endpoint: string; status: number } & Record<string, unknown>;

export interface UIServerOptions {
  host: string;
  port: number;
  token: string;
  client: RestClient;
  informers: InformerFactory;
  /** The view made `informers` for itself: close() waits for them to stop (a shared factory stops with the process). */
  ownsInformers?: boolean;
  clusterDomain: string;
  /** The proxy's datapath (loopback mode: the userspace one). Netns mode: a source reading conntrack. */
  traffic?: TrafficSource;
  /** Installs (fn) or removes (undefined) the DNS query log hook. */
  dnsQueryLog?: (fn: ((e: DnsEntry) => void) | undefined) => void;
  /** Installs or removes the ingress request hook. */
  ingressRequests?: (fn: ((e: IngressEntry) => void) | undefined) => void;
  /** Folder of the built front end (default: dist/ui/public of this package). */
  assetsDir?: string;
  log?: (m: string) => void;
}

const here = dirname(fileURLToPath(import.meta.url));
export function defaultAssetsDir(): string {
  const beside = join(here, 'public');
  return existsSync(beside) ? beside : resolve(here, '..', '..', 'dist', 'ui', 'public');
}

const types: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.html': 'text/html; charset=utf-8', '.png': 'image/png', '.svg': 'image/svg+xml' };
const assetNames = new Set(['app.js', 'app.css', 'app.js.map']);

export class UIServer {
  private readonly server: Server;
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  private readonly model: ClusterModel;
  private readonly recorder = new TrafficRecorder();
  private readonly dns = new Ring<DnsEntry>(200);
  private readonly ingress = new Ring<IngressEntry>(200);
  private pendingDns: DnsEntry[] = [];
  private pendingIngress: IngressEntry[] = [];
  private pending: ObjectChange[] = [];
  private flushTimer?: NodeJS.Timeout;
  private readonly feed: TrafficFeed<DnsEntry, IngressEntry>;
  private readonly abort = new AbortController();
  private readonly log: (m: string) => void;
  private readonly loginHtml: { body: string; csp: string };
  port = 0;

  constructor(private readonly opts: UIServerOptions) {
    this.log = opts.log ?? (() => {});
    this.model = new ClusterModel(opts.informers, () => this.wss.clients.size > 0);
    this.model.onChange((c) => this.queue(c));
    this.feed = new TrafficFeed({
      recorder: this.recorder, stats: () => this.opts.traffic?.stats() ?? [], rules: () => this.rules(),
      drainDns: () => this.pendingDns.splice(0), drainIngress: () => this.pendingIngress.splice(0),
      send: (frame) => this.broadcast(frame),
    });
    this.loginHtml = loginPage();
    this.server = createServer((req, res) => void this.serve(req, res).catch((err: unknown) => this.fail(res, err)));
    this.server.on('upgrade', (req, socket, head) => {
      socket.on('error', () => socket.destroy());
      const v = this.authorize(req);
      if (!v.ok || (req.url ?? '').split('?')[0] !== '/api/ws') {
        const status = v.ok ? 404 : v.status;
        socket.end(`HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : 'Not Found'}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`);
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.attach(ws));
    });
  }

  async listen(): Promise<number> {
    this.opts.informers.start(this.abort.signal);
    await new Promise<void>((res, rej) => {
      this.server.once('error', rej);
      this.server.listen(this.opts.port, this.opts.host, () => {
        this.server.off('error', rej);
        res();
      });
    });
    const a = this.server.address();
    this.port = typeof a === 'object' && a ? a.port : this.opts.port;
    return this.port;
  }

  async close(): Promise<void> {
    this.abort.abort();
    this.stopWatching();
    for (const ws of this.wss.clients) ws.terminate();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
    if (this.opts.ownsInformers) await this.opts.informers.stopped();
  }

  private authorize(req: IncomingMessage) {
    const o = checkOrigin(req, this.port);
    return o.ok ? checkToken(req, this.opts.token) : o;
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers }).end(text);
  }

  private fail(res: ServerResponse, err: unknown): void {
    const status = err instanceof ActionError ? err.status : ((err as { status?: { code?: number } }).status?.code ?? 500);
    const message = (err as Error).message ?? String(err);
    if (status >= 500) this.log(`ui: ${message}`);
    if (!res.headersSent) this.send(res, status, { kind: 'Status', apiVersion: 'v1', status: 'Failure', message, code: status });
    else res.destroy();
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const origin = checkOrigin(req, this.port);
    if (!origin.ok) return this.send(res, origin.status, { message: origin.message });
    if (path === '/api/login' && req.method === 'POST') {
      const v = checkToken(req, this.opts.token);
      if (!v.ok) return this.send(res, v.status, { message: v.message });
      res.writeHead(204, { 'set-cookie': loginCookie(this.opts.token), 'cache-control': 'no-store' }).end();
      return;
    }
    if (path === '/login' && req.method === 'GET') {
      // the login URL's page: no data, only the script that trades the fragment's token for the cookie
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': this.loginHtml.csp, 'cache-control': 'no-store' }).end(this.loginHtml.body);
      return;
    }
    const v = checkToken(req, this.opts.token);
    if (!v.ok) {
      if (path === '/' && req.method === 'GET') {
        res.writeHead(401, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': this.loginHtml.csp, 'cache-control': 'no-store' }).end(this.loginHtml.body);
        return;
      }
      return this.send(res, v.status, { message: v.message });
    }
    if (req.method === 'GET') return this.get(path, res);
    if (req.method === 'POST') return this.post(path, req, res);
    this.send(res, 405, { message: `method ${req.method} not allowed` });
  }

  private async get(path: string, res: ServerResponse): Promise<void> {
    const dir = this.opts.assetsDir ?? defaultAssetsDir();
    if (path === '/' || path.startsWith('/assets/')) {
      const name = path === '/' ? 'index.html' : path.slice('/assets/'.length);
      if (name !== 'index.html' && !assetNames.has(name)) return this.send(res, 404, { message: `${path} not found` });
      let body: Buffer;
      try {
        body = await readFile(join(dir, name));
      } catch {
        return this.send(res, 503, { message: `the web view is not built (${join(dir, name)} missing): run npm run build` });
      }
      const ext = name.slice(name.lastIndexOf('.'));
      res.writeHead(200, {
        'content-type': types[ext] ?? 'application/octet-stream', 'cache-control': 'no-cache',
        'content-security-policy': "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'", 'x-content-type-options': 'nosniff',
      }).end(body);
      return;
    }
    if (path === '/api/state') return this.send(res, 200, this.snapshot());
    if (path === '/api/traffic') return this.send(res, 200, { endpoints: this.sampleTraffic(), connections: this.recorder.connections.list() });
    const m = /^\/api\/services\/([^/]+)\/([^/]+)$/.exec(path);
    if (m) return this.send(res, 200, await this.serviceDetails(decodeURIComponent(m[1]!), decodeURIComponent(m[2]!)));
    this.send(res, 404, { message: `${path} not found` });
  }

  private async post(path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) throw new ActionError(415, 'content-type must be application/json');
    const body = await readJSON(req);
    if (path === '/api/actions/scale') return this.send(res, 200, await scaleDeployment(this.opts.client, body));
    if (path === '/api/actions/delete-pod') return this.send(res, 200, await deletePod(this.opts.client, body));
    if (path === '/api/actions/send') return this.send(res, 200, await this.sendTo(body));
    this.send(res, 404, { message: `${path} not found` });
  }

  private async sendTo(body: Record<string, unknown>) {
    const svc = this.model.get('services', `${String(body.namespace)}/${String(body.name)}`);
    if (!svc) throw new ActionError(404, `services "${String(body.name)}" not found`);
    const ports: Array<{ port: number; name?: string }> = svc.spec?.ports ?? [];
    const port = ports.find((p) => p.port === body.port || p.name === body.port) ?? ports[0];
    const ip = svc.spec?.clusterIP;
    if (!port || !ip || ip === 'None') throw new ActionError(400, `service ${String(body.namespace)}/${String(body.name)} has no ClusterIP to send to`);
    let sourceIP: string | undefined;
    if (body.fromPod) {
      const pod = this.model.get('pods', `${String(body.fromPodNamespace ?? body.namespace)}/${String(body.fromPod)}`);
      if (!pod?.status?.podIP) throw new ActionError(400, `pod "${String(body.fromPod)}" has no IP`);
      sourceIP = pod.status.podIP;
    }
    return sendRequests({ ip, port: port.port, count: Number(body.count ?? 1), sourceIP });
  }

  private async serviceDetails(namespace: string, name: string) {
    const svc = this.model.get('services', `${namespace}/${name}`);
    if (!svc) throw new ActionError(404, `services "${name}" not found`);
    const slices = this.model.list('endpointslices').filter((s) => s.metadata?.namespace === namespace && s.metadata?.labels?.[serviceNameLabel] === name);
    const rules = (await this.opts.traffic?.rulesFor?.(namespace, name)) ?? this.rules();
    const prefix = `${namespace}/${name}`;
    return {
      dns: serviceDnsRecords(svc, slices, this.opts.clusterDomain),
      rules: { ...rules, listeners: rules.listeners.filter((l) => l.servicePortName === prefix || l.servicePortName.startsWith(`${prefix}:`)) },
      sessionAffinity: svc.spec?.sessionAffinity ?? 'None',
    };
  }

  private rules(): DatapathRules {
    return this.opts.traffic?.rules?.() ?? { mode: 'none', scheduler: '', listeners: [] };
  }

  /** Everything, for a page that just connected (/api/state: the same, with a fresh traffic sample). */
  private snapshot(live = false) {
    const { traffic, rules } = live ? this.feed.baseline() : { traffic: this.sampleTraffic(), rules: this.rules() };
    return {
      type: 'snapshot', objects: this.model.snapshot(), clusterDomain: this.opts.clusterDomain,
      traffic, connections: this.recorder.connections.list(), dns: this.dns.list(), ingress: this.ingress.list(),
      rules, observing: this.opts.traffic?.setObserver !== undefined,
    };
  }

  private sampleTraffic() {
    return this.recorder.sample(this.opts.traffic?.stats() ?? [], Date.now());
  }

  private attach(ws: WebSocket): void {
    if (this.wss.clients.size === 1) this.startWatching();
    ws.on('error', () => ws.terminate());
    ws.on('close', () => {
      if (this.wss.clients.size === 0) this.stopWatching();
    });
    ws.on('message', () => {}); // the page only listens
    ws.send(JSON.stringify(this.snapshot(true)));
  }

  /** The hooks cost a little per connection/query, so they are installed only while a page is open. */
  private startWatching(): void {
    this.opts.traffic?.setObserver?.(this.recorder);
    this.opts.dnsQueryLog?.((raw) => {
      const via = this.recorder.dnsClient(raw.client, raw.time);
      const e = via ? { ...raw, client: via, proxy: raw.client } : raw;
      this.dns.push(e);
      this.pendingDns.push(e);
    });
    this.opts.ingressRequests?.((e) => {
      this.ingress.push(e);
      this.pendingIngress.push(e);
    });
    this.feed.start();
  }

  private stopWatching(): void {
    this.opts.traffic?.setObserver?.(undefined);
    this.opts.dnsQueryLog?.(undefined);
    this.opts.ingressRequests?.(undefined);
    this.feed.stop();
    this.pendingDns = [];
    this.pendingIngress = [];
  }

  private broadcast(msg: unknown): void {
    if (this.wss.clients.size === 0) return;
    const text = JSON.stringify(msg);
    for (const ws of this.wss.clients) if (ws.readyState === ws.OPEN) ws.send(text);
  }

  /** Only while a page is open: the model reports nothing otherwise (see its `watched`). */
  private queue(c: ObjectChange): void {
    this.pending.push(c);
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      const changes = this.pending;
      this.pending = [];
      this.broadcast({ type: 'objects', changes });
    }, 100);
  }
}

async function readJSON(req: IncomingMessage): Promise<Record<string, unknown>> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > 64 * 1024) throw new ActionError(413, 'request body too large');
    chunks.push(c);
  }
  try {
    const v = JSON.parse(Buffer.concat(chunks).toString() || '{}') as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch (err) {
    throw new ActionError(400, `invalid JSON body: ${(err as Error).message}`);
  }
}
