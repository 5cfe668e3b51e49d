/**
 * The web view's traffic in netns mode, where each node's kube-proxy programs iptables or nftables inside
 * its node netns and the server carries no traffic itself: while a page is open, conntrack of every node
 * netns is read every 500 ms (`ip netns exec N conntrack -L -o extended,id`). Each DNATed entry (reply
 * source ≠ original destination) is a connection: client → dialled address (ClusterIP, NodePort, LB IP)
 * → endpoint (the reply source), matched to its Service port through the informer cache (Services and
 * EndpointSlices). Per-endpoint counters count the entries seen; bytes need conntrack accounting, which is
 * per netns and turned on inside the node netns only (never the machine's own). The rules panel gets the
 * Service's part of `iptables-save -c` (or `nft list table ip kube-proxy`) of every node netns.
 */
import type { InformerFactory } from '../client/informer-factory.js';
import type { ConnectionObserver, DatapathRules } from '../proxy/observe.js';
import { nextConnectionId } from '../proxy/observe.js';
import { runTool } from '../proxy/kernel/exec.js';
import type { AddressRole, EndpointStats, Protocol } from '../proxy/types.js';
import { iptablesForService, isClosing, nftForService, parseConntrack, type CtEntry } from './kernel-text.js';
import { viewResources } from './model.js';
import { joinHostPort } from '../util/net.js';
import { serviceNameLabel } from '../api/kinds/endpoints.js';

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface NetnsTrafficOptions {
  /** The node netns names, first node first (the machine routes Service ranges via the first node). */
  netns: string[];
  informers: InformerFactory;
  intervalMs?: number;
  /** Runs a tool inside a netns (tests inject one). */
  exec?: (netns: string, cmd: string, args: string[]) => Promise<string>;
  log?: (m: string) => void;
}

interface Target {
  spn: string;
  role: AddressRole;
  svc: Any;
}

interface Tracked {
  id: number;
  spn: string;
  endpoint: string;
  protocol: Protocol;
  closed: boolean;
  bytesIn: number;
  bytesOut: number;
  seen: number;
}

export class NetnsTrafficSource {
  private observer?: ConnectionObserver;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private mode = '';
  private readonly tracked = new Map<string, Tracked>();
  private readonly counters = new Map<string, EndpointStats>();
  /** `spn|clientIP` → the endpoint it last went to, and when (sessionAffinity ClientIP). */
  private readonly lastChoice = new Map<string, { endpoint: string; at: number }>();
  private readonly accounting = new Set<string>();
  private readonly exec: (netns: string, cmd: string, args: string[]) => Promise<string>;
  private pass = 0;

  constructor(private readonly opts: NetnsTrafficOptions) {
    this.exec = opts.exec ?? (async (netns, cmd, args) => (await runTool({ netns }, cmd, args)).stdout);
  }

  setObserver(observer: ConnectionObserver | undefined): void {
    this.observer = observer;
    clearInterval(this.timer);
    this.timer = undefined;
    if (observer) {
      void this.poll();
      this.timer = setInterval(() => void this.poll(), this.opts.intervalMs ?? 500);
      this.timer.unref();
    }
  }

  stats(): EndpointStats[] {
    return [...this.counters.values()].map((s) => ({ ...s }));
  }

  rules(): DatapathRules {
    return { mode: this.mode || 'iptables', scheduler: 'random', listeners: [] };
  }

  /** The Service's rules in every node netns, with the kernel's packet counters. */
  async rulesFor(namespace: string, name: string): Promise<DatapathRules> {
    const mode = await this.detectMode();
    const parts = await Promise.all(this.opts.netns.map(async (ns) => {
      try {
        const text = mode === 'nftables'
          ? nftForService(await this.exec(ns, 'nft', ['list', 'table', 'ip', 'kube-proxy']), namespace, name)
          : iptablesForService(await this.exec(ns, 'iptables-save', ['-c']), namespace, name);
        return `# node netns ${ns}: ${mode === 'nftables' ? 'nft list table ip kube-proxy' : 'iptables-save -c'} (${namespace}/${name})\n${text || '(no rules)'}`;
      } catch (err) {
        return `# node netns ${ns}: ${(err as Error).message}`;
      }
    }));
    return { ...this.rules(), text: parts.join('\n\n') };
  }

  private async detectMode(): Promise<string> {
    if (this.mode) return this.mode;
    const first = this.opts.netns[0];
    if (!first) return 'iptables';
    const nat = await this.exec(first, 'iptables-save', ['-t', 'nat']).catch(() => '');
    if (nat.includes(':KUBE-SERVICES')) return (this.mode = 'iptables');
    const nft = await this.exec(first, 'nft', ['list', 'table', 'ip', 'kube-proxy']).catch(() => '');
    if (nft) return (this.mode = 'nftables');
    return 'iptables'; // not programmed yet: ask again next time
  }

  /** One read of every node netns; while one runs, a tick (or a caller) gets that one. */
  poll(): Promise<void> {
    this.running ??= this.read().finally(() => (this.running = undefined));
    return this.running;
  }

  private async read(): Promise<void> {
    await this.detectMode();
    const index = this.index();
    const pass = ++this.pass;
    await Promise.all(this.opts.netns.map(async (ns) => {
      await this.enableAccounting(ns);
      let text: string;
      try {
        text = await this.exec(ns, 'conntrack', ['-L', '-o', 'extended,id']);
      } catch (err) {
        this.opts.log?.(`ui: conntrack in ${ns}: ${(err as Error).message}`);
        return;
      }
      for (const e of parseConntrack(text)) this.entry(ns, e, index, pass);
    }));
    for (const [key, t] of this.tracked) {
      if (t.seen === pass) continue;
      this.close(t); // gone from conntrack
      this.tracked.delete(key);
    }
  }

  private async enableAccounting(ns: string): Promise<void> {
    if (this.accounting.has(ns)) return;
    this.accounting.add(ns);
    // per netns (net->ct.sysctl_acct): only this node netns counts bytes
    await this.exec(ns, 'sysctl', ['-q', '-w', 'net.netfilter.nf_conntrack_acct=1']).catch((err: Error) => this.opts.log?.(`ui: conntrack accounting in ${ns}: ${err.message}`));
  }

  /** Service addresses → service port, from the informer cache. */
  private index() {
    const byAddress = new Map<string, Target>();
    const byNodePort = new Map<string, Target>();
    for (const svc of this.opts.informers.informerFor(viewResources.services).store.list() as Any[]) {
      const ns = svc.metadata?.namespace;
      const ips: Array<[string, AddressRole]> = [
        ...((svc.spec?.clusterIPs ?? [svc.spec?.clusterIP]) as string[]).filter((ip) => ip && ip !== 'None').map((ip) => [ip, 'ClusterIP'] as [string, AddressRole]),
        ...((svc.spec?.externalIPs ?? []) as string[]).map((ip) => [ip, 'ExternalIP'] as [string, AddressRole]),
        ...((svc.status?.loadBalancer?.ingress ?? []) as Any[]).filter((i) => i.ip).map((i) => [i.ip as string, 'LoadBalancer'] as [string, AddressRole]),
      ];
      for (const p of (svc.spec?.ports ?? []) as Any[]) {
        const spn = p.name ? `${ns}/${svc.metadata.name}:${p.name}` : `${ns}/${svc.metadata.name}`;
        const proto = p.protocol ?? 'TCP';
        for (const [ip, role] of ips) byAddress.set(`${proto}|${joinHostPort(ip, p.port)}`, { spn, role, svc });
        if (p.nodePort) byNodePort.set(`${proto}|${p.nodePort}`, { spn, role: 'NodePort', svc });
      }
    }
    const endpoints = new Map<string, string[]>();
    for (const slice of this.opts.informers.informerFor(viewResources.endpointslices).store.list() as Any[]) {
      const svcName = slice.metadata?.labels?.[serviceNameLabel];
      if (!svcName) continue;
      for (const p of (slice.ports ?? []) as Any[]) {
        const spn = p.name ? `${slice.metadata.namespace}/${svcName}:${p.name}` : `${slice.metadata.namespace}/${svcName}`;
        for (const e of (slice.endpoints ?? []) as Any[]) {
          for (const ip of (e.addresses ?? []) as string[]) {
            const key = `${p.protocol ?? 'TCP'}|${joinHostPort(ip, p.port)}`;
            endpoints.set(key, [...(endpoints.get(key) ?? []), spn]);
          }
        }
      }
    }
    return { byAddress, byNodePort, endpoints };
  }

  private entry(ns: string, e: CtEntry, index: ReturnType<NetnsTrafficSource['index']>, pass: number): void {
    if (e.reply.src === e.orig.dst && e.reply.sport === e.orig.dport) return; // not DNATed: not a Service connection here
    const key = `${ns}|${e.id}`;
    const known = this.tracked.get(key);
    if (known) {
      known.seen = pass;
      this.account(known, e);
      return;
    }
    const endpoint = joinHostPort(e.reply.src, e.reply.sport);
    const dialled = joinHostPort(e.orig.dst, e.orig.dport);
    const target = index.byAddress.get(`${e.protocol}|${dialled}`) ?? index.byNodePort.get(`${e.protocol}|${e.orig.dport}`);
    const spns = index.endpoints.get(`${e.protocol}|${endpoint}`) ?? [];
    const spn = target && (spns.length === 0 || spns.includes(target.spn)) ? target.spn : spns[0];
    if (!spn) return;
    const svc = target?.svc;
    const role: AddressRole = target?.role ?? 'ClusterIP';
    const now = Date.now();
    const affinity = svc?.spec?.sessionAffinity === 'ClientIP';
    const timeout = Number(svc?.spec?.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10800) * 1000;
    const prev = this.lastChoice.get(`${spn}|${e.orig.src}`);
    const hit = affinity && prev !== undefined && prev.endpoint === endpoint && now - prev.at <= timeout;
    if (affinity) {
      this.lastChoice.set(`${spn}|${e.orig.src}`, { endpoint, at: now });
      if (this.lastChoice.size > 5000) this.lastChoice.delete(this.lastChoice.keys().next().value!);
    }
    const policy = role === 'ClusterIP' ? svc?.spec?.internalTrafficPolicy : svc?.spec?.externalTrafficPolicy;
    const t: Tracked = { id: nextConnectionId(), spn, endpoint, protocol: e.protocol, closed: false, bytesIn: 0, bytesOut: 0, seen: pass };
    this.tracked.set(key, t);
    const c = this.counter(t);
    c.totalConnections++;
    c.activeConnections++;
    this.observer?.opened({
      id: t.id, time: now, protocol: e.protocol, clientIP: e.orig.src, clientPort: e.orig.sport, dialledIP: e.orig.dst, dialledPort: e.orig.dport,
      role, servicePortName: spn, endpoint, reason: hit ? { kind: 'affinity' } : { kind: 'scheduler', scheduler: `random (${this.mode || 'iptables'})` }, localPolicy: policy === 'Local',
    });
    this.account(t, e);
  }

  private counter(t: Tracked): EndpointStats {
    const key = `${t.spn}|${t.protocol}|${t.endpoint}`;
    let c = this.counters.get(key);
    if (!c) {
      const i = t.endpoint.lastIndexOf(':');
      c = { servicePortName: t.spn, protocol: t.protocol, ip: t.endpoint.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(t.endpoint.slice(i + 1)), activeConnections: 0, totalConnections: 0, bytesIn: 0, bytesOut: 0 };
      this.counters.set(key, c);
    }
    return c;
  }

  private account(t: Tracked, e: CtEntry): void {
    const c = this.counter(t);
    c.bytesIn += Math.max(0, e.orig.bytes - t.bytesIn);
    c.bytesOut += Math.max(0, e.reply.bytes - t.bytesOut);
    t.bytesIn = Math.max(t.bytesIn, e.orig.bytes);
    t.bytesOut = Math.max(t.bytesOut, e.reply.bytes);
    if (isClosing(e)) this.close(t);
  }

  private close(t: Tracked): void {
    if (t.closed) return;
    t.closed = true;
    this.counter(t).activeConnections--;
    this.observer?.closed({ id: t.id, time: Date.now(), bytesIn: t.bytesIn, bytesOut: t.bytesOut });
  }
}
