import { setMaxListeners } from 'node:events';
import { EventRecorder } from '../client/events.js';
import type { InformerFactory } from '../client/informer-factory.js';
import type { RestClient } from '../client/rest.js';
import type { Clock } from '../util/clock.js';

/** What every controller is built from (kube-controller-manager's ControllerContext). */
export interface ControllerContext {
  client: RestClient;
  informers: InformerFactory;
  clock: Clock;
  log: (message: string) => void;
  /** An event recorder for a component name (e.g. `replicaset-controller`). */
  recorder(component: string): EventRecorder;
  /** Cluster settings some controllers need. */
  settings: ControllerSettings;
}

export interface ControllerSettings {
  clusterDns: string;
  serviceCIDR: string;
  /** Node lifecycle: how long a node may miss its lease before NotReady, and pods are evicted after. */
  nodeMonitorGracePeriodMs: number;
  podEvictionTimeoutMs: number;
  /** Pod range (`--cluster-cidr`) the node-ipam controller cuts into per-node /24s. */
  clusterCIDR?: string;
  /** The CA the root-ca-cert-publisher puts in every namespace's kube-root-ca.crt. */
  rootCAPem?: string;
  /** Where the local-path provisioner makes a directory per claim (k3s: /var/lib/rancher/k3s/storage). */
  localPathDir?: string;
}

export interface Runnable {
  run(signal: AbortSignal): Promise<void>;
}

/** One controller: its name (for --disable style flags and logs) and how to build it. */
export interface ControllerDescriptor {
  name: string;
  init(ctx: ControllerContext): Runnable;
}

/**
 * Builds every controller, starts the shared informers, waits for their caches, then runs the
 * controllers until the signal aborts.
 */
export async function runControllers(ctx: Omit<ControllerContext, 'recorder'>, descriptors: ControllerDescriptor[], signal: AbortSignal): Promise<{ done: Promise<void> }> {
  const full: ControllerContext = {
    ...ctx,
    recorder: (component) => new EventRecorder({ client: ctx.client, component, clock: ctx.clock, log: ctx.log }),
  };
  const controllers = descriptors.map((d) => ({ name: d.name, runnable: d.init(full) }));
  // One signal of our own for every controller: each listens for the abort (cache syncs, queues), and a
  // dozen controllers on the caller's signal trip Node's MaxListenersExceededWarning.
  const shared = new AbortController();
  setMaxListeners(0, shared.signal);
  if (signal.aborted) shared.abort();
  else signal.addEventListener('abort', () => shared.abort(), { once: true });
  ctx.informers.start(shared.signal);
  await ctx.informers.waitForCacheSync(shared.signal);
  // wrapped: an async function returning a bare promise would wait for it
  const done = Promise.all(
    controllers.map(({ name, runnable }) =>
      runnable.run(shared.signal).catch((err: unknown) => ctx.log(`controller ${name} stopped with error: ${(err as Error).stack ?? String(err)}`)),
    ),
  ).then(() => undefined);
  return { done };
}
