import { setMaxListeners } from 'node:events';
import type { KubeObject } from '../api/types.js';
import type { Clock } from '../util/clock.js';
import { SharedInformer } from './informer.js';
import type { ResourceType, RestClient } from './rest.js';

export interface InformerScope {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export interface InformerFactoryOptions {
  client: RestClient;
  clock?: Clock;
  log?: (message: string) => void;
  /**
   * The process's own stop signal, for one factory shared by several components (controllers, proxy,
   * DNS, ingress, web view): its informers then run until this aborts, whichever component starts them,
   * so one component stopping does not take the others' caches with it.
   */
  signal?: AbortSignal;
}

/**
 * One informer per (resource, scope), shared by every controller that asks for it
 * (client-go's SharedInformerFactory). `start` runs informers created since the last call.
 */
export class InformerFactory {
  private readonly informers = new Map<string, SharedInformer<KubeObject>>();
  private readonly started = new Set<string>();
  private readonly runs: Promise<void>[] = [];

  constructor(private readonly opts: InformerFactoryOptions) {
    if (opts.signal) setMaxListeners(0, opts.signal);
  }

  get client(): RestClient {
    return this.opts.client;
  }

  informerFor<T extends KubeObject = KubeObject>(resource: ResourceType, scope: InformerScope = {}): SharedInformer<T> {
    const key = [resource.group, resource.version, resource.resource, scope.namespace ?? '', scope.labelSelector ?? '', scope.fieldSelector ?? ''].join('|');
    let inf = this.informers.get(key);
    if (!inf) {
      inf = new SharedInformer<KubeObject>({ client: this.opts.client, resource, ...scope, clock: this.opts.clock, log: this.opts.log });
      this.informers.set(key, inf);
    }
    return inf as unknown as SharedInformer<T>;
  }

  /** Starts every informer not yet running; they stop when `parent` aborts (the factory's own signal, if it has one). */
  start(parent: AbortSignal): void {
    if (this.opts.signal) parent = this.opts.signal;
    // One signal of our own for all informers: they are many, and each listens for the abort.
    const child = new AbortController();
    setMaxListeners(0, child.signal);
    if (parent.aborted) child.abort();
    else parent.addEventListener('abort', () => child.abort(), { once: true });
    const signal = child.signal;
    for (const [key, inf] of this.informers) {
      if (this.started.has(key)) continue;
      this.started.add(key);
      this.runs.push(inf.run(signal));
    }
  }

  /** True once every started informer has synced; false if `signal` aborts first (informers not started yet are not waited for). */
  async waitForCacheSync(signal?: AbortSignal): Promise<boolean> {
    const child = new AbortController();
    setMaxListeners(0, child.signal);
    const stop = () => child.abort();
    if (signal?.aborted) stop();
    else signal?.addEventListener('abort', stop, { once: true });
    try {
      const started = [...this.informers].filter(([key]) => this.started.has(key)).map(([, inf]) => inf);
      const results = await Promise.all(started.map((inf) => inf.waitForSync(child.signal)));
      return results.every(Boolean) && !child.signal.aborted;
    } finally {
      signal?.removeEventListener('abort', stop);
    }
  }

  /** How many informers run (one list+watch each). */
  get size(): number {
    return this.started.size;
  }

  /** Resolves when every started informer has stopped (after its signal aborted). */
  async stopped(): Promise<void> {
    await Promise.all(this.runs);
  }
}
