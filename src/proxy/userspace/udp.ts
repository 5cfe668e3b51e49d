import dgram from 'node:dgram';
import net from 'node:net';
import type { Clock, TimerHandle } from '../../util/clock.js';
import { nextConnectionId } from '../observe.js';
import type { EndpointCounters, ServiceBalancer } from './balancer.js';
import { bindOnce, type ConnectionRegistry, type ListenerTarget, type ProxyListener } from './listener.js';

interface Flow {
  upstream: dgram.Socket;
  endpoint: EndpointCounters;
  balancer: ServiceBalancer;
  lastActivity: number;
  timer: TimerHandle;
  /** Observed flows only (the web view): connection id and this flow's bytes. */
  observed?: { id: number; bytesIn: number; bytesOut: number };
  destroy(): void;
}

export interface UdpListenerOptions {
  clock: Clock;
  /** A flow with no packet either way for this long is forgotten (conntrack's UDP timeout is 30s). */
  idleTimeoutMs: number;
  connections: ConnectionRegistry;
}

/**
 * A UDP proxy port: each client address:port is a flow with its own upstream socket; replies leave
 * from the service address so the client sees the address it sent to.
 */
export class UdpListener implements ProxyListener {
  readonly protocol = 'UDP' as const;
  private readonly socket: dgram.Socket;
  private readonly flows = new Map<string, Flow>();
  private readonly type: 'udp4' | 'udp6';

  constructor(
    readonly address: string,
    readonly port: number,
    public target: ListenerTarget,
    private readonly opts: UdpListenerOptions,
  ) {
    this.type = net.isIPv6(address) ? 'udp6' : 'udp4';
    this.socket = dgram.createSocket({ type: this.type });
    this.socket.on('message', (msg, rinfo) => this.receive(msg, rinfo));
  }

  listen(): Promise<void> {
    return bindOnce(this.socket, (bound) => this.socket.bind({ address: this.address, port: this.port, exclusive: true }, bound));
  }

  close(): void {
    // Flows die with the socket their replies leave from.
    for (const flow of [...this.flows.values()]) flow.destroy();
    try {
      this.socket.close();
    } catch {
      // already closed
    }
  }

  /** Like kube-proxy's conntrack cleanup: flows to endpoints that left are dropped so clients move on. */
  synced(): void {
    for (const flow of [...this.flows.values()]) if (!flow.balancer.isCandidate(flow.endpoint.key)) flow.destroy();
  }

  private receive(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const key = `${rinfo.address}:${rinfo.port}`;
    let flow = this.flows.get(key);
    if (!flow) {
      const { balancer, role, nodeName } = this.target;
      if (!balancer.hasEndpoints) return; // nothing to answer; a kernel REJECT's ICMP is beyond userspace
      const ep = balancer.choose({ role, nodeName, clientIP: rinfo.address, clientPort: rinfo.port, destIP: this.address });
      if (!ep) return;
      flow = this.openFlow(key, rinfo, balancer, ep);
      const observer = balancer.observer;
      if (observer) {
        flow.observed = { id: nextConnectionId(), bytesIn: 0, bytesOut: 0 };
        observer.opened({
          id: flow.observed.id, time: Date.now(), protocol: 'UDP', clientIP: rinfo.address, clientPort: rinfo.port,
          dialledIP: this.address, dialledPort: this.port, role, servicePortName: balancer.name, endpoint: ep.key,
          reason: balancer.lastReason, localPolicy: balancer.lastLocal,
        });
      }
    }
    if (flow.observed) flow.observed.bytesIn += msg.length;
    flow.lastActivity = this.opts.clock.now();
    flow.endpoint.bytesIn += msg.length;
    flow.upstream.send(msg, flow.endpoint.port, flow.endpoint.ip);
  }

  private openFlow(key: string, client: dgram.RemoteInfo, balancer: ServiceBalancer, ep: EndpointCounters): Flow {
    const upstream = dgram.createSocket({ type: this.type });
    const { clock, idleTimeoutMs, connections } = this.opts;
    const flow: Flow = {
      upstream, endpoint: ep, balancer, lastActivity: clock.now(), timer: { id: 0 },
      destroy: () => {
        if (this.flows.get(key) !== flow) return;
        this.flows.delete(key);
        connections.delete(flow);
        clock.clearTimeout(flow.timer);
        upstream.close();
        balancer.connectionClosed(ep);
        const o = flow.observed;
        if (o) balancer.observer?.closed({ id: o.id, time: Date.now(), bytesIn: o.bytesIn, bytesOut: o.bytesOut });
      },
    };
    const expire = () => {
      const idle = clock.now() - flow.lastActivity;
      if (idle >= idleTimeoutMs) flow.destroy();
      else flow.timer = clock.setTimeout(expire, idleTimeoutMs - idle);
    };
    flow.timer = clock.setTimeout(expire, idleTimeoutMs);
    upstream.on('error', () => flow.destroy());
    upstream.on('message', (reply, from) => {
      if (from.port !== ep.port) return;
      flow.lastActivity = clock.now();
      ep.bytesOut += reply.length;
      if (flow.observed) flow.observed.bytesOut += reply.length;
      this.socket.send(reply, client.port, client.address);
    });
    this.flows.set(key, flow);
    connections.add(flow);
    balancer.connectionOpened(ep);
    return flow;
  }
}
