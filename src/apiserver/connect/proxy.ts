/**
 * The API server's leg to a kubelet: plain requests (logs, streamed as they come) are re-issued;
 * upgrades (exec/attach/portforward, WebSocket or SPDY) are forwarded as the raw request and then
 * spliced byte for byte, so the kubelet answers the handshake and speaks the protocol end to end.
 * The kubelet's serving certificate is not verified (kube-apiserver without
 * --kubelet-certificate-authority); the request carries the cluster token.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { StatusError } from '../../api/status.js';
import type { KubeletLocation } from './locate.js';

export interface KubeletClientOptions {
  token: string;
  /** `https` (default, as kubelets serve) or `http` (tests). */
  scheme?: 'https' | 'http';
}

/** Go's `dial tcp` wording for the usual failures. */
function dialMessage(err: NodeJS.ErrnoException, loc: KubeletLocation): string {
  const addr = `${loc.host}:${loc.port}`;
  if (err.code === 'ECONNREFUSED') return `dial tcp ${addr}: connect: connection refused`;
  if (err.code === 'EHOSTUNREACH') return `dial tcp ${addr}: connect: no route to host`;
  if (err.code === 'ETIMEDOUT') return `dial tcp ${addr}: i/o timeout`;
  return err.message;
}

/** A non-Status Go error as kube-apiserver renders it: 500 with an empty reason. */
function backendError(message: string): StatusError {
  return new StatusError({ reason: undefined, code: 500, message });
}

const passResponseHeaders = ['content-type', 'content-length', 'transfer-encoding', 'cache-control'];

/** GET on the kubelet, streamed back to the client (logs, `-f` included). */
export function proxyPlain(req: IncomingMessage, res: ServerResponse, loc: KubeletLocation, opts: KubeletClientOptions): Promise<void> {
  const scheme = opts.scheme ?? 'https';
  return new Promise((resolve, reject) => {
    const upstream = (scheme === 'https' ? https : http).request({
      host: loc.host,
      port: loc.port,
      path: loc.path,
      method: req.method === 'HEAD' ? 'HEAD' : 'GET',
      headers: { authorization: `Bearer ${opts.token}`, accept: req.headers.accept ?? '*/*' },
      rejectUnauthorized: false,
      agent: false,
    });
    upstream.on('response', (up) => {
      const headers: Record<string, string> = {};
      for (const h of passResponseHeaders) {
        const v = up.headers[h];
        if (typeof v === 'string' && h !== 'transfer-encoding') headers[h] = v;
      }
      res.writeHead(up.statusCode ?? 502, headers);
      res.flushHeaders();
      up.pipe(res);
      up.on('end', () => resolve());
      up.on('error', () => resolve());
    });
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      if (res.headersSent) {
        res.destroy();
        resolve();
      } else reject(backendError(`Get "${scheme}://${loc.host}:${loc.port}${loc.path}": ${dialMessage(err, loc)}`));
    });
    // the client hung up (kubectl logs -f interrupted): stop reading from the kubelet
    res.on('close', () => {
      upstream.destroy();
      resolve();
    });
    upstream.end();
  });
}

function dial(loc: KubeletLocation, scheme: 'https' | 'http'): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const sock =
      scheme === 'https'
        ? tls.connect({ host: loc.host, port: loc.port, rejectUnauthorized: false, servername: net.isIP(loc.host) ? undefined : loc.host })
        : net.connect({ host: loc.host, port: loc.port });
    // Stream protocols send small frames back to back (SYN_STREAM, SYN_STREAM, DATA): with Nagle on this
    // leg each waits for the kubelet's delayed ACK of the one before, ~40 ms apiece.
    sock.setNoDelay(true);
    sock.once(scheme === 'https' ? 'secureConnect' : 'connect', () => {
      sock.off('error', reject);
      resolve(sock);
    });
    sock.once('error', reject);
  });
}

const dropRequestHeaders = new Set(['authorization', 'host', 'content-length']);

/** Forwards an upgrade request to the kubelet and splices the two connections. */
export async function proxyUpgrade(req: IncomingMessage, client: Duplex, head: Buffer, loc: KubeletLocation, opts: KubeletClientOptions): Promise<void> {
  let upstream: Duplex;
  try {
    upstream = await dial(loc, opts.scheme ?? 'https');
  } catch (err) {
    throw backendError(`error dialing backend: ${dialMessage(err as NodeJS.ErrnoException, loc)}`);
  }
  const lines = [`${req.method ?? 'GET'} ${loc.path} HTTP/1.1`, `Host: ${loc.host}:${loc.port}`, `Authorization: Bearer ${opts.token}`];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    if (!dropRequestHeaders.has(req.rawHeaders[i]!.toLowerCase())) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
  }
  upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
  if (head.length > 0) upstream.write(head);
  if ('setTimeout' in client && typeof client.setTimeout === 'function') (client as net.Socket).setTimeout(0);
  if ('setNoDelay' in client && typeof client.setNoDelay === 'function') (client as net.Socket).setNoDelay(true);
  // half-closes pass through (kubectl may end with a bare FIN); an error on either side ends both
  client.pipe(upstream);
  upstream.pipe(client);
  const closeBoth = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', closeBoth);
  upstream.on('error', closeBoth);
  // once one side is gone, flush what is queued for the other and close it
  const finish = (s: Duplex) => {
    if (s.destroyed) return;
    if (s.writableFinished) s.destroy();
    else if (s.writableEnded) s.once('finish', () => s.destroy());
    else s.end(() => s.destroy());
  };
  client.on('close', () => finish(upstream));
  upstream.on('close', () => finish(client));
}
