import net from 'node:net';
import { realClock, type Clock } from '../../util/clock.js';
import { parseCIDR, type CIDR } from '../../util/net.js';
import { errorMessage, SkiffError } from '../../util/errors.js';
import type { SchedulerName, SchedulerOptions } from '../schedulers/index.js';
import {
  parseServicePortName, type AddressRole, type BindError, type Datapath, type EndpointStats, type Protocol,
  type ProxyState, type ServicePortName, type SyncResult,
} from '../types.js';
import type { ConnectionObserver, DatapathRules, ListenerRule, ObservableDatapath } from '../observe.js';
import { ServiceBalancer } from './balancer.js';
import { HealthCheckServer, type HealthCheckTarget } from './healthcheck.js';
import { listenerKey, type ConnectionRegistry, type ProxyListener } from './listener.js';
import { TcpListener } from './tcp.js';
import { UdpListener } from './udp.js';

export interface UserspaceDatapathOptions {
  /** `--proxy-scheduler`; default `random`, what iptables mode does. */
  scheduler?: SchedulerName;
  schedulerOptions?: SchedulerOptions;
  clock?: Clock;
  /** UDP flow idle timeout; default 30s like conntrack's nf_conntrack_udp_timeout. */
  udpIdleTimeoutMs?: number;
  /** The proxy's own health, reported as serviceProxyHealthy by health check servers. */
  proxyHealthy?: () => boolean;
  /**
   * The pod CIDR: a client from it is a pod, and the upstream connection is bound to its address so the
   * backend sees the pod (as with kube-proxy's non-masqueraded pod traffic), where the kernel allows it.
   */
  podCIDR?: string;
}

interface Want {
  protocol: Protocol;
  address: string;
  port: number;
  spn: ServicePortName;
  role: AddressRole;
  nodeName?: string;
  health?: HealthCheckTarget;
}

type HealthChecks = { port: number; spn: ServicePortName; balancers: ServiceBalancer[] };

type Open = { kind: 'proxy'; l: ProxyListener } | { kind: 'health'; l: HealthCheckServer };

/** The loopback-mode datapath: real sockets on every service address, proxying in userspace. */
export class UserspaceDatapath implements Datapath, ObservableDatapath {
  private readonly clock: Clock;
  private readonly balancers = new Map<ServicePortName, ServiceBalancer>();
  /** Balancers of removed services whose connections are still open (for stats). */
  private readonly retired = new Set<ServiceBalancer>();
  private readonly open = new Map<string, Open>();
  private readonly connections: ConnectionRegistry = new Set();
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private scheduler: SchedulerName;
  private observer?: ConnectionObserver;
  private readonly podCIDR?: CIDR;

  constructor(private readonly opts: UserspaceDatapathOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.scheduler = opts.scheduler ?? 'random';
    this.podCIDR = opts.podCIDR ? parseCIDR(opts.podCIDR) : undefined;
  }

  get schedulerName(): SchedulerName {
    return this.scheduler;
  }

  /** Switches every service port to another scheduler; established connections are untouched. */
  setScheduler(name: SchedulerName): void {
    if (name === this.scheduler) return;
    this.scheduler = name;
    for (const b of this.balancers.values()) b.setScheduler(name);
  }

  sync(state: ProxyState): Promise<SyncResult> {
    const run = this.queue.then(() => this.syncProxyRules(state));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async syncProxyRules(state: ProxyState): Promise<SyncResult> {
    if (this.closed) throw new SkiffError('DatapathClosed', 'the userspace datapath is closed');
    this.updateBalancers(state);
    const bindErrors: BindError[] = [];
    const wants = this.desiredListeners(state, bindErrors);

    for (const [key, o] of this.open) {
      const want = wants.get(key);
      if (!want || (o.kind === 'health') !== (want.health !== undefined)) {
        o.l.close();
        this.open.delete(key);
      }
    }
    const opening: Array<Promise<void>> = [];
    for (const [key, want] of wants) {
      const existing = this.open.get(key);
      if (existing) {
        if (existing.kind === 'health') existing.l.target = want.health!;
        else existing.l.target = { balancer: this.balancers.get(want.spn)!, role: want.role, nodeName: want.nodeName };
        continue;
      }
      const o = this.create(want);
      opening.push(
        o.l.listen().then(
          () => void this.open.set(key, o),
          (err: NodeJS.ErrnoException) => {
            o.l.close();
            bindErrors.push(bindError(want, err.code ?? 'EUNKNOWN', errorMessage(err)));
          },
        ),
      );
    }
    await Promise.all(opening);
    for (const o of this.open.values()) if (o.kind === 'proxy') o.l.synced?.();
    return { bindErrors, listening: [...this.open.keys()].sort() };
  }

  private updateBalancers(state: ProxyState): void {
    const nodeNames = [...new Set(state.nodeNames?.values() ?? [])];
    for (const [spn, info] of state.services) {
      let b = this.balancers.get(spn);
      if (!b) {
        b = new ServiceBalancer(spn, { clock: this.clock, scheduler: this.scheduler, schedulerOptions: this.opts.schedulerOptions });
        b.observer = this.observer;
        this.balancers.set(spn, b);
      }
      b.update(info, state.endpoints.get(spn) ?? [], nodeNames);
    }
    for (const [spn, b] of this.balancers) {
      if (state.services.has(spn)) continue;
      this.balancers.delete(spn);
      b.update(b.service, []);
      this.retired.add(b);
    }
    for (const b of this.retired) if (b.stats().length === 0) this.retired.delete(b);
  }

  /** Every address:port the state asks for; a second claim on the same one is reported, not bound. */
  private desiredListeners(state: ProxyState, bindErrors: BindError[]): Map<string, Want> {
    const wants = new Map<string, Want>();
    const add = (w: Want) => {
      if (!net.isIP(w.address) || w.port <= 0) return;
      const key = listenerKey(w.protocol, w.address, w.port);
      const prior = wants.get(key);
      if (prior) {
        bindErrors.push(bindError(w, 'EADDRINUSE', `${key} is already used by ${prior.spn} (${prior.role})`));
        return;
      }
      wants.set(key, w);
    };
    const healthChecks = new Map<string, HealthChecks>();
    for (const [spn, info] of state.services) {
      const base = { protocol: info.protocol, spn };
      // No endpoints anywhere: nothing listens, so clients are refused as by kube-proxy's REJECT rules.
      if (!this.balancers.get(spn)!.hasEndpoints) {
        if (info.healthCheckNodePort > 0) this.addHealthCheck(healthChecks, spn, info.healthCheckNodePort);
        continue;
      }
      add({ ...base, address: info.clusterIP, port: info.port, role: 'ClusterIP' });
      if (info.nodePort > 0) {
        for (const ip of state.nodeIPs) add({ ...base, address: ip, port: info.nodePort, role: 'NodePort', nodeName: state.nodeNames?.get(ip) });
      }
      for (const ip of info.externalIPs) add({ ...base, address: ip, port: info.port, role: 'ExternalIP' });
      for (const ip of info.loadBalancerIPs) add({ ...base, address: ip, port: info.port, role: 'LoadBalancer' });
      if (info.healthCheckNodePort > 0) this.addHealthCheck(healthChecks, spn, info.healthCheckNodePort);
    }
    for (const hc of healthChecks.values()) {
      const { namespace, name } = parseServicePortName(hc.spn);
      for (const ip of state.nodeIPs) {
        const nodeName = state.nodeNames?.get(ip);
        const health: HealthCheckTarget = {
          namespace, name,
          localEndpoints: () => new Set(hc.balancers.flatMap((b) => b.localReadyIPs(nodeName))).size,
        };
        add({ protocol: 'TCP', address: ip, port: hc.port, spn: hc.spn, role: 'HealthCheck', nodeName, health });
      }
    }
    return wants;
  }

  private addHealthCheck(healthChecks: Map<string, HealthChecks>, spn: ServicePortName, port: number): void {
    const { namespace, name } = parseServicePortName(spn);
    const hc = healthChecks.get(`${namespace}/${name}`) ?? { port, spn, balancers: [] };
    hc.balancers.push(this.balancers.get(spn)!);
    healthChecks.set(`${namespace}/${name}`, hc);
  }

  private create(want: Want): Open {
    if (want.health) {
      return { kind: 'health', l: new HealthCheckServer(want.address, want.port, want.health, this.opts.proxyHealthy ?? (() => true)) };
    }
    const target = { balancer: this.balancers.get(want.spn)!, role: want.role, nodeName: want.nodeName };
    const l: ProxyListener = want.protocol === 'TCP'
      ? new TcpListener(want.address, want.port, target, this.connections, this.podCIDR)
      : new UdpListener(want.address, want.port, target, {
          clock: this.clock, idleTimeoutMs: this.opts.udpIdleTimeoutMs ?? 30_000, connections: this.connections,
        });
    return { kind: 'proxy', l };
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
    for (const o of this.open.values()) o.l.close();
    this.open.clear();
    for (const c of [...this.connections]) c.destroy();
    this.connections.clear();
    // Let libuv finish closing the handles before callers rebind the ports.
    await new Promise((r) => setImmediate(r));
  }

  /** Reports every new connection and its end to `observer` (undefined: stop; nothing is counted twice). */
  setObserver(observer: ConnectionObserver | undefined): void {
    this.observer = observer;
    for (const b of [...this.balancers.values(), ...this.retired]) b.observer = observer;
  }

  /** The listeners open now and the scheduler: what this proxy "programmed". */
  rules(): DatapathRules {
    const listeners: ListenerRule[] = [];
    for (const o of this.open.values()) {
      if (o.kind === 'proxy') {
        listeners.push({ servicePortName: o.l.target.balancer.name, role: o.l.target.role, protocol: o.l.protocol, address: o.l.address, port: o.l.port });
      }
    }
    return { mode: 'userspace', scheduler: this.scheduler, listeners };
  }

  stats(): EndpointStats[] {
    return [...this.balancers.values(), ...this.retired].flatMap((b) => b.stats());
  }
}

function bindError(w: Want, code: string, message: string): BindError {
  return { servicePortName: w.spn, role: w.role, protocol: w.protocol, address: w.address, port: w.port, code, message };
}
