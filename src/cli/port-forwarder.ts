/** A small userspace TCP forwarder: the API server on the host end IP, and --port-mapping of NodePorts onto 127.0.0.1. */
import net from 'node:net';
import { InvalidArgumentError } from 'commander';

export interface PortMapping {
  hostPort: number;
  nodePort: number;
}

/** `30008` or `8080:30008` (host port : node port), comma-separated, repeatable. */
export function parsePortMappings(v: string, prev: PortMapping[] = []): PortMapping[] {
  const out = [...prev];
  for (const part of v.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(?:(\d+):)?(\d+)$/.exec(part);
    const host = Number(m?.[1] ?? m?.[2]);
    const node = Number(m?.[2]);
    if (!m || !(host > 0 && host < 65536) || !(node > 0 && node < 65536)) throw new InvalidArgumentError(`"${part}": expected NODEPORT or HOSTPORT:NODEPORT`);
    out.push({ hostPort: host, nodePort: node });
  }
  return out;
}

export interface RunningForwarder {
  port: number;
  close(): Promise<void>;
}

/** Listens on listenHost:listenPort and splices every connection to targetHost:targetPort. */
export async function startForwarder(o: { listenHost: string; listenPort: number; targetHost: string; targetPort: number }): Promise<RunningForwarder> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: o.targetHost, port: o.targetPort });
    sockets.add(client).add(upstream);
    const done = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', done).on('close', done);
    upstream.on('error', done).on('close', done);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.listenPort, o.listenHost, () => resolve());
  });
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : o.listenPort,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
