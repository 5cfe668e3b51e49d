import { setTimeout as delay } from 'node:timers/promises';
import type { KeyValue, Store } from '../../storage/store.js';
import type { KubeObject } from '../../api/types.js';

export interface NamespaceListerOptions {
  store: Store;
  /** The namespaces' key prefix (`/registry/namespaces/`): a key is the prefix and the name. */
  prefix: string;
  decode: (kv: KeyValue) => KubeObject;
  signal: AbortSignal;
}

/**
 * The Active namespaces, kept by a list and a watch of the store: the NamespaceLifecycle admission
 * plugin's namespace lister, so a create does not read its Namespace from the store. Only "Active" is
 * answered from here; a name the lister does not hold as Active (made a moment ago, perhaps through another
 * server; Terminating; gone) is looked up live, as the plugin does.
 */
export class NamespaceLister {
  private readonly active = new Set<string>();
  private synced = false;

  constructor(private readonly o: NamespaceListerOptions) {
    void this.run();
  }

  isActive(name: string): boolean {
    return this.synced && this.active.has(name);
  }

  private async run(): Promise<void> {
    const { store, prefix, signal } = this.o;
    while (!signal.aborted) {
      try {
        const list = await store.list(prefix);
        this.active.clear();
        for (const kv of list.items) this.observe(kv, false);
        this.synced = true;
        for await (const ev of store.watch(prefix, { afterRevision: list.revision, signal }).events) this.observe(ev.kv, ev.type === 'delete');
      } catch {
        // compacted, unavailable or closed: answer live until relisted
      }
      this.synced = false;
      await delay(1000, undefined, { signal, ref: false }).catch(() => {});
    }
  }

  private observe(kv: KeyValue, deleted: boolean): void {
    const name = kv.key.slice(this.o.prefix.length);
    if (!deleted && !this.o.decode(kv).metadata.deletionTimestamp) this.active.add(name);
    else this.active.delete(name);
  }
}
