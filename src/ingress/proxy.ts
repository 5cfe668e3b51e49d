/**
 * The data path: each request is routed through the current RoutingTable and proxied to one ready
 * endpoint (round robin), with keep-alive to clients and backends and WebSocket upgrades piped
 * through. Written on node:http/net directly: the routing, the error pages and the forwarded
 * headers are ours anyway, and an upgrade is a socket pipe.
 */
import { randomFillSync } from 'node:crypto';
import { Agent, request, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { errorMessage } from '../util/errors.js';
import type { ResolvedBackend, Upstream } from './backends.js';
import { requestPath } from './match.js';
import type { RoutingTable } from './routing-table.js';

export type Scheme = 'http' | 'https';

const statusText: Record<number, string> = { 404: 'Not Found', 502: 'Bad Gateway', 503: 'Service Temporarily Unavailable' };

/** The body nginx's default server sends (`return 404;`), and its 502/503 pages. */
export function errorPage(code: number): string {
  const title = `${code} ${statusText[code] ?? ''}`.trim();
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>skiff</center>\r\n</body>\r\n</html>\r\n`;
}

const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);
const ours = new Set(['x-forwarded-for', 'x-forwarded-host', 'x-forwarded-port', 'x-forwarded-proto', 'x-forwarded-scheme', 'x-real-ip', 'x-scheme', 'x-request-id']);

function connectionTokens(headers: IncomingHttpHeaders): Set<string> {
  return new Set((headers.connection ?? '').split(',').map((t) => t.trim().toLowerCase()).filter(Boolean));
}

function clientIP(socket: { remoteAddress?: string }): string {
  const a = socket.remoteAddress ?? '';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

// Request ids come from a pool filled 256 at a time: a randomBytes() call per request showed as ~4% of
// the proxy's CPU under load.
const idPool = Buffer.alloc(16 * 256);
let idOffset = idPool.length;

/** 16 random bytes in hex, like ingress-nginx's $req_id. */
function requestID(): string {
  if (idOffset === idPool.length) {
    randomFillSync(idPool);
    idOffset = 0;
  }
  idOffset += 16;
  return idPool.toString('hex', idOffset - 16, idOffset);
}

/** The forwarded headers ingress-nginx sets (it replaces a client's X-Forwarded-For by default). */
export function forwardedHeaders(req: IncomingMessage, scheme: Scheme): Record<string, string> {
  const host = req.headers.host ?? '';
  const portMatch = /:(\d+)$/.exec(host);
  const ip = clientIP(req.socket);
  return {
    'x-request-id': req.headers['x-request-id'] as string | undefined ?? requestID(),
    'x-real-ip': ip,
    'x-forwarded-for': ip,
    'x-forwarded-host': host,
    'x-forwarded-port': portMatch ? portMatch[1]! : scheme === 'https' ? '443' : '80',
    'x-forwarded-proto': scheme,
    'x-forwarded-scheme': scheme,
    'x-scheme': scheme,
  };
}

function upstreamHeaders(req: IncomingMessage, scheme: Scheme): OutgoingHttpHeaders {
  const drop = connectionTokens(req.headers);
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined || hopByHop.has(k) || drop.has(k) || ours.has(k)) continue;
    out[k] = v;
  }
  return { ...out, ...forwardedHeaders(req, scheme) };
}

function responseHeaders(res: IncomingMessage): OutgoingHttpHeaders {
  const drop = connectionTokens(res.headers);
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(res.headers)) {
    if (v === undefined || hopByHop.has(k) || drop.has(k)) continue;
    out[k] = v;
  }
  return out;
}

const retryable = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);

export interface IngressProxyOptions {
  /** The routing table in force; read once per request so a swap never affects one in flight. */
  table: () => RoutingTable;
  log: (message: string) => void;
}

/** One proxied request, for whoever watches traffic (the web view); reported when the response starts. */
export interface IngressRequestEvent {
  time: number;
  client: string;
  scheme: Scheme;
  host: string;
  path: string;
  method: string;
  /** `namespace/service:port`. */
  backend: string;
  /** The endpoint dialled, `ip:port`. */
  endpoint: string;
  status: number;
  durationMs: number;
}

export class IngressProxy {
  /** Set while someone watches traffic (the web view). */
  onRequest?: (ev: IngressRequestEvent) => void;
  private readonly agent = new Agent({ keepAlive: true, maxFreeSockets: 256, scheduling: 'lifo' });
  private readonly next = new Map<string, number>();
  private readonly tunnels = new Set<Duplex>();

  constructor(private readonly opts: IngressProxyOptions) {}

  /** Round robin over the backend's ready endpoints. */
  pick(backend: ResolvedBackend): Upstream {
    const i = this.next.get(backend.key) ?? 0;
    this.next.set(backend.key, (i + 1) % 1_000_000_007);
    return backend.upstreams[i % backend.upstreams.length]!;
  }

  private routeOf(req: IncomingMessage): { code?: number; backend?: ResolvedBackend } {
    const route = this.opts.table().route(req.headers.host ?? '', requestPath(req.url));
    if (!route.backend) return { code: 404 };
    if (route.backend.upstreams.length === 0) return { code: 503, backend: route.backend };
    return { backend: route.backend };
  }

  handleRequest(req: IncomingMessage, res: ServerResponse, scheme: Scheme): void {
    const { code, backend } = this.routeOf(req);
    if (code) return sendError(res, code);
    const headers = upstreamHeaders(req, scheme);
    const hasBody = req.headers['content-length'] !== undefined ? req.headers['content-length'] !== '0' : req.headers['transfer-encoding'] !== undefined;
    const idempotent = !hasBody && ['GET', 'HEAD', 'OPTIONS'].includes(req.method ?? '');
    let attempts = 0;
    const started = this.onRequest ? Date.now() : 0;
    const attempt = () => {
      attempts++;
      const up = this.pick(backend!);
      const preq = request({ host: up.host, port: up.port, method: req.method, path: req.url, headers, agent: this.agent });
      let answered = false;
      preq.on('response', (pres) => {
        answered = true;
        if (this.onRequest) this.report(req, scheme, backend!.key, up, pres.statusCode ?? 502, started);
        res.writeHead(pres.statusCode ?? 502, pres.statusMessage, responseHeaders(pres));
        pres.pipe(res);
        pres.on('error', () => res.destroy());
      });
      preq.on('error', (err: NodeJS.ErrnoException) => {
        if (answered || res.destroyed) return res.destroy();
        // A refused dial or a stale keep-alive socket: try the next endpoint when nothing is lost.
        if (idempotent && retryable.has(err.code ?? '') && attempts < backend!.upstreams.length + 1) return attempt();
        this.opts.log(`ingress: upstream ${up.host}:${up.port} for ${backend!.key}: ${errorMessage(err)}`);
        if (res.headersSent) res.destroy();
        else sendError(res, 502);
      });
      res.on('close', () => {
        if (!res.writableFinished) preq.destroy();
      });
      if (idempotent) preq.end();
      else req.pipe(preq);
    };
    attempt();
  }

  private report(req: IncomingMessage, scheme: Scheme, backend: string, up: Upstream, status: number, started: number): void {
    const now = Date.now();
    this.onRequest?.({
      time: now, client: clientIP(req.socket), scheme, host: req.headers.host ?? '', path: req.url ?? '', method: req.method ?? '',
      backend, endpoint: `${up.host}:${up.port}`, status, durationMs: now - started,
    });
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, scheme: Scheme): void {
    socket.on('error', () => socket.destroy());
    const { code, backend } = this.routeOf(req);
    if (code) return writeRawError(socket, code);
    const up = this.pick(backend!);
    const conn = connect({ host: up.host, port: up.port });
    this.track(socket);
    this.track(conn);
    let connected = false;
    conn.on('connect', () => {
      connected = true;
      conn.setNoDelay(true);
      conn.write(upgradeRequestHead(req, scheme));
      if (head.length) conn.write(head);
      socket.pipe(conn);
      conn.pipe(socket);
    });
    conn.on('error', (err) => {
      if (connected) return socket.destroy();
      this.opts.log(`ingress: upstream ${up.host}:${up.port} for ${backend!.key}: ${errorMessage(err)}`);
      writeRawError(socket, 502);
    });
    conn.on('close', () => socket.end());
    socket.on('close', () => conn.destroy());
  }

  private track(s: Duplex | Socket): void {
    this.tunnels.add(s);
    s.once('close', () => this.tunnels.delete(s));
  }

  /** Ends upgraded connections and idle backend sockets (the HTTP servers end the rest). */
  close(): void {
    for (const s of this.tunnels) s.destroy();
    this.agent.destroy();
  }
}

/** The request line and headers of an upgrade, forwarded with Connection/Upgrade kept. */
function upgradeRequestHead(req: IncomingMessage, scheme: Scheme): string {
  const lines = [`${req.method} ${req.url} HTTP/1.1`];
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i]!.toLowerCase();
    if (ours.has(k) || k === 'proxy-connection' || k === 'keep-alive') continue;
    lines.push(`${raw[i]}: ${raw[i + 1]}`);
  }
  for (const [k, v] of Object.entries(forwardedHeaders(req, scheme))) lines.push(`${k}: ${v}`);
  return lines.join('\r\n') + '\r\n\r\n';
}

function sendError(res: ServerResponse, code: number): void {
  const body = errorPage(code);
  res.writeHead(code, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function writeRawError(socket: Duplex, code: number): void {
  const body = errorPage(code);
  socket.end(`HTTP/1.1 ${code} ${statusText[code]}\r\ncontent-type: text/html\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}
