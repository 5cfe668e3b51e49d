/** The HTTP and HTTPS listeners of the ingress controller, with SNI over the current TLS table. */
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { createSecureContext } from 'node:tls';
import { createCA, createServingCert, type KeyPairPem } from '../util/pki.js';
import type { IngressProxy, Scheme } from './proxy.js';
import type { TlsTable } from './tls.js';

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

function listen(server: Server, port: number, host: string): Promise<number> {
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
  const https = createHttpsServer({
    cert: opts.fallback.certPem,
    key: opts.fallback.keyPem,
    SNICallback: (servername, cb) => {
      const cert = opts.tls().lookup(servername);
      cb(null, cert?.context ?? fallbackContext);
    },
  });
  const fallbackContext = createSecureContext({ cert: opts.fallback.certPem, key: opts.fallback.keyPem });
  bind(https, 'https');
  https.on('tlsClientError', () => {});
  const host = opts.listen.host;
  const httpPort = await listen(http, opts.listen.httpPort ?? 0, host);
  let httpsPort: number;
  try {
    httpsPort = await listen(https, opts.listen.httpsPort ?? 0, host);
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
      await Promise.all([close(http), close(https)]);
    },
  };
}
