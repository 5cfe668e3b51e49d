import type { ResourceInfo } from '../api/resources.js';
import type { Status } from '../api/status.js';
import type { KubeList, KubeObject, WatchEvent } from '../api/types.js';
import type { ClientConfig } from './config.js';
import { Transport, type RawRequest } from './transport.js';
import { watchStream } from './watch.js';

/** The part of a ResourceInfo that addresses it in URLs. */
export type ResourceType = Pick<ResourceInfo, 'group' | 'version' | 'resource' | 'namespaced'>;

export interface ObjectRef {
  namespace?: string;
  name?: string;
  subresource?: string;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
  signal?: AbortSignal;
}

export interface WatchOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
  signal?: AbortSignal;
}

export interface WriteOptions {
  namespace?: string;
  subresource?: string;
  fieldManager?: string;
  dryRun?: boolean;
  signal?: AbortSignal;
}

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

const patchContentType: Record<PatchType, string> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

export interface PatchOptions extends WriteOptions {
  name: string;
  type: PatchType;
  /** JSON Patch operations, or a (merge/strategic/apply) object; strings are sent as is. */
  patch: unknown;
  /** Server-side apply: take over conflicting fields. */
  force?: boolean;
}

export interface DeleteOptions {
  namespace?: string;
  name: string;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditions?: { uid?: string; resourceVersion?: string };
  gracePeriodSeconds?: number;
  dryRun?: boolean;
  signal?: AbortSignal;
}

/** `/api/v1` for the core group, `/apis/<group>/<version>` otherwise. */
export function groupVersionPath(info: Pick<ResourceInfo, 'group' | 'version'>): string {
  return info.group ? `/apis/${info.group}/${info.version}` : `/api/${info.version}`;
}

/** The URL path of a collection, an object or an object's subresource. */
export function resourcePath(info: ResourceType, ref: ObjectRef = {}): string {
  let p = groupVersionPath(info);
  if (info.namespaced && ref.namespace) p += `/namespaces/${encodeURIComponent(ref.namespace)}`;
  p += `/${info.resource}`;
  if (ref.name !== undefined) {
    p += `/${encodeURIComponent(ref.name)}`;
    if (ref.subresource) p += `/${ref.subresource}`;
  }
  return p;
}

function dryRunQuery(dryRun?: boolean): string | undefined {
  return dryRun ? 'All' : undefined;
}

/** A typed-enough REST client for the Kubernetes API (client-go's dynamic client). */
export class RestClient {
  readonly transport: Transport;

  constructor(readonly config: ClientConfig) {
    this.transport = new Transport(config);
  }

  /** Escape hatch for paths the typed verbs do not cover. */
  request<T>(req: RawRequest): Promise<T> {
    return this.transport.json<T>(req);
  }

  get<T extends KubeObject = KubeObject>(info: ResourceType, ref: ObjectRef & { name: string; signal?: AbortSignal }): Promise<T> {
    return this.transport.json<T>({ method: 'GET', path: resourcePath(info, ref), signal: ref.signal });
  }

  list<T extends KubeObject = KubeObject>(info: ResourceType, opts: ListOptions = {}): Promise<KubeList<T>> {
    return this.transport.json<KubeList<T>>({
      method: 'GET',
      path: resourcePath(info, { namespace: opts.namespace }),
      query: {
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
        limit: opts.limit,
        continue: opts.continue,
        resourceVersion: opts.resourceVersion,
        resourceVersionMatch: opts.resourceVersionMatch,
      },
      signal: opts.signal,
    });
  }

  /** Every page of a list (following `continue`), with the resourceVersion of the last page. */
  async listAll<T extends KubeObject = KubeObject>(info: ResourceType, opts: Omit<ListOptions, 'continue'> = {}): Promise<KubeList<T>> {
    const first = await this.list<T>(info, { limit: 500, ...opts });
    let page = first;
    while (page.metadata?.continue) {
      page = await this.list<T>(info, { limit: 500, ...opts, continue: page.metadata.continue });
      first.items.push(...page.items);
    }
    first.metadata = { ...page.metadata, continue: undefined };
    return first;
  }

  create<T extends KubeObject = KubeObject>(info: ResourceType, obj: T, opts: WriteOptions = {}): Promise<T> {
    const namespace = opts.namespace ?? obj.metadata?.namespace;
    // A subresource create (binding, eviction) posts to the parent object's URL.
    const ref = opts.subresource ? { namespace, name: obj.metadata.name, subresource: opts.subresource } : { namespace };
    return this.transport.json<T>({
      method: 'POST',
      path: resourcePath(info, ref),
      query: { fieldManager: opts.fieldManager, dryRun: dryRunQuery(opts.dryRun) },
      body: obj,
      signal: opts.signal,
    });
  }

  update<T extends KubeObject = KubeObject>(info: ResourceType, obj: T, opts: WriteOptions = {}): Promise<T> {
    const ref = { namespace: opts.namespace ?? obj.metadata?.namespace, name: obj.metadata.name ?? '', subresource: opts.subresource };
    return this.transport.json<T>({
      method: 'PUT',
      path: resourcePath(info, ref),
      query: { fieldManager: opts.fieldManager, dryRun: dryRunQuery(opts.dryRun) },
      body: obj,
      signal: opts.signal,
    });
  }

  updateStatus<T extends KubeObject = KubeObject>(info: ResourceType, obj: T, opts: Omit<WriteOptions, 'subresource'> = {}): Promise<T> {
    return this.update(info, obj, { ...opts, subresource: 'status' });
  }

  patch<T extends KubeObject = KubeObject>(info: ResourceType, opts: PatchOptions): Promise<T> {
    if (opts.type === 'apply' && !opts.fieldManager) throw new TypeError('server-side apply needs a fieldManager');
    return this.transport.json<T>({
      method: 'PATCH',
      path: resourcePath(info, opts),
      query: {
        fieldManager: opts.fieldManager,
        force: opts.type === 'apply' && opts.force !== undefined ? opts.force : undefined,
        dryRun: dryRunQuery(opts.dryRun),
      },
      body: typeof opts.patch === 'string' ? opts.patch : JSON.stringify(opts.patch),
      contentType: patchContentType[opts.type],
      signal: opts.signal,
    });
  }

  /** Returns the object (when deletion is deferred by finalizers or grace) or a Success Status. */
  delete<T extends KubeObject = KubeObject>(info: ResourceType, opts: DeleteOptions): Promise<T | Status> {
    const body: Record<string, unknown> = { kind: 'DeleteOptions', apiVersion: 'v1' };
    if (opts.propagationPolicy) body.propagationPolicy = opts.propagationPolicy;
    if (opts.preconditions) body.preconditions = opts.preconditions;
    if (opts.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = opts.gracePeriodSeconds;
    if (opts.dryRun) body.dryRun = ['All'];
    return this.transport.json<T | Status>({ method: 'DELETE', path: resourcePath(info, opts), body, signal: opts.signal });
  }

  /** DELETE on a collection: every object the selectors match (all of them without); returns what was deleted. */
  deleteCollection<T extends KubeObject = KubeObject>(info: ResourceType, opts: { namespace?: string; labelSelector?: string; propagationPolicy?: DeleteOptions['propagationPolicy']; signal?: AbortSignal }): Promise<KubeList<T>> {
    const body: Record<string, unknown> = { kind: 'DeleteOptions', apiVersion: 'v1' };
    if (opts.propagationPolicy) body.propagationPolicy = opts.propagationPolicy;
    return this.transport.json<KubeList<T>>({ method: 'DELETE', path: resourcePath(info, { namespace: opts.namespace }), query: { labelSelector: opts.labelSelector }, body, signal: opts.signal });
  }

  /** Streams watch events; ends when the server closes or `signal` aborts; an ERROR event throws its StatusError. */
  watch<T extends KubeObject = KubeObject>(info: ResourceType, opts: WatchOptions = {}): AsyncGenerator<WatchEvent<T>> {
    return watchStream<T>(this.transport, {
      method: 'GET',
      path: resourcePath(info, { namespace: opts.namespace }),
      query: {
        watch: true,
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
        resourceVersion: opts.resourceVersion,
        allowWatchBookmarks: opts.allowWatchBookmarks || undefined,
        timeoutSeconds: opts.timeoutSeconds,
      },
      signal: opts.signal,
    });
  }

  close(): void {
    this.transport.close();
  }
}
