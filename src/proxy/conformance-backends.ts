import dgram from 'node:dgram';
import net from 'node:net';

/** Test backends and clients for the datapath conformance suite; loopback only, ephemeral ports. */

let nextOctet = 1 + (process.pid % 200);

/** A fresh 127.77.N.0/24 for one test, so tests never share addresses. */
export function addressBlock(): (host: number) => string {
  const n = nextOctet;
  nextOctet = (nextOctet % 254) + 1;
  return (host) => `127.77.${n}.${host}`;
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms}ms: ${what}`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

export interface Backend {
  id: string;
  ip: string;
  port: number;
  close(): Promise<void>;
}

/** TCP: greets each connection with `id\n`, then echoes. UDP: answers `id:payload`. */
export async function startBackend(ip: string, id: string, protocol: 'TCP' | 'UDP' = 'TCP'): Promise<Backend> {
  if (protocol === 'UDP') {
    const s = dgram.createSocket('udp4');
    s.on('message', (msg, r) => s.send(`${id}:${msg.toString()}`, r.port, r.address));
    await new Promise<void>((r) => s.bind(0, ip, r));
    return { id, ip, port: s.address().port, close: () => new Promise((r) => s.close(() => r())) };
  }
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {});
    sock.write(`${id}\n`);
    sock.pipe(sock);
  });
  await new Promise<void>((r) => srv.listen(0, ip, r));
  return {
    id, ip, port: (srv.address() as net.AddressInfo).port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => srv.close(() => r()));
    },
  };
}

/** An open connection through the proxy and the greeting it got. */
export interface Conversation {
  id: string;
  socket: net.Socket;
  /** Sends `text` and resolves with what comes back (the echo). */
  echo(text: string): Promise<string>;
}

export function converse(host: string, port: number, localAddress?: string): Promise<Conversation> {
  return withTimeout(new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, localAddress });
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      socket.off('data', onData);
      const rest = buf.slice(nl + 1);
      resolve({ id: buf.slice(0, nl), socket, echo: (text) => echo(socket, text, rest) });
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.once('close', () => reject(new Error(`connection to ${host}:${port} closed before a greeting`)));
  }), 5000, `greeting from ${host}:${port}`);
}

function echo(socket: net.Socket, text: string, pending: string): Promise<string> {
  return withTimeout(new Promise((resolve, reject) => {
    let got = pending;
    const onData = (d: Buffer) => {
      got += d.toString();
      if (got.length >= text.length) {
        socket.off('data', onData);
        resolve(got);
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(text);
  }), 5000, 'echo');
}

/** Connects, reads the greeting (the backend id), hangs up. */
export async function whoami(host: string, port: number, localAddress?: string): Promise<string> {
  const c = await converse(host, port, localAddress);
  c.socket.destroy();
  return c.id;
}

/** Connects and expects the connection to be refused or reset without data; resolves with elapsed ms. */
export function expectRejected(host: string, port: number): Promise<number> {
  const start = performance.now();
  return withTimeout(new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    socket.on('data', () => reject(new Error(`got data from ${host}:${port}, expected a rejection`)));
    socket.on('error', () => {});
    socket.on('close', () => resolve(performance.now() - start));
  }), 5000, `rejection at ${host}:${port}`);
}

/** One UDP exchange; resolves with the reply and the address it came from. */
export function udpExchange(host: string, port: number, payload: string): Promise<{ reply: string; from: dgram.RemoteInfo }> {
  const s = dgram.createSocket('udp4');
  return withTimeout(new Promise<{ reply: string; from: dgram.RemoteInfo }>((resolve, reject) => {
    s.on('message', (msg, from) => resolve({ reply: msg.toString(), from }));
    s.on('error', reject);
    s.send(payload, port, host);
  }), 5000, `udp reply from ${host}:${port}`).finally(() => s.close());
}

/** Resolves when something can bind ip:port again (TCP or UDP), i.e. the datapath released it. */
export async function canBind(ip: string, port: number, protocol: 'TCP' | 'UDP'): Promise<boolean> {
  try {
    if (protocol === 'UDP') {
      const s = dgram.createSocket('udp4');
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.bind(port, ip, () => resolve());
      });
      await new Promise<void>((r) => s.close(() => r()));
      return true;
    }
    const srv = net.createServer();
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(port, ip, () => resolve());
    });
    await new Promise<void>((r) => srv.close(() => r()));
    return true;
  } catch {
    return false;
  }
}
