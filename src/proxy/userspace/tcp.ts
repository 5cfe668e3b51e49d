import net from 'node:net';
import { nextConnectionId, type ChoiceReason } from '../observe.js';
import { cidrContains, type CIDR } from '../../util/net.js';
import type { EndpointCounters } from './balancer.js';
import { bindOnce, type ConnectionRegistry, type ListenerTarget, type ProxyListener } from './listener.js';

/** Per-attempt dial timeouts, as the userspace proxier's endpointDialTimeouts. */
const dialTimeouts = [250, 500, 1000, 2000];

/** Closes a client at once; RST tells it "nothing here" as fast as iptables' REJECT does. */
function reject(sock: net.Socket): void {
  if (sock.destroyed) return;
  try {
    sock.resetAndDestroy();
  } catch {
    sock.destroy();
  }
}

/** A TCP proxy port: accepts, picks an endpoint, dials (retrying others), then splices bytes both ways. */
export class TcpListener implements ProxyListener {
  readonly protocol = 'TCP' as const;
  private readonly server: net.Server;

  constructor(
    readonly address: string,
    readonly port: number,
    public target: ListenerTarget,
    private readonly connections: ConnectionRegistry,
    /** Clients from here are pods: the upstream connection is bound to the client's address. */
    private readonly podCIDR?: CIDR,
  ) {
    this.server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true }, (c) => this.accept(c));
  }

  listen(): Promise<void> {
    return bindOnce(this.server, (bound) => this.server.listen({ host: this.address, port: this.port, exclusive: true }, bound));
  }

  close(): void {
    this.server.close();
  }

  private accept(client: net.Socket): void {
    client.on('error', () => {}); // every path below ends the pair; errors need no further report
    const { balancer, role, nodeName } = this.target;
    const clientIP = client.remoteAddress;
    if (!clientIP || !balancer.hasEndpoints) return reject(client);
    const req = { role, nodeName, clientIP, clientPort: client.remotePort ?? 0, destIP: client.localAddress ?? this.address };
    const exclude = new Set<string>();
    let clientGone = false;
    client.once('close', () => (clientGone = true));

    const fromPod = this.podCIDR !== undefined && net.isIPv4(clientIP) && cidrContains(this.podCIDR, clientIP);
    let bindSource = fromPod;
    const attempt = (n: number): void => {
      const ep = balancer.choose({ ...req, exclude });
      if (!ep || clientGone) return reject(client);
      const why = balancer.observer && { reason: balancer.lastReason, local: balancer.lastLocal };
      const upstream = net.connect({ host: ep.ip, port: ep.port, noDelay: true, allowHalfOpen: true, localAddress: bindSource ? clientIP : undefined });
      upstream.setTimeout(dialTimeouts[n]);
      const abandon = () => upstream.destroy();
      client.once('close', abandon);
      const fail = (err?: NodeJS.ErrnoException) => {
        client.off('close', abandon);
        if (bindSource && (err?.code === 'EADDRNOTAVAIL' || err?.code === 'EINVAL')) {
          // the kernel would not let us use the pod's address here: carry on from the proxy's own
          upstream.destroy();
          bindSource = false;
          return attempt(n);
        }
        upstream.destroy();
        exclude.add(ep.key);
        balancer.dialFailed(clientIP);
        if (n + 1 < dialTimeouts.length) attempt(n + 1);
        else reject(client);
      };
      upstream.once('error', fail);
      upstream.once('timeout', fail);
      upstream.once('connect', () => {
        upstream.off('error', fail);
        upstream.off('timeout', fail);
        client.off('close', abandon);
        upstream.setTimeout(0);
        if (clientGone) return upstream.destroy();
        this.splice(client, upstream, ep, why);
      });
    };
    attempt(0);
  }

  private splice(client: net.Socket, upstream: net.Socket, ep: EndpointCounters, why?: { reason: ChoiceReason; local: boolean }): void {
    const { balancer, role } = this.target;
    // the registry entry doubles as the endpoint's handle on the sockets' byte counters
    const conn = {
      client, upstream,
      destroy: () => {
        client.destroy();
        upstream.destroy();
      },
    };
    balancer.connectionOpened(ep, conn);
    const observer = why && balancer.observer;
    const id = observer ? nextConnectionId() : 0;
    if (observer) observer.opened({
      id, time: Date.now(), protocol: 'TCP', clientIP: client.remoteAddress ?? '', clientPort: client.remotePort ?? 0,
      dialledIP: client.localAddress ?? this.address, dialledPort: this.port, role, servicePortName: balancer.name,
      endpoint: ep.key, reason: why.reason, localPolicy: why.local,
    });
    this.connections.add(conn);
    let open = 2;
    const closed = () => {
      if (--open > 0) return;
      this.connections.delete(conn);
      balancer.connectionClosed(ep, conn);
      if (observer) observer.closed({ id, time: Date.now(), bytesIn: client.bytesRead, bytesOut: upstream.bytesRead });
    };
    // A reset on one side is passed on as a reset, so neither peer mistakes it for a clean end.
    client.on('error', () => reject(upstream));
    upstream.on('error', () => reject(client));
    client.once('close', closed);
    upstream.once('close', closed);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
