/**
 * Protocol negotiation for the kubelet's streaming endpoints: WebSocket (with the subprotocol echoed in
 * the 101, as kubectl requires) and SPDY/3.1 (`X-Stream-Protocol-Version`).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { SpdyConnection } from './spdy/connection.js';

export function isWebSocketUpgrade(req: IncomingMessage): boolean {
  return (req.headers.upgrade ?? '').toLowerCase() === 'websocket';
}

export function isSpdyUpgrade(req: IncomingMessage): boolean {
  return (req.headers.upgrade ?? '').toLowerCase().startsWith('spdy/3.1');
}

function commaList(value: string | string[] | undefined): string[] {
  const parts = Array.isArray(value) ? value.join(',') : (value ?? '');
  return parts.split(',').map((s) => s.trim()).filter(Boolean);
}

/** The first of our protocols (in our preference order) that the client offered. */
export function pickProtocol(offered: string | string[] | undefined, supported: readonly string[]): string | undefined {
  const list = commaList(offered);
  return supported.find((p) => list.includes(p));
}

/** Answers a request that cannot be upgraded with a Kubernetes Status body and closes the socket. */
export function rejectUpgrade(socket: Duplex, code: number, message: string, reason = 'BadRequest'): void {
  const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
  const text = code === 400 ? 'Bad Request' : code === 404 ? 'Not Found' : code === 403 ? 'Forbidden' : 'Error';
  socket.end(`HTTP/1.1 ${code} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/** kubelet's streaming.WriteError: a plain-text error body (kubectl prints `unable to upgrade connection: <body>`). */
export function rejectUpgradeText(socket: Duplex, code: number, text: string): void {
  socket.end(`HTTP/1.1 ${code} ${code === 404 ? 'Not Found' : 'Internal Server Error'}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`);
}

/** Switches to SPDY/3.1 with the negotiated stream protocol and returns the session. */
export function acceptSpdy(socket: Duplex, head: Buffer | undefined, protocol: string): SpdyConnection {
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${protocol}\r\n\r\n`);
  if (head && head.length > 0) socket.unshift(head);
  return new SpdyConnection(socket, { server: true });
}

// `ws` only accepts RFC 7230 tokens as subprotocols, and `SPDY/3.1+portforward.k8s.io` has a '/':
// the header is swapped for a stand-in before handleUpgrade and swapped back in the 101.
const STAND_IN = 'skiff-stand-in-protocol';
const originals = new WeakMap<IncomingMessage, string>();

const wss = new WebSocketServer({
  noServer: true,
  perMessageDeflate: false,
  maxPayload: 64 * 1024 * 1024,
  handleProtocols: (protocols, req) => {
    const wanted = (req as IncomingMessage & { skiffProtocol?: string }).skiffProtocol;
    if (wanted && protocols.has(STAND_IN)) return STAND_IN;
    return wanted && protocols.has(wanted) ? wanted : false;
  },
});
wss.on('headers', (headers: string[], req: IncomingMessage) => {
  const original = originals.get(req);
  if (!original) return;
  const i = headers.findIndex((h) => h.toLowerCase().startsWith('sec-websocket-protocol:'));
  if (i >= 0) headers[i] = `Sec-WebSocket-Protocol: ${original}`;
});

/** Completes a WebSocket upgrade speaking `protocol` (which the client offered). */
export function acceptWebSocket(req: IncomingMessage, socket: Duplex, head: Buffer | undefined, protocol: string): Promise<WebSocket> {
  (req as IncomingMessage & { skiffProtocol?: string }).skiffProtocol = protocol;
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(protocol)) {
    originals.set(req, protocol);
    req.headers['sec-websocket-protocol'] = STAND_IN;
  }
  return new Promise((resolve) => wss.handleUpgrade(req, socket, head ?? Buffer.alloc(0), (ws) => resolve(ws)));
}
