import { resourceKey, type ResourceInfo } from '../../api/resources.js';
import { alreadyExists, badRequest, conflict, expired, forbidden, invalid, notFound, staleConflict, type GroupResource } from '../../api/status.js';
import type { ResourceStrategy } from '../../api/strategy.js';
import { apiVersionOf, type KubeList, type KubeObject, clone } from '../../api/types.js';
import { isStorageError, type KeyValue, type Store } from '../../storage/store.js';
import type { Clock } from '../../util/clock.js';
import { decodeObject, encodeJSON, objectJSON, storedPrefix, withResourceVersion } from './codec.js';
import { decodeContinue, encodeContinue } from './continue-token.js';
import type { ValueTransformer } from './encryption.js';
import type { ResourceHooks } from './hooks.js';
import { listPrefix, objectKey } from './keys.js';
import { dropEmptyMetadata, generateName, prepareForCreate, prepareForUpdate, sameObject } from './prepare.js';

export interface RestStorageOptions {
  info: ResourceInfo;
  store: Store;
  clock: Clock;
  strategy?: ResourceStrategy;
  hooks?: ResourceHooks;
  /** Encryption at rest (`--secrets-encryption`): used when it names this resource. */
  transformer?: ValueTransformer;
  /** Answers whether a namespace can take new objects; absent for cluster-scoped storages. */
  namespaceState?: (namespace: string) => Promise<'Active' | 'Terminating' | 'Missing'>;
}

export interface WriteOptions {
  dryRun?: boolean;
  /** Last step before validation, after defaulting (managed-fields bookkeeping); it gets the write's own copy, to change in place. */
  finalize?: (obj: KubeObject, old: KubeObject | undefined) => KubeObject;
}

export interface ListOptions {
  filter?: (obj: KubeObject) => boolean;
  limit?: number;
  continue?: string;
  /** true when a selector filters: then remainingItemCount is not known */
  filtered?: boolean;
  /** resourceVersionMatch=Exact: list at this revision */
  revision?: number;
}

export interface UpdateOptions extends WriteOptions {
  subresource?: 'status' | 'finalize';
  /** Set by the deletion flow only: lets deletionTimestamp and finalizers change. */
  deleting?: boolean;
  /** Server-internal writes that bypass update validation (pods/binding). */
  skipValidation?: boolean;
}

/** The generic REST storage of one resource over the revisioned store (apiserver's registry/generic). */
export class RestStorage {
  readonly info: ResourceInfo;
  readonly gr: GroupResource;
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly strategy: ResourceStrategy;
  private readonly hooks: ResourceHooks;
  private readonly transformer?: ValueTransformer;
  private readonly namespaceState?: RestStorageOptions['namespaceState'];
  private storedPrefix?: string;

  constructor(opts: RestStorageOptions) {
    this.info = opts.info;
    this.gr = { group: opts.info.group, resource: opts.info.resource };
    this.store = opts.store;
    this.clock = opts.clock;
    this.strategy = opts.strategy ?? {};
    this.hooks = opts.hooks ?? {};
    if (opts.transformer?.resources.has(resourceKey(opts.info))) this.transformer = opts.transformer;
    this.namespaceState = opts.namespaceState;
  }

  get apiVersion(): string {
    return apiVersionOf(this.info);
  }

  /** How this storage's objects start when stored (storedPrefix): where their served JSON takes its resourceVersion. */
  get prefix(): string {
    return (this.storedPrefix ??= storedPrefix(this.apiVersion, this.info.kind));
  }

  /** The per-kind behaviour (src/api/kinds) this storage applies. */
  get kind(): ResourceStrategy {
    return this.strategy;
  }

  key(namespace: string | undefined, name: string): string {
    return objectKey(this.info, namespace, name);
  }

  /** A stored value as the object it holds (watch events decode through here). */
  decode(kv: KeyValue): KubeObject {
    return decodeObject(kv, this.transformer);
  }

  async get(namespace: string | undefined, name: string): Promise<KubeObject> {
    const kv = await this.store.get(this.key(namespace, name));
    if (!kv) throw notFound(this.gr, name);
    return this.decode(kv);
  }

  async list(namespace: string | undefined, opts: ListOptions = {}): Promise<KubeList> {
    const token = opts.continue ? decodeContinue(opts.continue) : undefined;
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    const items: KubeObject[] = [];
    let revision = token?.rv ?? opts.revision ?? 0;
    let startAfter = token?.start;
    let more = false;
    let remaining: number | undefined;
    let lastKey: string | undefined;
    try {
      for (;;) {
        const page = await this.store.list(listPrefix(this.info, namespace), { revision: revision || undefined, limit: limit ? limit - items.length : 0, startAfter });
        revision = page.revision;
        for (const kv of page.items) {
          lastKey = kv.key;
          const obj = this.decode(kv);
          if (!opts.filter || opts.filter(obj)) items.push(obj);
        }
        more = page.more;
        remaining = page.remaining;
        if (!limit || !page.more || items.length >= limit) break;
        startAfter = lastKey;
      }
    } catch (err) {
      if (isStorageError(err, 'Compacted')) throw expired('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.');
      throw err;
    }
    for (const item of items) {
      item.apiVersion = this.apiVersion;
      item.kind = this.info.kind;
    }
    const metadata: KubeList['metadata'] = { resourceVersion: String(revision) };
    if (limit && more && lastKey) {
      metadata.continue = encodeContinue({ rv: revision, start: lastKey });
      if (!opts.filtered && remaining !== undefined) metadata.remainingItemCount = remaining;
    }
    return { apiVersion: this.apiVersion, kind: `${this.info.kind}List`, metadata, items };
  }

  private async checkNamespace(namespace: string | undefined, name: string): Promise<void> {
    if (!this.info.namespaced || !this.namespaceState) return;
    const state = await this.namespaceState(namespace ?? '');
    if (state === 'Missing') throw notFound({ group: '', resource: 'namespaces' }, namespace ?? '');
    if (state === 'Terminating') throw forbidden(this.gr, name, `unable to create new content in namespace ${namespace} because it is being terminated`);
  }

  private validate(obj: KubeObject, old?: KubeObject): void {
    const errs = old ? (this.strategy.validateUpdate?.(obj, old) ?? []) : (this.strategy.validate?.(obj) ?? []);
    if (errs.length) throw invalid({ group: this.info.group, kind: this.info.kind }, obj.metadata.name ?? obj.metadata.generateName ?? '', errs);
  }

  async create(namespace: string | undefined, input: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    let obj = clone(input);
    obj.apiVersion = this.apiVersion;
    obj.kind = this.info.kind;
    obj.metadata ??= {};
    if (this.info.namespaced) {
      if (obj.metadata.namespace && namespace && obj.metadata.namespace !== namespace)
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      obj.metadata.namespace = namespace ?? obj.metadata.namespace;
    }
    if (!obj.metadata.name && obj.metadata.generateName) obj.metadata.name = generateName(obj.metadata.generateName);
    prepareForCreate(this.info, this.strategy, obj, this.clock.now());
    this.strategy.applyDefaults?.(obj);
    if (opts.finalize) obj = opts.finalize(obj, undefined);
    dropEmptyMetadata(obj);
    this.validate(obj);
    const name = obj.metadata.name!;
    await this.checkNamespace(obj.metadata.namespace, name);
    await this.hooks.beforeCreate?.(obj, { dryRun: !!opts.dryRun });
    let committed = false;
    try {
      if (opts.dryRun) {
        if (await this.store.get(this.key(obj.metadata.namespace, name))) throw alreadyExists(this.gr, name);
        return obj;
      }
      const json = objectJSON(obj);
      const kv = await this.store.create(this.key(obj.metadata.namespace, name), encodeJSON(json, this.transformer));
      committed = true;
      return asStored(obj, kv, json, this.prefix);
    } catch (err) {
      if (isStorageError(err, 'KeyExists')) throw alreadyExists(this.gr, name);
      throw err;
    } finally {
      if (committed) this.hooks.afterCommit?.(obj, undefined);
      else this.hooks.rollback?.(obj, undefined);
    }
  }

  /** PUT semantics: a given resourceVersion must match; status and spec move through their own paths. */
  async update(namespace: string | undefined, name: string, input: KubeObject, opts: UpdateOptions = {}): Promise<{ object: KubeObject; created: boolean }> {
    if (input.metadata?.name && input.metadata.name !== name)
      throw badRequest(`the name of the object (${input.metadata.name}) does not match the name on the URL (${name})`);
    const key = this.key(namespace, name);
    const kv = await this.store.get(key);
    if (!kv) {
      if (!opts.subresource && this.strategy.allowCreateOnUpdate) {
        return { object: await this.create(namespace, { ...input, metadata: { ...input.metadata, name } }, opts), created: true };
      }
      throw notFound(this.gr, name);
    }
    const current = this.decode(kv);
    const rv = input.metadata?.resourceVersion;
    if (rv && rv !== current.metadata.resourceVersion) throw staleConflict(this.gr, name);
    if (input.metadata?.uid && input.metadata.uid !== current.metadata.uid)
      throw conflict(this.gr, name, `Precondition failed: UID in precondition: ${input.metadata.uid}, UID in object meta: ${current.metadata.uid}`);
    return { object: await this.writeUpdate(current, clone(input), kv.modRevision, opts), created: false };
  }

  /** Read-modify-write with retries on conflict: PATCH and internal updates. */
  async guaranteedUpdate(namespace: string | undefined, name: string, mutate: (current: KubeObject) => Promise<KubeObject> | KubeObject, opts: UpdateOptions = {}): Promise<KubeObject> {
    for (let attempt = 0; ; attempt++) {
      const kv = await this.store.get(this.key(namespace, name));
      if (!kv) throw notFound(this.gr, name);
      const current = this.decode(kv);
      const next = await mutate(clone(current));
      const rv = next.metadata?.resourceVersion;
      if (rv && rv !== current.metadata.resourceVersion) throw staleConflict(this.gr, name);
      try {
        return await this.writeUpdate(current, next, kv.modRevision, opts);
      } catch (err) {
        if (attempt < 10 && isStorageError(err, 'Conflict')) continue;
        throw err;
      }
    }
  }

  private async writeUpdate(current: KubeObject, input: KubeObject, modRevision: number, opts: UpdateOptions): Promise<KubeObject> {
    input.apiVersion = this.apiVersion;
    input.kind = this.info.kind;
    input.metadata ??= {};
    let next = prepareForUpdate(this.info, this.strategy, input, current, { subresource: opts.subresource, deleting: opts.deleting });
    if (opts.subresource !== 'status') this.strategy.applyDefaults?.(next);
    if (opts.finalize) next = opts.finalize(next, current);
    dropEmptyMetadata(next);
    this.strategy.prepareForUpdate?.(next, current, { subresource: opts.subresource });
    if (!opts.skipValidation) this.validate(next, current);
    if (sameObject(next, current)) return current;
    await this.hooks.beforeUpdate?.(next, current, { dryRun: !!opts.dryRun });
    let committed = false;
    try {
      if (opts.dryRun) return next;
      const key = this.key(current.metadata.namespace, current.metadata.name!);
      // the last finalizer removed from an object being deleted completes its deletion, unless a
      // grace period still runs (a pod the kubelet is stopping: Kubernetes' ShouldDeleteDuringUpdate)
      if (next.metadata.deletionTimestamp && !next.metadata.deletionGracePeriodSeconds && !(next.metadata.finalizers ?? []).length && !this.hasPendingFinalizers(next)) {
        const gone = await this.store.delete(key, modRevision);
        committed = true;
        this.hooks.afterDelete?.(next);
        return { ...this.decode(gone), metadata: { ...next.metadata, resourceVersion: String(gone.modRevision) } };
      }
      const json = objectJSON(next);
      const stored = asStored(next, await this.store.update(key, encodeJSON(json, this.transformer), modRevision), json, this.prefix);
      committed = true;
      return stored;
    } catch (err) {
      if (isStorageError(err, 'Conflict')) throw err;
      if (isStorageError(err, 'NotFound')) throw notFound(this.gr, current.metadata.name!);
      throw err;
    } finally {
      if (committed) this.hooks.afterCommit?.(next, current);
      else this.hooks.rollback?.(next, current);
    }
  }

  /** Finalizers the kind keeps besides metadata.finalizers (a Namespace's spec.finalizers). */
  hasPendingFinalizers(obj: KubeObject): boolean {
    return this.strategy.pendingFinalizers?.(obj) ?? false;
  }

  /** Removes the object from storage now (the end of every deletion path). */
  async remove(current: KubeObject, dryRun: boolean): Promise<KubeObject> {
    if (dryRun) return current;
    try {
      const kv = await this.store.delete(this.key(current.metadata.namespace, current.metadata.name!), Number(current.metadata.resourceVersion));
      this.hooks.afterDelete?.(current);
      return this.decode(kv);
    } catch (err) {
      if (isStorageError(err, 'NotFound')) throw notFound(this.gr, current.metadata.name!);
      throw err;
    }
  }

  get storeForWatch(): Store {
    return this.store;
  }

  get prefixOf(): (namespace: string | undefined) => string {
    return (ns) => listPrefix(this.info, ns);
  }
}

/** The JSON of objects that create and update returned, for a handler that sends one as it is. */
const written = new WeakMap<KubeObject, string>();

/** The object's JSON when it is a write's result (writtenJSON is never stale: nothing changes such an object before it is sent). */
export function writtenJSON(obj: KubeObject): string | undefined {
  return written.get(obj);
}

/**
 * The object just written as a GET returns it (resourceVersion the write's revision), without decoding the
 * bytes encoded from it a moment ago. It is this write's own copy (create and update clone their input), so
 * it takes its resourceVersion in place; every reader gets it as JSON, which drops undefined members as the
 * store did. `json` (objectJSON of obj) gives its served JSON too, for writtenJSON (`prefix`: the storage's).
 */
function asStored(obj: KubeObject, kv: KeyValue, json?: string, prefix?: string): KubeObject {
  obj.metadata.resourceVersion = String(kv.modRevision);
  const text = json === undefined || prefix === undefined ? undefined : withResourceVersion(json, prefix, kv.modRevision);
  if (text !== undefined) written.set(obj, text);
  return obj;
}
