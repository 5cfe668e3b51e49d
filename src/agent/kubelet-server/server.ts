/**
 * The kubelet API (HTTPS on nodeIP:kubeletPort, self-signed like a kubelet without
 * --tls-cert-file): `/healthz`, `/containerLogs/{ns}/{pod}/{container}`, and `/exec`, `/attach`,
 * `/portForward` handed to the pluggable StreamHandlers. Requests carry the cluster token.
 */
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { createCA, createServingCert, loadOrCreateKeyPair, type KeyPairPem } from '../../util/pki.js';
import { streamLog, type LogOptions } from './log-reader.js';
import type { PodRuntimeAccess, StreamHandlers, StreamRequest } from './types.js';

export interface ContainerLogSource {
  containerLog(o: { namespace: string; pod: string; container: string; previous: boolean }): { file: string; live(): boolean } | { code: number; message: string };
}

export interface KubeletServerOptions {
  nodeName: string;
  nodeIP: string;
  port: number;
  token: string;
  runtime: PodRuntimeAccess & ContainerLogSource;
  streams?: StreamHandlers;
  now?: () => number;
  log?: (message: string) => void;
  /** Where the self-signed serving certificate is kept across restarts (made anew each start if absent). */
  certDir?: string;
}

type Route = { kind: 'exec' | 'attach' | 'portForward' | 'containerLogs'; route: StreamRequest } | { kind: 'healthz' } | undefined;

function parseRoute(url: URL): Route {
  const parts = url.pathname.split('/').filter((p) => p !== '').map(decodeURIComponent);
  const [head, ns, pod, container] = parts;
  if (head === 'healthz' && parts.length === 1) return { kind: 'healthz' };
  if ((head === 'exec' || head === 'attach' || head === 'containerLogs') && ns && pod && parts.length <= 4) {
    if (head === 'containerLogs' && !container) return undefined;
    return { kind: head, route: { namespace: ns, pod, container: container ?? '', query: url.searchParams } };
  }
  if (head === 'portForward' && ns && pod && parts.length === 3) return { kind: 'portForward', route: { namespace: ns, pod, container: '', query: url.searchParams } };
  return undefined;
}

export class KubeletServer {
  private server: https.Server | undefined;
  port = 0;

  constructor(private readonly opts: KubeletServerOptions) {}

  async listen(): Promise<number> {
    const create = async (): Promise<KeyPairPem> => {
      const ca = await createCA(`${this.opts.nodeName}-ca@${Math.floor(Date.now() / 1000)}`);
      const cert = await createServingCert({ ca, commonName: `${this.opts.nodeName}@${Math.floor(Date.now() / 1000)}`, dnsNames: [this.opts.nodeName, 'localhost'], ips: [this.opts.nodeIP] });
      return { certPem: `${cert.certPem.trim()}\n${ca.certPem.trim()}\n`, keyPem: cert.keyPem };
    };
    // the API server does not verify kubelet certificates (kube-apiserver's default): SANs may go stale
    const pair = this.opts.certDir ? await loadOrCreateKeyPair({ dir: this.opts.certDir, name: 'kubelet', create }) : await create();
    const server = https.createServer({ cert: pair.certPem, key: pair.keyPem }, (req, res) => this.handle(req, res));
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.handleUpgrade(req, socket, head));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.nodeIP, () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    return this.port;
  }

  private authorized(req: IncomingMessage): boolean {
    return req.headers.authorization === `Bearer ${this.opts.token}`;
  }

  private handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'https://kubelet');
    const route = parseRoute(url);
    if (!this.authorized(req)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nUnauthorized');
      return;
    }
    if (!route || route.kind === 'healthz' || route.kind === 'containerLogs' || !this.opts.streams) {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n404 page not found\n');
      return;
    }
    this.opts.streams[route.kind]({ req, socket, head, route: route.route, runtime: this.opts.runtime });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'https://kubelet');
    const route = parseRoute(url);
    if (route?.kind === 'healthz') return text(res, 200, 'ok');
    if (!this.authorized(req)) return text(res, 401, 'Unauthorized');
    if (!route) return text(res, 404, '404 page not found\n');
    if (route.kind === 'containerLogs') return void this.containerLogs(route.route, req, res);
    if (!this.opts.streams) return text(res, 404, '404 page not found\n');
    this.opts.streams[route.kind]({ req, res, socket: req.socket, route: route.route, runtime: this.opts.runtime });
  }

  private async containerLogs(route: StreamRequest, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const q = route.query;
    const flag = (name: string) => q.has(name) && q.get(name) !== 'false' && q.get(name) !== '0';
    const intParam = (name: string): number | undefined => {
      const v = q.get(name);
      return v !== null && /^-?\d+$/.test(v) ? Number(v) : undefined;
    };
    const options: LogOptions = { follow: flag('follow'), timestamps: flag('timestamps') };
    const tail = intParam('tailLines');
    if (tail !== undefined && tail >= 0) options.tailLines = tail;
    const limit = intParam('limitBytes');
    if (limit !== undefined && limit > 0) options.limitBytes = limit;
    const sinceSeconds = intParam('sinceSeconds');
    const now = this.opts.now ?? Date.now;
    if (sinceSeconds !== undefined && sinceSeconds > 0) options.since = now() - sinceSeconds * 1000;
    const sinceTime = q.get('sinceTime');
    if (sinceTime && !Number.isNaN(Date.parse(sinceTime))) options.since = Date.parse(sinceTime);
    const loc = this.opts.runtime.containerLog({ namespace: route.namespace, pod: route.pod, container: route.container, previous: flag('previous') });
    if ('code' in loc) return text(res, loc.code, loc.message);
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
    let closed = false;
    req.socket.once('close', () => (closed = true));
    res.once('close', () => (closed = true));
    try {
      await streamLog({ file: loc.file, live: loc.live, options, sink: { write: (s) => res.write(s), closed: () => closed } });
    } finally {
      res.end();
    }
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}

function text(res: ServerResponse, code: number, body: string): void {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
