import { statSync } from 'node:fs';
import { findResource } from '../api/resources.js';
import { isStatusError } from '../api/status.js';
import type { KubeObject } from '../api/types.js';
import { EventRecorder } from '../client/events.js';
import { InformerFactory } from '../client/informer-factory.js';
import type { RestClient } from '../client/rest.js';
import { defaultKubeProxyConfiguration, kubeProxyConfigMap, schedulerForConfiguration } from '../proxy/config.js';
import { Proxier } from '../proxy/core/proxier.js';
import { MeteredDatapath } from '../proxy/metrics.js';
import type { ProxyNode } from '../proxy/core/trackers.js';
import { IptablesDatapath } from '../proxy/iptables/index.js';
import { NftablesDatapath } from '../proxy/nftables/index.js';
import { isSchedulerName, schedulerNames, type SchedulerName } from '../proxy/schedulers/index.js';
import type { Datapath, ProxyState, SyncResult } from '../proxy/types.js';
import { UserspaceDatapath } from '../proxy/userspace/index.js';
import { realClock, type Clock } from '../util/clock.js';

export const defaultProxyScheduler: SchedulerName = 'random';

/** kube-proxy's `--proxy-mode`; `ipvs` runs the userspace datapath with the IPVS scheduler (no kernel IPVS here). */
export const proxyModes = ['userspace', 'iptables', 'nftables', 'ipvs'] as const;
export type ProxyMode = (typeof proxyModes)[number];

/** `--proxy-scheduler` value check, for the CLI. */
export function parseProxyScheduler(value: string): SchedulerName {
  if (!isSchedulerName(value)) throw new Error(`--proxy-scheduler: unknown scheduler "${value}" (one of ${schedulerNames.join(', ')})`);
  return value;
}

/** `--proxy-mode` value check, for the CLI. */
export function parseProxyMode(value: string): ProxyMode {
  if (!(proxyModes as readonly string[]).includes(value)) throw new Error(`--proxy-mode: unknown mode "${value}" (one of ${proxyModes.join(', ')})`);
  return value as ProxyMode;
}

export interface StartProxyOptions {
  client: RestClient;
  /** The process's shared informers (`skiff server`); the proxy makes its own without. */
  informers?: InformerFactory;
  /** The nodes this host process serves, read at each sync (in-process agents may come and go). */
  nodes: ProxyNode[] | (() => ProxyNode[]);
  scheduler?: SchedulerName;
  /**
   * kube-proxy's `--proxy-mode`. Default `userspace` (loopback mode: sockets on 127.x service addresses).
   * `iptables`/`nftables` program the kernel of the netns this process runs in (or `netns`).
   */
  mode?: ProxyMode;
  /** Kernel modes: run iptables-restore/nft through `ip netns exec NAME` (tests; an agent inside its node netns leaves it unset). */
  netns?: string;
  /** True in `skiff server` (ClusterIPs, externalIPs, LB IPs); false in a separate loopback `skiff agent`. */
  ownsServiceIPs: boolean;
  /** The pod CIDR: the kube-system/kube-proxy ConfigMap, and kernel modes masquerade ClusterIP traffic from outside it. */
  clusterCIDR?: string;
  /** nftables: the service CIDR(s), whose unallocated addresses are dropped (cluster-ips-check). */
  serviceCIDRs?: string[];
  log?: (message: string) => void;
  /** Warnings (invalid configuration); defaults to `log`. */
  warn?: (message: string) => void;
  clock?: Clock;
  minSyncPeriodMs?: number;
  syncPeriodMs?: number;
  onSync?: (state: ProxyState, result: SyncResult) => void;
}

export interface RunningProxy {
  proxier: Proxier;
  /** The datapath with kube-proxy's sync metrics, its connection observer and rules (web view, /metrics). */
  datapath: MeteredDatapath;
  stop(): Promise<void>;
}

/** The datapath for a `--proxy-mode` (the only place that picks an implementation). */
export function newDatapath(mode: ProxyMode, o: { scheduler: SchedulerName; clock: Clock; netns?: string; clusterCIDR?: string; serviceCIDRs?: string[]; log?: (m: string) => void }): Datapath {
  switch (mode) {
    case 'iptables':
      return new IptablesDatapath({ netns: o.netns, clusterCIDR: o.clusterCIDR, clock: o.clock, log: o.log });
    case 'nftables':
      return new NftablesDatapath({ netns: o.netns, clusterCIDR: o.clusterCIDR, serviceCIDRs: o.serviceCIDRs, clock: o.clock, log: o.log });
    case 'ipvs':
      return new UserspaceDatapath({ scheduler: o.scheduler === 'random' ? 'rr' : o.scheduler, clock: o.clock, podCIDR: o.clusterCIDR });
    case 'userspace':
      return new UserspaceDatapath({ scheduler: o.scheduler, clock: o.clock, podCIDR: o.clusterCIDR });
  }
}

/** True when this process shares PID 1's network namespace (the machine's own, on a normal host). */
export function inHostNetns(): boolean {
  try {
    return statSync('/proc/self/ns/net').ino === statSync('/proc/1/ns/net').ino;
  } catch {
    return false;
  }
}

/** Starts kube-proxy for this host process: informers → Proxier → the datapath of `mode`. */
export function startProxy(opts: StartProxyOptions): RunningProxy {
  const clock = opts.clock ?? realClock;
  const log = opts.log ?? (() => {});
  if ((opts.mode === 'iptables' || opts.mode === 'nftables') && !opts.netns && inHostNetns()) {
    throw new Error(`--proxy-mode ${opts.mode} programs the network namespace it runs in, and this is the machine's own: run the agent inside a node namespace (--network netns)`);
  }
  const nodes = typeof opts.nodes === 'function' ? opts.nodes : () => opts.nodes as ProxyNode[];
  const factory = opts.informers ?? new InformerFactory({ client: opts.client, clock, log: opts.log });
  const first = nodes()[0];
  const recorder = new EventRecorder({ client: opts.client, component: 'kube-proxy', host: first?.name, clock, log: opts.log });
  const flagScheduler = opts.scheduler ?? defaultProxyScheduler;
  const mode = opts.mode ?? 'userspace';
  const datapath = newDatapath(mode, { scheduler: flagScheduler, clock, netns: opts.netns, clusterCIDR: opts.clusterCIDR, serviceCIDRs: opts.serviceCIDRs, log });
  log(`proxy: mode ${mode}${opts.netns ? ` (netns ${opts.netns})` : ''}`);
  followKubeProxyConfiguration({ factory, datapath, mode, flagScheduler, recorder, log, warn: opts.warn ?? log });
  if (opts.ownsServiceIPs) void ensureKubeProxyConfigMap(opts.client, opts.clusterCIDR ?? '127.42.0.0/16', opts.log);
  const metered = new MeteredDatapath(datapath, clock);
  const proxier = new Proxier({
    factory, datapath: metered,
    nodes, ownsServiceIPs: opts.ownsServiceIPs, recorder, clock, log: opts.log,
    minSyncPeriodMs: opts.minSyncPeriodMs, syncPeriodMs: opts.syncPeriodMs, onSync: opts.onSync,
  });
  const abort = new AbortController();
  const running = proxier.run(abort.signal);
  return {
    proxier,
    datapath: metered,
    async stop() {
      abort.abort();
      await running;
      if (!opts.informers) await factory.stopped();
      await recorder.flush();
    },
  };
}

const configmaps = findResource('', 'v1', 'configmaps')!;

/**
 * kubeadm's kube-system/kube-proxy ConfigMap, so seed 000's `kubectl edit configmap -n kube-system kube-proxy`
 * finds what it expects. Created once; an existing one is the user's.
 */
async function ensureKubeProxyConfigMap(client: RestClient, clusterCIDR: string, log?: (m: string) => void): Promise<void> {
  const { namespace, name, key } = kubeProxyConfigMap;
  const obj: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, labels: { app: 'kube-proxy' } }, data: { [key]: defaultKubeProxyConfiguration(clusterCIDR) } };
  try {
    await client.create(configmaps, obj, { fieldManager: 'skiff-proxy' });
  } catch (err) {
    if (!isStatusError(err, 'AlreadyExists')) log?.(`kube-proxy ConfigMap not created: ${(err as Error).message}`);
  }
}

/** The Warning event reason for a kube-proxy configuration that cannot be applied. */
export const invalidConfigurationReason = 'InvalidConfiguration';

/**
 * Follows the ConfigMap's `mode` (iptables/nftables → random, ipvs → its scheduler) on a datapath that
 * schedules in userspace. An invalid mode or scheduler keeps the last good choice, with a Warning event on
 * the ConfigMap and a log line. A kernel datapath keeps its mode: kube-proxy reads its mode once at start.
 */
function followKubeProxyConfiguration(o: {
  factory: InformerFactory; datapath: Datapath; mode: ProxyMode; flagScheduler: SchedulerName; recorder: EventRecorder;
  log: (m: string) => void; warn: (m: string) => void;
}): void {
  const { namespace, name, key } = kubeProxyConfigMap;
  const informer = o.factory.informerFor<KubeObject>(configmaps, { namespace, fieldSelector: `metadata.name=${name}` });
  const initial = o.datapath.schedulerName ?? o.flagScheduler;
  let reported = '';
  const apply = (cm: KubeObject | undefined) => {
    const text = (cm?.data as Record<string, string> | undefined)?.[key];
    const current = o.datapath.schedulerName ?? initial;
    const choice = text === undefined ? { mode: '', scheduler: initial } : schedulerForConfiguration(text, current);
    if (choice.error) {
      const message = `kube-proxy configuration ignored: ${choice.error}; keeping scheduler ${current}`;
      if (reported !== message) {
        reported = message;
        o.warn(message);
        if (cm) o.recorder.event({ ...cm, apiVersion: 'v1', kind: 'ConfigMap' }, 'Warning', invalidConfigurationReason, message);
      }
      return;
    }
    reported = '';
    if (!o.datapath.setScheduler) {
      if (choice.mode && choice.mode !== o.mode) o.log(`proxy: ConfigMap mode "${choice.mode}" takes effect when kube-proxy restarts; running ${o.mode}`);
      return;
    }
    const scheduler = choice.mode === '' ? initial : choice.scheduler;
    if (scheduler !== o.datapath.schedulerName) {
      o.log(`proxy mode "${choice.mode || 'iptables'}": scheduler ${scheduler}`);
      o.datapath.setScheduler(scheduler);
    }
  };
  informer.addEventHandler({ onAdd: (cm) => apply(cm), onUpdate: (_old, cm) => apply(cm), onDelete: () => apply(undefined) });
}
