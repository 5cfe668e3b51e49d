import type { KubeList, KubeObject, WatchEvent } from '../api/types.js';
import { realClock, type Clock } from '../util/clock.js';
import { errorMessage } from '../util/errors.js';
import type { ResourceType, RestClient } from './rest.js';
import { sleep } from './sleep.js';
import { Indexer, metaNamespaceKey, type IndexFunc } from './store.js';
import { isResourceExpired } from './watch.js';

/** What onDelete gets when a re-list shows an object gone whose deletion was never watched. */
export interface DeletedFinalStateUnknown<T> {
  deletedFinalStateUnknown: true;
  key: string;
  /** The last state the cache held. */
  obj: T;
}

export function isDeletedFinalStateUnknown<T>(x: T | DeletedFinalStateUnknown<T>): x is DeletedFinalStateUnknown<T> {
  return typeof x === 'object' && x !== null && (x as DeletedFinalStateUnknown<T>).deletedFinalStateUnknown === true;
}

/** The object itself, whether delivered directly or wrapped in DeletedFinalStateUnknown. */
export function deletedObject<T>(x: T | DeletedFinalStateUnknown<T>): T {
  return isDeletedFinalStateUnknown(x) ? x.obj : x;
}

/** Handlers must not throw; an exception is logged and swallowed. */
export interface ResourceEventHandler<T> {
  onAdd?(obj: T, isInInitialList: boolean): void;
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T | DeletedFinalStateUnknown<T>): void;
}

export interface InformerOptions<T extends KubeObject> {
  client: RestClient;
  resource: ResourceType;
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  indexers?: Record<string, IndexFunc<T>>;
  clock?: Clock;
  /** LIST page size (client-go: 500). */
  pageSize?: number;
  /** Re-list backoff after errors (client-go: 800ms doubling to 30s). */
  backoff?: { initialMs: number; maxMs: number };
  log?: (message: string) => void;
}

/**
 * A shared informer (reflector + indexed cache + handlers): LIST, then WATCH from the list's
 * resourceVersion with bookmarks; re-list after 410 Expired or a failed watch, with backoff.
 */
export class SharedInformer<T extends KubeObject = KubeObject> {
  readonly store: Indexer<T>;
  private readonly handlers: ResourceEventHandler<T>[] = [];
  private readonly clock: Clock;
  private readonly log: (message: string) => void;
  private synced = false;
  private syncWaiters: Array<() => void> = [];
  private rv = '';
  private running = false;

  constructor(private readonly opts: InformerOptions<T>) {
    this.store = new Indexer<T>(opts.indexers ?? {});
    this.clock = opts.clock ?? realClock;
    this.log = opts.log ?? ((m) => console.error(m));
  }

  get resource(): ResourceType {
    return this.opts.resource;
  }

  /** Registers handlers; objects already cached are delivered to them as adds. */
  addEventHandler(handler: ResourceEventHandler<T>): void {
    this.handlers.push(handler);
    for (const obj of this.store.list()) this.call(handler, 'onAdd', () => handler.onAdd?.(obj, !this.synced));
  }

  addIndexers(indexers: Record<string, IndexFunc<T>>): void {
    this.store.addIndexers(indexers);
  }

  hasSynced(): boolean {
    return this.synced;
  }

  lastSyncResourceVersion(): string {
    return this.rv;
  }

  /** Resolves true once the first LIST is in the cache, false if `signal` aborts first. */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve(true);
      };
      const onAbort = () => {
        this.syncWaiters = this.syncWaiters.filter((w) => w !== done);
        resolve(false);
      };
      if (signal?.aborted) return resolve(false);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.syncWaiters.push(done);
    });
  }

  /** Runs until `signal` aborts. */
  async run(parent: AbortSignal): Promise<void> {
    if (this.running) throw new Error('informer is already running');
    this.running = true;
    // A signal of our own: many informers share the caller's, and each request adds a listener.
    const child = new AbortController();
    const stop = () => child.abort();
    if (parent.aborted) stop();
    else parent.addEventListener('abort', stop, { once: true });
    const signal = child.signal;
    const { initialMs, maxMs } = this.opts.backoff ?? { initialMs: 800, maxMs: 30_000 };
    let backoff = initialMs;
    try {
      while (!signal.aborted) {
        try {
          await this.listAndReplace(signal);
          if (signal.aborted) return;
          backoff = initialMs;
          await this.watchLoop(signal);
        } catch (err) {
          if (signal.aborted) return;
          if (isResourceExpired(err)) {
            this.log(`informer ${this.name()}: ${errorMessage(err)}; re-listing`);
            continue;
          }
          this.log(`informer ${this.name()}: ${errorMessage(err)}; re-listing in ${backoff}ms`);
          await sleep(this.clock, backoff, signal);
          backoff = Math.min(backoff * 2, maxMs);
        }
      }
    } finally {
      parent.removeEventListener('abort', stop);
      this.running = false;
    }
  }

  private name(): string {
    const r = this.opts.resource;
    return r.group ? `${r.resource}.${r.group}` : r.resource;
  }

  /** Paginated LIST, then swap the cache, telling handlers what changed. */
  private async listAndReplace(signal: AbortSignal): Promise<void> {
    const items: T[] = [];
    let cont: string | undefined;
    let list: KubeList<T>;
    do {
      list = await this.opts.client.list<T>(this.opts.resource, {
        namespace: this.opts.namespace,
        labelSelector: this.opts.labelSelector,
        fieldSelector: this.opts.fieldSelector,
        limit: this.opts.pageSize ?? 500,
        continue: cont,
        signal,
      });
      // Typed lists omit each item's apiVersion/kind; fill them in as the dynamic client does.
      const kind = list.kind?.replace(/List$/, '');
      for (const item of list.items ?? []) {
        if (!item.apiVersion && list.apiVersion) item.apiVersion = list.apiVersion;
        if (!item.kind && kind) item.kind = kind;
        items.push(item);
      }
      cont = list.metadata?.continue || undefined;
    } while (cont && !signal.aborted);
    if (signal.aborted) return;
    this.replace(items);
    this.rv = list.metadata?.resourceVersion ?? '';
    if (!this.synced) {
      this.synced = true;
      const waiters = this.syncWaiters;
      this.syncWaiters = [];
      for (const w of waiters) w();
    }
  }

  private replace(items: T[]): void {
    const before = new Map(this.store.listKeys().map((k) => [k, this.store.get(k)!]));
    this.store.replace(items);
    const initial = !this.synced;
    for (const obj of items) {
      const key = metaNamespaceKey(obj);
      const old = before.get(key);
      before.delete(key);
      if (old) this.dispatch('onUpdate', (h) => h.onUpdate?.(old, obj));
      else this.dispatch('onAdd', (h) => h.onAdd?.(obj, initial));
    }
    for (const [key, obj] of before) {
      const tombstone: DeletedFinalStateUnknown<T> = { deletedFinalStateUnknown: true, key, obj };
      this.dispatch('onDelete', (h) => h.onDelete?.(tombstone));
    }
  }

  /** Watches from the last resourceVersion until an error; a clean server close re-watches. */
  private async watchLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const stream = this.opts.client.watch<T>(this.opts.resource, {
        namespace: this.opts.namespace,
        labelSelector: this.opts.labelSelector,
        fieldSelector: this.opts.fieldSelector,
        resourceVersion: this.rv,
        allowWatchBookmarks: true,
        // client-go spreads watch lifetimes over 5-10 minutes so clients do not reconnect in step.
        timeoutSeconds: 300 + Math.floor(Math.random() * 300),
        signal,
      });
      let events = 0;
      for await (const event of stream) {
        events++;
        this.handleEvent(event);
      }
      // A server that closes watches at once would otherwise make this loop spin.
      if (events === 0 && !signal.aborted) await sleep(this.clock, this.opts.backoff?.initialMs ?? 800, signal);
    }
  }

  private handleEvent(event: WatchEvent<T>): void {
    const obj = event.object;
    const rv = obj?.metadata?.resourceVersion;
    switch (event.type) {
      case 'ADDED':
      case 'MODIFIED': {
        const old = this.store.get(metaNamespaceKey(obj));
        this.store.update(obj);
        if (old) this.dispatch('onUpdate', (h) => h.onUpdate?.(old, obj));
        else this.dispatch('onAdd', (h) => h.onAdd?.(obj, false));
        break;
      }
      case 'DELETED': {
        const old = this.store.get(metaNamespaceKey(obj));
        this.store.delete(obj);
        this.dispatch('onDelete', (h) => h.onDelete?.(obj ?? old));
        break;
      }
      case 'BOOKMARK':
        break;
      default:
        return;
    }
    if (rv) this.rv = rv;
  }

  private dispatch(what: string, fn: (h: ResourceEventHandler<T>) => void): void {
    for (const h of this.handlers) this.call(h, what, () => fn(h));
  }

  private call(_h: ResourceEventHandler<T>, what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log(`informer ${this.name()}: ${what} handler threw: ${errorMessage(err)}`);
    }
  }
}
