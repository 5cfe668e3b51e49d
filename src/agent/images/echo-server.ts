/**
 * The built-in `skiff/echo` image: an HTTP echo app bound to the pod IP, with health endpoints whose
 * failure can be switched on (by env or by request) so that probes can be exercised, and a UDP echo.
 * Runnable standalone: `node dist/src/agent/images/echo-server.js`.
 */
import { listenAddress } from './listen-address.js';
import http from 'node:http';
import dgram from 'node:dgram';
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import type { AddressInfo } from 'node:net';
import { parseGoDuration } from '../duration.js';
import { nginxWelcomePage } from './nginx.js';

export interface EchoServerOptions {
  env: Record<string, string | undefined>;
  /** Where "listening on ..." lines go (stdout when standalone). */
  log?: (line: string) => void;
  now?: () => number;
}

export interface EchoServer {
  /** `ip:port` of every HTTP listener (actual ports, so port 0 works in tests). */
  readonly httpAddresses: string[];
  readonly udpAddresses: string[];
  /** Called when a client asks the app to crash (`POST /control/exit?code=N`). */
  onExit(fn: (code: number) => void): void;
  close(): Promise<void>;
}

/**
 * Ports from `$PORTS`, `$PORT`, `$SERVER_PORT` and the agent's `$SKIFF_CONTAINER_PORTS`; when none,
 * the image's `$SKIFF_DEFAULT_PORTS`, else 8080.
 */
export function echoPorts(env: Record<string, string | undefined>): number[] {
  const ports = new Set<number>();
  for (const name of ['PORTS', 'PORT', 'SERVER_PORT', 'SKIFF_CONTAINER_PORTS']) {
    for (const p of parsePortList(env[name])) ports.add(p);
  }
  if (ports.size > 0) return [...ports];
  const defaults = parsePortList(env.SKIFF_DEFAULT_PORTS);
  return defaults.length > 0 ? defaults : [8080];
}

function parsePortList(value: string | undefined): number[] {
  if (!value) return [];
  return value
    .split(/[,\s]+/)
    .filter((s) => s !== '')
    .map(Number)
    .filter((n) => Number.isInteger(n) && n >= 0 && n <= 65535);
}

function truthy(v: string | undefined): boolean {
  return v !== undefined && /^(1|true|yes|on)$/i.test(v.trim());
}

/** Health state: liveness may fail after a delay; both can be toggled at run time. */
class Health {
  private readiness: boolean;
  private liveness: boolean;
  private readonly livenessFailsAt: number | undefined;
  constructor(env: Record<string, string | undefined>, private readonly now: () => number) {
    this.readiness = !truthy(env.FAIL_READINESS);
    this.liveness = !truthy(env.FAIL_LIVENESS);
    const after = env.FAIL_LIVENESS_AFTER ? parseGoDuration(env.FAIL_LIVENESS_AFTER) : undefined;
    this.livenessFailsAt = after === undefined ? undefined : now() + after;
  }
  live(): boolean {
    return this.liveness && (this.livenessFailsAt === undefined || this.now() < this.livenessFailsAt);
  }
  ready(): boolean {
    return this.readiness;
  }
  set(kind: 'readiness' | 'liveness', ok: boolean): void {
    if (kind === 'readiness') this.readiness = ok;
    else this.liveness = ok;
  }
}

export async function startEchoServer(opts: EchoServerOptions): Promise<EchoServer> {
  const env = opts.env;
  const now = opts.now ?? Date.now;
  const log = opts.log ?? (() => {});
  const podIP = env.POD_IP || '127.0.0.1';
  const hostname = env.HOSTNAME || os.hostname();
  const welcome = env.SKIFF_ECHO_MODE === 'nginx-welcome';
  const health = new Health(env, now);
  const httpServers: http.Server[] = [];
  const udpSockets: dgram.Socket[] = [];
  let onExitRequest: ((code: number) => void) | undefined;

  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://echo');
    const send = (status: number, body: string, type = 'text/plain; charset=utf-8'): void => {
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (url.pathname === '/healthz' || url.pathname === '/livez') {
      return health.live() ? send(200, 'ok\n') : send(500, 'liveness failing\n');
    }
    if (url.pathname === '/readyz') return health.ready() ? send(200, 'ok\n') : send(503, 'not ready\n');
    const control = /^\/control\/(fail|pass)-(readiness|liveness)$/.exec(url.pathname);
    if (control && req.method === 'POST') {
      health.set(control[2] as 'readiness' | 'liveness', control[1] === 'pass');
      return send(200, `${control[2]} ${control[1] === 'pass' ? 'passing' : 'failing'}\n`);
    }
    if (url.pathname === '/control/exit' && req.method === 'POST') {
      const code = Number(url.searchParams.get('code') ?? '1');
      send(200, `exiting with ${code}\n`);
      res.on('finish', () => onExitRequest?.(Number.isInteger(code) ? code : 1));
      return;
    }
    if (welcome) {
      if (url.pathname === '/' || url.pathname === '/index.html') return send(200, nginxWelcomePage, 'text/html');
      return send(404, '<html><head><title>404 Not Found</title></head><body><center><h1>404 Not Found</h1></center></body></html>\n', 'text/html');
    }
    const body = {
      hostname,
      podIP,
      podName: env.POD_NAME || hostname,
      namespace: env.POD_NAMESPACE || '',
      node: env.NODE_NAME || '',
      method: req.method,
      path: req.url,
      headers: req.headers,
      remoteAddress: req.socket.remoteAddress,
      time: new Date(now()).toISOString(),
    };
    req.resume();
    req.on('end', () => send(200, JSON.stringify(body, null, 2) + '\n', 'application/json'));
  };

  try {
    for (const port of echoPorts(env)) {
      const server = http.createServer(handler);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, listenAddress(podIP), () => resolve());
      });
      httpServers.push(server);
      log(`echo-server listening on http://${podIP}:${(server.address() as AddressInfo).port}`);
    }
    for (const port of parsePortList(env.UDP_PORTS)) {
      const sock = dgram.createSocket('udp4');
      sock.on('message', (msg, rinfo) => sock.send(msg, rinfo.port, rinfo.address));
      await new Promise<void>((resolve, reject) => {
        sock.once('error', reject);
        sock.bind(port, podIP, () => resolve());
      });
      udpSockets.push(sock);
      log(`echo-server listening on udp://${podIP}:${sock.address().port}`);
    }
  } catch (err) {
    for (const s of httpServers) s.close();
    for (const s of udpSockets) s.close();
    throw err;
  }

  const server: EchoServer = {
    httpAddresses: httpServers.map((s) => `${podIP}:${(s.address() as AddressInfo).port}`),
    udpAddresses: udpSockets.map((s) => `${podIP}:${s.address().port}`),
    async close() {
      await Promise.all([
        ...httpServers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeAllConnections();
            }),
        ),
        ...udpSockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
      ]);
    },
    onExit(fn) {
      onExitRequest = fn;
    },
  };
  return server;
}

async function main(): Promise<void> {
  const env = process.env;
  let server: EchoServer;
  try {
    server = await startEchoServer({ env, log: (l) => console.log(l) });
  } catch (err) {
    console.error(`echo-server: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
    return;
  }
  const shutdown = (signal: string): void => {
    if (truthy(env.IGNORE_SIGTERM) && signal === 'SIGTERM') {
      console.log('echo-server: ignoring SIGTERM');
      return;
    }
    console.log(`echo-server: ${signal} received, shutting down`);
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  server.onExit((code) => {
    console.log(`echo-server: exit requested with code ${code}`);
    void server.close().then(() => process.exit(code));
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main();
