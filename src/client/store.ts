import type { KubeObject } from '../api/types.js';

/** Maps an object to the index values it is filed under (client-go's IndexFunc). */
export type IndexFunc<T> = (obj: T) => string[];

/** `namespace/name` for namespaced objects, `name` for cluster-scoped ones (MetaNamespaceKeyFunc). */
export function metaNamespaceKey(obj: { metadata?: { namespace?: string; name?: string } }): string {
  const ns = obj.metadata?.namespace;
  return ns ? `${ns}/${obj.metadata?.name ?? ''}` : (obj.metadata?.name ?? '');
}

export function splitMetaNamespaceKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return slash < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

export const namespaceIndex = 'namespace';
export const indexByNamespace: IndexFunc<KubeObject> = (obj) => [obj.metadata.namespace ?? ''];

/** Index by the values of one label: `indexByLabel('app')` files objects under their `app` label value. */
export function indexByLabel(label: string): IndexFunc<KubeObject> {
  return (obj) => {
    const v = obj.metadata.labels?.[label];
    return v === undefined ? [] : [v];
  };
}

/** Pods by `spec.nodeName` (unscheduled pods are filed under ''). */
export const indexByNodeName: IndexFunc<KubeObject> = (obj) => {
  const spec = obj.spec as { nodeName?: string } | undefined;
  return [spec?.nodeName ?? ''];
};

/** Objects by the uids of their owners. */
export const indexByOwnerUid: IndexFunc<KubeObject> = (obj) => (obj.metadata.ownerReferences ?? []).map((r) => r.uid);

/**
 * The informer cache: objects by key plus any number of secondary indexes kept in step on
 * every write (client-go's threadSafeStore; JavaScript's single thread makes it safe).
 */
export class Indexer<T extends KubeObject = KubeObject> {
  private readonly items = new Map<string, T>();
  private readonly indexers = new Map<string, IndexFunc<T>>();
  /** index name → index value → keys */
  private readonly indices = new Map<string, Map<string, Set<string>>>();

  constructor(indexers: Record<string, IndexFunc<T>> = {}) {
    this.addIndexers(indexers);
  }

  /** Adds indexers, filing every object already stored. */
  addIndexers(indexers: Record<string, IndexFunc<T>>): void {
    for (const [name, fn] of Object.entries(indexers)) {
      if (this.indexers.has(name)) throw new Error(`indexer "${name}" already exists`);
      this.indexers.set(name, fn);
      this.indices.set(name, new Map());
      for (const [key, obj] of this.items) this.file(name, fn, key, obj);
    }
  }

  add(obj: T): void {
    this.update(obj);
  }

  update(obj: T): void {
    const key = metaNamespaceKey(obj);
    const old = this.items.get(key);
    if (old) this.unfileAll(key, old);
    this.items.set(key, obj);
    for (const [name, fn] of this.indexers) this.file(name, fn, key, obj);
  }

  delete(obj: T | { metadata: { namespace?: string; name?: string } }): void {
    this.deleteKey(metaNamespaceKey(obj));
  }

  deleteKey(key: string): void {
    const old = this.items.get(key);
    if (!old) return;
    this.unfileAll(key, old);
    this.items.delete(key);
  }

  /** Swaps the whole content (a re-list), rebuilding the indexes. */
  replace(objs: T[]): void {
    this.items.clear();
    for (const idx of this.indices.values()) idx.clear();
    for (const obj of objs) this.update(obj);
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  getByNamespaceName(namespace: string | undefined, name: string): T | undefined {
    return this.items.get(namespace ? `${namespace}/${name}` : name);
  }

  list(): T[] {
    return [...this.items.values()];
  }

  listKeys(): string[] {
    return [...this.items.keys()];
  }

  get size(): number {
    return this.items.size;
  }

  /** Objects filed under `value` in index `indexName`. */
  byIndex(indexName: string, value: string): T[] {
    const idx = this.indices.get(indexName);
    if (!idx) throw new Error(`index "${indexName}" does not exist`);
    const out: T[] = [];
    for (const key of idx.get(value) ?? []) {
      const obj = this.items.get(key);
      if (obj) out.push(obj);
    }
    return out;
  }

  indexKeys(indexName: string, value: string): string[] {
    const idx = this.indices.get(indexName);
    if (!idx) throw new Error(`index "${indexName}" does not exist`);
    return [...(idx.get(value) ?? [])];
  }

  /** All values present in an index. */
  listIndexFuncValues(indexName: string): string[] {
    return [...(this.indices.get(indexName)?.keys() ?? [])];
  }

  private file(name: string, fn: IndexFunc<T>, key: string, obj: T): void {
    const idx = this.indices.get(name)!;
    for (const value of new Set(fn(obj))) {
      let keys = idx.get(value);
      if (!keys) idx.set(value, (keys = new Set()));
      keys.add(key);
    }
  }

  private unfileAll(key: string, obj: T): void {
    for (const [name, fn] of this.indexers) {
      const idx = this.indices.get(name)!;
      for (const value of fn(obj)) {
        const keys = idx.get(value);
        if (!keys) continue;
        keys.delete(key);
        if (keys.size === 0) idx.delete(value);
      }
    }
  }
}
