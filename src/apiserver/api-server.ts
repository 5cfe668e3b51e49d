import { timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ResourceStrategy } from '../api/strategy.js';
import { unauthorized } from '../api/status.js';
import type { Store } from '../storage/store.js';
import { realClock, type Clock } from '../util/clock.js';
import type { ServerContext } from './handlers/context.js';
import { dispatchResource } from './handlers/dispatch.js';
import { sendError } from './http.js';
import { serveNonResource } from './non-resource.js';
import { localConnector } from './local-request.js';
import type { LocalConnector } from '../client/transport.js';
import type { ValueTransformer } from './registry/encryption.js';
import type { ResourceHooks } from './registry/hooks.js';
import type { RestStorage } from './registry/rest-storage.js';
import { Storages } from './registry/storages.js';
import { parseRequestInfo, type RequestInfo } from './request-info.js';
import type { ServiceAccountTokens } from './auth/service-account.js';
import { adminUser, type UserInfo } from './auth/user.js';

export interface ApiServerOptions {
  store: Store;
  clock?: Clock;
  tls: { certPem: string; keyPem: string };
  /** Bearer tokens accepted (admin, node agents). */
  tokens: string[];
  /** ResourceStrategy per resourceKey (`pods`, `deployments.apps`). */
  strategies: Record<string, ResourceStrategy>;
  /** Admission hooks per resourceKey. */
  hooks?: Record<string, ResourceHooks>;
  /** Encryption at rest (`--secrets-encryption`) for the resources it names. */
  transformer?: ValueTransformer;
  /** Streams served by node agents (log, exec, attach, portforward). */
  connect?: ServerContext['connect'];
  /** The cluster CA, served unauthenticated at `/cacerts` for joining agents. */
  caPem?: string;
  /** Bound service-account tokens: TokenRequest and their authentication. */
  serviceAccountTokens?: ServiceAccountTokens;
  log?: (msg: string) => void;
}

const publicPaths = new Set(['/version', '/healthz', '/livez', '/readyz', '/cacerts']);

/** kube-apiserver: HTTPS, bearer-token authentication, discovery, OpenAPI and the resource REST API. */
export class ApiServer {
  readonly storages: Storages;
  private readonly server: Server;
  private readonly ctx: ServerContext;
  private readonly tokens: Buffer[];
  private isReady = false;
  /** Aborted by close(): ends the server's own watches of the store. */
  private readonly stopping = new AbortController();
  private readonly log: (msg: string) => void;

  constructor(private readonly opts: ApiServerOptions) {
    const clock = opts.clock ?? realClock;
    this.log = opts.log ?? (() => {});
    this.tokens = opts.tokens.map((t) => Buffer.from(t));
    this.storages = new Storages({ store: opts.store, clock, strategies: opts.strategies, hooks: opts.hooks, transformer: opts.transformer, signal: this.stopping.signal });
    this.ctx = {
      clock,
      storage: (g, v, r) => this.storage(g, v, r),
      connect: opts.connect,
      tokens: opts.serviceAccountTokens,
    };
    this.server = createServer({ cert: opts.tls.certPem, key: opts.tls.keyPem, keepAliveTimeout: 65_000 }, (req, res) => void this.handle(req, res));
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.handleUpgrade(req, socket, head));
    // kubectl streams (watch, logs -f) are long-lived: no request timeout
    this.server.requestTimeout = 0;
    this.server.headersTimeout = 60_000;
  }

  storage(group: string, version: string, resource: string): RestStorage | undefined {
    return this.storages.get(group, version, resource);
  }

  /** The loopback connection of clients in this process: their requests reach this server's listener in memory. */
  localConnector(): LocalConnector {
    return localConnector(this.server);
  }

  setReady(ready: boolean): void {
    this.isReady = ready;
  }

  async listen(port: number, host: string): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const addr = this.server.address();
    return typeof addr === 'object' && addr ? addr.port : port;
  }

  async close(): Promise<void> {
    this.stopping.abort();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Bearer token → user: the cluster token (admin, controllers, agents) or a service-account token. */
  private async authenticate(req: IncomingMessage): Promise<UserInfo | undefined> {
    const header = req.headers.authorization ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(header);
    if (!m) return undefined;
    const given = Buffer.from(m[1]!.trim());
    if (this.tokens.some((t) => t.length === given.length && timingSafeEqual(t, given))) return adminUser;
    return this.opts.serviceAccountTokens?.authenticate(m[1]!.trim()).catch(() => undefined);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    let info: RequestInfo | undefined;
    try {
      const url = new URL(req.url ?? '/', 'https://skiff');
      const user = publicPaths.has(url.pathname) ? undefined : await this.authenticate(req);
      if (!publicPaths.has(url.pathname) && !user) throw unauthorized();
      if (serveNonResource(req, res, url, () => this.isReady, { caPem: this.opts.caPem })) return;
      info = parseRequestInfo(req.method ?? 'GET', url);
      if (!info.isResourceRequest) {
        res.writeHead(404, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'the server could not find the requested resource', reason: 'NotFound', details: {}, code: 404 }));
        return;
      }
      await dispatchResource(this.ctx, { info, req, res, url, user });
    } catch (err) {
      if (!(err as { status?: unknown }).status) this.log(`error serving ${req.method} ${req.url}: ${(err as Error).stack ?? String(err)}`);
      sendError(res, err);
    } finally {
      if (info?.verb !== 'watch') this.log(`${req.method} ${req.url} ${res.statusCode} ${Date.now() - started}ms`);
    }
  }

  /** WebSocket / SPDY upgrades (exec, attach, portforward) go to the node streams. */
  private async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'https://skiff');
      if (!(await this.authenticate(req))) throw unauthorized();
      const info = parseRequestInfo(req.method ?? 'GET', url);
      if (info.verb !== 'connect' || !this.opts.connect) throw unauthorized();
      await this.opts.connect(req, undefined, info, { socket, head });
    } catch (err) {
      const status = (err as { status?: { code?: number } }).status;
      socket.end(`HTTP/1.1 ${status?.code ?? 500} Error\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${JSON.stringify(status ?? {})}`);
    }
  }
}
