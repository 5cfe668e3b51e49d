/** The HTTP and HTTPS listeners of the ingress controller; HTTPS picks its certificate by SNI from the current TLS table. */
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createSecureContext, TLSSocket } from 'node:tls';
import { createCA, createServingCert, type KeyPairPem } from '../util/pki.js';
import { parseClientHello } from './client-hello.js';
import type { IngressProxy, Scheme } from './proxy.js';
import type { TlsTable } from './tls.js';

const helloTimeoutMs = 10_000;

export interface ListenOptions {
  host: string;
  /** 0 (the default) picks a free port. */
  httpPort?: number;
  httpsPort?: number;
}

export interface IngressListeners {
  host: string;
  httpPort: number;
  httpsPort: number;
  close(): Promise<void>;
}

/** ingress-nginx's fallback is "Kubernetes Ingress Controller Fake Certificate"; ours says skiff. */
export async function fallbackCertificate(): Promise<KeyPairPem> {
  const ca = await createCA('skiff ingress fallback CA');
  return createServingCert({ ca, commonName: 'Kubernetes Ingress Controller Fake Certificate', dnsNames: ['ingress.local'], ips: [] });
}

function listen(server: NetServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export async function startListeners(opts: { listen: ListenOptions; proxy: IngressProxy; tls: () => TlsTable; fallback: KeyPairPem }): Promise<IngressListeners> {
  const { proxy } = opts;
  const bind = (server: Server, scheme: Scheme) => {
    server.on('request', (req, res) => proxy.handleRequest(req, res, scheme));
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => proxy.handleUpgrade(req, socket, head, scheme));
    server.on('clientError', (_err, socket: Duplex) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
      else socket.destroy();
    });
    // Idle keep-alive connections from clients stay open as long as nginx's default (75s).
    server.keepAliveTimeout = 75_000;
    server.headersTimeout = 80_000;
    server.requestTimeout = 0;
  };
  const http = createHttpServer();
  bind(http, 'http');
  // HTTPS: TLS is set up here and the decrypted sockets handed to a plain HTTP server.
  const https = createHttpServer();
  bind(https, 'https');
  const fallbackContext = createSecureContext({ cert: opts.fallback.certPem, key: opts.fallback.keyPem });
  const rawSockets = new Set<Socket>();
  const tlsListener = createNetServer((socket) => {
    rawSockets.add(socket);
    socket.once('close', () => rawSockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setTimeout(helloTimeoutMs, () => socket.destroy());
    let seen = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      seen = Buffer.concat([seen, chunk]);
      const hello = parseClientHello(seen);
      if (!hello.complete) return;
      socket.off('data', onData);
      socket.pause();
      socket.setTimeout(0);
      socket.unshift(seen);
      const cert = hello.servername ? opts.tls().lookup(hello.servername) : undefined;
      const secure = new TLSSocket(socket, { isServer: true, secureContext: cert?.context ?? fallbackContext, ALPNProtocols: ['http/1.1'] });
      secure.on('error', () => secure.destroy());
      https.emit('connection', secure);
    };
    socket.on('data', onData);
  });
  const host = opts.listen.host;
  const httpPort = await listen(http, opts.listen.httpPort ?? 0, host);
  let httpsPort: number;
  try {
    httpsPort = await listen(tlsListener, opts.listen.httpsPort ?? 0, host);
  } catch (err) {
    await close(http);
    throw err;
  }
  return {
    host,
    httpPort,
    httpsPort,
    async close() {
      proxy.close();
      const tlsClosed = new Promise<void>((resolve) => tlsListener.close(() => resolve()));
      for (const s of rawSockets) s.destroy();
      await Promise.all([close(http), close(https), tlsClosed]);
    },
  };
}
