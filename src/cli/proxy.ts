import { EventRecorder } from '../client/events.js';
import { InformerFactory } from '../client/informer-factory.js';
import type { RestClient } from '../client/rest.js';
import { Proxier } from '../proxy/core/proxier.js';
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
  log?: (message: string) => void;
  clock?: Clock;
  minSyncPeriodMs?: number;
  syncPeriodMs?: number;
  onSync?: (state: ProxyState, result: SyncResult) => void;
}

export interface RunningProxy {
  proxier: Proxier;
  stop(): Promise<void>;
}

/** Starts the userspace (loopback mode) proxy: one per host process. */
export function startProxy(opts: StartProxyOptions): RunningProxy {
  const clock = opts.clock ?? realClock;
  const nodes = typeof opts.nodes === 'function' ? opts.nodes : () => opts.nodes as ProxyNode[];
  const factory = new InformerFactory({ client: opts.client, clock, log: opts.log });
  const first = nodes()[0];
  const recorder = new EventRecorder({ client: opts.client, component: 'kube-proxy', host: first?.name, clock, log: opts.log });
  const proxier = new Proxier({
    factory, datapath: new UserspaceDatapath({ scheduler: opts.scheduler ?? defaultProxyScheduler, clock }),
    nodes, ownsServiceIPs: opts.ownsServiceIPs, recorder, clock, log: opts.log,
    minSyncPeriodMs: opts.minSyncPeriodMs, syncPeriodMs: opts.syncPeriodMs, onSync: opts.onSync,
  });
  const abort = new AbortController();
  const running = proxier.run(abort.signal);
  // In-process nodes appear after the proxy starts: notice them without waiting for the 30s resync.
  const poll = setInterval(() => {
    if (proxier.nodesChanged()) proxier.requestSync();
  }, 500);
  poll.unref();
  return {
    proxier,
    async stop() {
      clearInterval(poll);
      abort.abort();
      await running;
      await factory.stopped();
      await recorder.flush();
    },
  };
}
