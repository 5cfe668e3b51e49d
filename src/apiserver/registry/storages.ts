import { findResource, resourceKey, resources, type ResourceInfo } from '../../api/resources.js';
import type { ResourceStrategy } from '../../api/strategy.js';
import type { Store } from '../../storage/store.js';
import type { Clock } from '../../util/clock.js';
import type { ValueTransformer } from './encryption.js';
import type { ResourceHooks } from './hooks.js';
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
}

/** One RestStorage per served resource over one store, keyed by resourceKey. */
export class Storages {
  private readonly byKey = new Map<string, RestStorage>();

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
  }

  get(group: string, version: string, resource: string): RestStorage | undefined {
    const info = findResource(group, version, resource);
    return info && this.byKey.get(resourceKey(info));
  }

  /** NamespaceLifecycle: whether a namespace takes new objects. */
  private async namespaceState(namespace: string): Promise<'Active' | 'Terminating' | 'Missing'> {
    try {
      const obj = await this.get('', 'v1', 'namespaces')!.get(undefined, namespace);
      return obj.metadata.deletionTimestamp ? 'Terminating' : 'Active';
    } catch {
      return 'Missing';
    }
  }
}
