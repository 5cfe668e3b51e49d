/**
 * kubelet port-forward (`portforward.k8s.io`, plain or tunnelled in WebSocket as
 * `SPDY/3.1+portforward.k8s.io`). Per forwarded connection the client opens an error stream and a data
 * stream with the same `requestid`; we dial podIP:port and splice, honouring half-closes both ways.
 * A failed dial is reported as text on the error stream, in kubelet's words. There is no idle timeout.
 */
import net from 'node:net';
import type { SpdyConnection } from './spdy/connection.js';
import type { SpdyStream } from './spdy/stream.js';

export const PORT_FORWARD_SPDY_PROTOCOL = 'portforward.k8s.io';
export const PORT_FORWARD_WEBSOCKET_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';

export interface PortForwardTarget {
  namespace: string;
  pod: string;
  /** Looked up per connection: the pod may have restarted since the session began. */
  podIP(): string | undefined;
  /** Stands in for the sandbox id in error messages. */
  sandboxID: string;
}

interface StreamPair {
  error?: SpdyStream;
  data?: SpdyStream;
}

/** Go's wording for the usual dial failures (`dial tcp4 IP:PORT: connect: connection refused`). */
function dialError(err: NodeJS.ErrnoException, ip: string, port: number): string {
  const what =
    err.code === 'ECONNREFUSED' ? 'connect: connection refused'
    : err.code === 'ETIMEDOUT' ? 'i/o timeout'
    : err.code === 'EHOSTUNREACH' ? 'connect: no route to host'
    : err.code === 'EADDRNOTAVAIL' ? 'connect: cannot assign requested address'
    : err.message;
  return `dial tcp4 ${ip}:${port}: ${what}`;
}

export function portForwardErrorMessage(target: PortForwardTarget, port: number, cause: string): string {
  const sandbox = target.sandboxID.replace(/^[a-z]+:\/\//, '');
  return `error forwarding port ${port} to pod ${sandbox}, uid : failed to execute portforward in network namespace "/var/run/netns/skiff-${target.namespace}-${target.pod}": ${cause}`;
}

export function servePortForward(conn: SpdyConnection, target: PortForwardTarget, log: (msg: string) => void): void {
  const pairs = new Map<string, StreamPair>();
  conn.on('connectionError', (err: Error) => log(`portforward ${target.namespace}/${target.pod}: ${err.message}`));
  conn.on('stream', (stream) => {
    const type = stream.headers['streamtype'];
    void stream.reply();
    if (type !== 'error' && type !== 'data') {
      stream.reset();
      return;
    }
    // old clients send no requestid: kubelet pairs data stream N with error stream N-2
    const requestID = stream.headers['requestid'] ?? String(type === 'data' ? stream.id - 2 : stream.id);
    const pair = pairs.get(requestID) ?? {};
    if (pair[type]) {
      stream.reset();
      return;
    }
    pair[type] = stream;
    pairs.set(requestID, pair);
    if (type === 'error') stream.resume(); // the client sends nothing but FIN on it
    if (pair.error && pair.data) {
      pairs.delete(requestID);
      forward(pair.error, pair.data, target);
    }
  });
}

function forward(errorStream: SpdyStream, data: SpdyStream, target: PortForwardTarget): void {
  const port = Number(data.headers['port'] ?? errorStream.headers['port']);
  const fail = (cause: string) => {
    errorStream.end(portForwardErrorMessage(target, port, cause));
    data.end();
    data.resume();
  };
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    fail(`invalid port "${data.headers['port'] ?? ''}"`);
    return;
  }
  const ip = target.podIP();
  if (!ip) {
    fail(`pod ${target.namespace}/${target.pod} has no IP on this node`);
    return;
  }
  const socket = net.connect({ host: ip, port, allowHalfOpen: true });
  let connected = false;
  socket.once('connect', () => {
    connected = true;
    socket.setNoDelay(true);
    data.pipe(socket); // client FIN → half-close towards the pod
    socket.pipe(data); // pod FIN → FIN on the data stream
  });
  socket.on('error', (err: NodeJS.ErrnoException) => {
    if (!connected) fail(`failed to connect to ${ip}:${port} inside namespace "${target.sandboxID.replace(/^[a-z]+:\/\//, '')}", IPv4: ${dialError(err, ip, port)} `);
    else data.destroy();
  });
  socket.on('close', () => {
    if (!connected) return;
    if (!data.writableEnded) data.end();
    errorStream.end();
  });
  data.on('error', () => socket.destroy());
  data.on('close', () => {
    // the client reset the stream or the connection went away
    if (!socket.destroyed && (!data.writableFinished || !data.readableEnded)) socket.destroy();
    if (!errorStream.writableEnded) errorStream.end();
  });
}
