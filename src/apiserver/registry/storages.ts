import { findResource, resourceKey, resources, type ResourceInfo } from '../../api/resources.js';
import type { ResourceStrategy } from '../../api/strategy.js';
import type { Store } from '../../storage/store.js';
import type { Clock } from '../../util/clock.js';
import type { ValueTransformer } from './encryption.js';
import type { ResourceHooks } from './hooks.js';
import { NamespaceLister } from './namespace-lister.js';
import { RestStorage } from './rest-storage.js';

export interface StoragesOptions {
  store: Store;
  clock: Clock;
  /** ResourceStrategy per resourceKey (`pods`, `deployments.apps`). */
  strategies: Record<string, ResourceStrategy>;
  /** Admission hooks per resourceKey. */
  hooks?: Record<string, ResourceHooks>;
  /** Encryption at rest (`--secrets-encryption`) for the resources it names. */
  transformer?: ValueTransformer;
  /** The resources to serve; default every built-in one. */
  resources?: readonly ResourceInfo[];
  /** Ends the namespace lister's watch; without it every create reads its Namespace from the store. */
  signal?: AbortSignal;
}

/** One RestStorage per served resource over one store, keyed by resourceKey. */
export class Storages {
  private readonly byKey = new Map<string, RestStorage>();
  private readonly namespaces: NamespaceLister | undefined;

  constructor(opts: StoragesOptions) {
    for (const info of opts.resources ?? resources) {
      const key = resourceKey(info);
      this.byKey.set(key, new RestStorage({
        info,
        store: opts.store,
        clock: opts.clock,
        strategy: opts.strategies[key],
        hooks: opts.hooks?.[key],
        transformer: opts.transformer,
        namespaceState: info.namespaced ? (ns) => this.namespaceState(ns) : undefined,
      }));
    }
    const namespaces = this.get('', 'v1', 'namespaces');
    if (opts.signal && namespaces) {
      this.namespaces = new NamespaceLister({ store: opts.store, prefix: namespaces.prefixOf(undefined), decode: (kv) => namespaces.decode(kv), signal: opts.signal });
    }
  }

  get(group: string, version: string, resource: string): RestStorage | undefined {
    const info = findResource(group, version, resource);
    return info && this.byKey.get(resourceKey(info));
  }

  /** NamespaceLifecycle: whether a namespace takes new objects (the lister's Active, else a live read). */
  private async namespaceState(namespace: string): Promise<'Active' | 'Terminating' | 'Missing'> {
    if (this.namespaces?.isActive(namespace)) return 'Active';
    const namespaces = this.get('', 'v1', 'namespaces')!;
    const kv = await namespaces.storeForWatch.get(namespaces.key(undefined, namespace));
    if (!kv) return 'Missing';
    return namespaces.decode(kv).metadata.deletionTimestamp ? 'Terminating' : 'Active';
  }
}
