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
import { isSchedulerName, schedulerNames, type SchedulerName } from '../proxy/schedulers/index.js';
import type { ProxyState, SyncResult } from '../proxy/types.js';
import { UserspaceDatapath } from '../proxy/userspace/index.js';
import { realClock, type Clock } from '../util/clock.js';

export const defaultProxyScheduler: SchedulerName = 'random';

/** `--proxy-scheduler` value check, for the CLI. */
export function parseProxyScheduler(value: string): SchedulerName {
  if (!isSchedulerName(value)) throw new Error(`--proxy-scheduler: unknown scheduler "${value}" (one of ${schedulerNames.join(', ')})`);
  return value;
}

export interface StartProxyOptions {
  client: RestClient;
  /** The nodes this host process serves, read at each sync (in-process agents may come and go). */
  nodes: ProxyNode[] | (() => ProxyNode[]);
  scheduler?: SchedulerName;
  /** True in `skiff server` (ClusterIPs, externalIPs, LB IPs); false in a separate `skiff agent`. */
  ownsServiceIPs: boolean;
  /** For the kube-system/kube-proxy ConfigMap the server creates. */
  clusterCIDR?: string;
  log?: (message: string) => void;
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

/** Starts the userspace (loopback mode) proxy: one per host process. */
export function startProxy(opts: StartProxyOptions): RunningProxy {
  const clock = opts.clock ?? realClock;
  const nodes = typeof opts.nodes === 'function' ? opts.nodes : () => opts.nodes as ProxyNode[];
  const factory = new InformerFactory({ client: opts.client, clock, log: opts.log });
  const first = nodes()[0];
  const recorder = new EventRecorder({ client: opts.client, component: 'kube-proxy', host: first?.name, clock, log: opts.log });
  const flagScheduler = opts.scheduler ?? defaultProxyScheduler;
  const datapath = new UserspaceDatapath({ scheduler: flagScheduler, clock });
  followKubeProxyConfiguration({ factory, datapath, flagScheduler, log: opts.log ?? (() => {}) });
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
      await factory.stopped();
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

/** Applies the ConfigMap's mode (iptables → random, ipvs → its scheduler) to the datapath as it changes. */
function followKubeProxyConfiguration(o: { factory: InformerFactory; datapath: UserspaceDatapath; flagScheduler: SchedulerName; log: (m: string) => void }): void {
  const { namespace, name, key } = kubeProxyConfigMap;
  const informer = o.factory.informerFor<KubeObject>(configmaps, { namespace, fieldSelector: `metadata.name=${name}` });
  const apply = (cm: KubeObject | undefined) => {
    const text = (cm?.data as Record<string, string> | undefined)?.[key];
    const choice = text === undefined ? { mode: '', scheduler: o.flagScheduler } : schedulerForConfiguration(text, o.flagScheduler);
    if (choice.error) o.log(`kube-proxy configuration ignored: ${choice.error}`);
    if (choice.scheduler !== o.datapath.schedulerName) {
      o.log(`proxy mode "${choice.mode || 'iptables'}": scheduler ${choice.scheduler}`);
      o.datapath.setScheduler(choice.scheduler);
    }
  };
  informer.addEventHandler({ onAdd: (cm) => apply(cm), onUpdate: (_old, cm) => apply(cm), onDelete: () => apply(undefined) });
}
